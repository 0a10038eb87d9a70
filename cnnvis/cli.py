"""The ``cnnvis`` command line. Each subcommand lives in cnnvis/commands/<name>.py and
defines ``add_parser(subparsers)``, which registers its options and ``func``.

Exit status: 0 done; 1 done, with failures reported (verify, gradcheck, demo sections);
2 a user error (a bad option, input or output, with its message in the command line's terms,
commands/terms.py); 128 + N a signal N
(130 Ctrl-C, 143 SIGTERM), with no partial output left behind (see cnnvis/signals.py)."""
import argparse
import importlib
import sys

from ._startup import cpu_setup

cpu_setup()  # before NumPy loads: the command line opts in to cnnvis's CPU settings

from .errors import CnnvisError  # noqa: E402
from .signals import Terminated, terminating  # noqa: E402

COMMANDS = ["demo", "info", "summary", "explain", "verify", "train", "weights", "trace", "gradcheck", "filters", "feature_maps",
            "top_patches", "actmax", "deepdream", "embed", "predict"]  # modules in cnnvis/commands, in the order of `cnnvis --help`


def build_parser():
    from . import __version__
    parser = argparse.ArgumentParser(prog="cnnvis", description="What does a CNN see?")
    parser.add_argument("--version", action="version", version=f"cnnvis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"cnnvis.commands.{name}").add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad option (2, argparse's message printed)
        return exc.code
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        with terminating():
            return args.func(args) or 0
    except CnnvisError as exc:
        from .commands.terms import in_cli_terms
        print(f"cnnvis {args.command}: error: {in_cli_terms(str(exc), parser, args.command)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"terminated by {exc}", file=sys.stderr)
        return 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main())

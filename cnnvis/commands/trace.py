"""`cnnvis trace`: a tiny CNN's forward and backward passes, printed so every entry can be
checked by hand, under the gradient, deconvnet and guided backprop rules; `--residual`: a
tiny residual block, where the gradient is copied at the Add and summed at the input."""


def spec(args):
    """The TinySpec, or with --residual the ResidualSpec, of the options."""
    from cnnvis.errors import InputError
    from cnnvis.teaching import ResidualSpec, TinySpec
    if not args.residual:
        return TinySpec(args.size or 6, args.in_channels or 1, args.channels or 1, args.kernel or 3)
    if args.in_channels is not None or args.kernel is not None:
        raise InputError("--residual fixes both convs at 3x3 (padding 1) with --channels in and out "
                         "(the Add adds the input back); leave out --in-channels and --kernel")
    return ResidualSpec(args.size or 4, args.channels or 1)


def run(args):
    from cnnvis.io import write_text
    from cnnvis.layers import RULES
    from cnnvis.teaching import trace_report
    rules = RULES if args.rule == "all" else (args.rule,)
    text = trace_report(spec(args), args.seed, rules, args.target, args.format)
    if args.out:
        write_text(args.out, text)
        print(args.out)
    else:
        print(text, end="")


def add_parser(sub):
    from cnnvis.commands.options import nonneg_int, output_file, positive_int
    p = sub.add_parser("trace", help="trace a tiny CNN by hand: forward values, max-pool switches, and "
                       "the backward pass under the gradient, deconvnet and guided rules")
    p.add_argument("--residual", action="store_true", help="a tiny residual block instead: conv, ReLU, "
                   "conv, Add (with the input), ReLU, global average pool, dense; the gradient is "
                   "copied at the Add and its two paths summed at the input")
    p.add_argument("--seed", type=nonneg_int, default=0, help="draws the integer weights and input (default 0)")
    p.add_argument("--size", type=positive_int, help="input height and width (default 6; 4 with --residual)")
    p.add_argument("--in-channels", type=positive_int, help="input channels (default 1)")
    p.add_argument("--channels", type=positive_int, help="conv filters (default 1); with --residual, "
                   "the channels of the input and of both convs")
    p.add_argument("--kernel", type=positive_int, help="conv kernel size (default 3)")
    p.add_argument("--rule", choices=("all", "gradient", "deconvnet", "guided"), default="all",
                   help="backward rule(s) to show side by side (default all)")
    p.add_argument("--target", type=int, choices=(0, 1), help="class whose logit is explained "
                   "(default: the predicted one)")
    p.add_argument("--format", choices=("text", "markdown", "latex"), default="text",
                   help="output format (default text)")
    p.add_argument("-o", "--out", type=output_file("text"), help="write to this file (.txt, .md, .tex) "
                   "instead of printing")
    p.add_argument("-q", "--quiet", action="store_true", help="no messages (there are none: the same option everywhere)")
    p.set_defaults(func=run)

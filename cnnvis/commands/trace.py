"""`cnnvis trace`: a tiny CNN's forward and backward passes, printed so every entry can be
checked by hand, under the gradient, deconvnet and guided backprop rules."""


def run(args):
    from cnnvis.io import write_text
    from cnnvis.layers import RULES
    from cnnvis.teaching import TinySpec, trace_report
    spec = TinySpec(args.size, args.in_channels, args.channels, args.kernel)
    rules = RULES if args.rule == "all" else (args.rule,)
    text = trace_report(spec, args.seed, rules, args.target, args.format)
    if args.out:
        write_text(args.out, text)
        print(args.out)
    else:
        print(text, end="")


def add_parser(sub):
    from cnnvis.commands.options import nonneg_int, output_file, positive_int
    p = sub.add_parser("trace", help="trace a tiny CNN by hand: forward values, max-pool switches, and "
                       "the backward pass under the gradient, deconvnet and guided rules")
    p.add_argument("--seed", type=nonneg_int, default=0, help="draws the integer weights and input (default 0)")
    p.add_argument("--size", type=positive_int, default=6, help="input height and width (default 6)")
    p.add_argument("--in-channels", type=positive_int, default=1, help="input channels (default 1)")
    p.add_argument("--channels", type=positive_int, default=1, help="conv filters (default 1)")
    p.add_argument("--kernel", type=positive_int, default=3, help="conv kernel size (default 3)")
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

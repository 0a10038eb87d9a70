"""`cnnvis summary`: the layer table of a network."""


def run(args):
    from cnnvis.commands.session import Run
    print(Run(args, "summary", out=False).net.summary())


def add_parser(sub):
    from cnnvis.commands.options import add_network_args, add_quiet_arg
    p = sub.add_parser("summary", help="print a network's layers, shapes, parameters and receptive fields")
    add_network_args(p)
    add_quiet_arg(p)
    p.set_defaults(func=run)

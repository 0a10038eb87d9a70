"""`cnnvis summary`: the layer table of a network."""


def run(args):
    from cnnvis.commands.options import network
    print(network(args).summary())


def add_parser(sub):
    from cnnvis.commands.options import add_network_args
    p = sub.add_parser("summary", help="print a network's layers, shapes, parameters and receptive fields")
    add_network_args(p)
    p.set_defaults(func=run)

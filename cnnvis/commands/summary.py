"""`cnnvis summary`: the layer table of a network."""


def run(args):
    from cnnvis.commands.common import load_network
    net = load_network(args.weights, args.model)
    print(net.summary())


def add_parser(sub):
    p = sub.add_parser("summary", help="print a network's layers, shapes, parameters and receptive fields")
    p.add_argument("--model", default="vgg16", help="architecture when no weights are given: vgg16 "
                   "(random weights) or vgg16-notop (default vgg16)")
    p.add_argument("--weights", help="an HDF5 weights file (our format or Keras's)")
    p.set_defaults(func=run)

"""`cnnvis predict`: the top-k classes of an image as a bar chart beside it."""
from cnnvis.commands.options import (
    add_image_arg,
    add_network_args,
    add_output_args,
    image_input,
    network,
    positive_int,
)


def run(args):
    from cnnvis.methods.predictions import top_k
    from cnnvis.render.predictions import save_predictions
    net = network(args)
    image, x = image_input(net, args.image)
    pred = top_k(net, x, args.k)
    for name, p in zip(pred.names[0], pred.probabilities[0]):
        print(f"{p:8.2%}  {name}")
    print(save_predictions(image, pred, args.out))


def add_parser(sub):
    p = sub.add_parser("predict", help="top-k predicted classes of an image")
    add_network_args(p)
    add_image_arg(p)
    p.add_argument("--k", type=positive_int, default=5, help="(default 5)")
    add_output_args(p, "predictions.png")
    p.set_defaults(func=run)

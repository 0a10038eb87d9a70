"""`cnnvis deepdream IMAGE --layer L`: amplify what a layer (or channel) sees in an image."""
from cnnvis.commands.options import (
    add_image_arg,
    add_network_args,
    add_output_args,
    add_resize_arg,
    nonneg_int,
    positive_float,
    positive_int,
)


def run(args):
    from cnnvis.commands.session import Run
    from cnnvis.methods.deepdream import deepdream
    from cnnvis.methods.targets import Unit
    from cnnvis.render.deepdream import deepdream_figure
    run = Run(args, "deepdream", image=True)
    layer = run.layer(args.layer)
    target = layer if args.channel is None else Unit(layer, args.channel)
    dream = deepdream(run.net, run.x, target, args.steps, args.lr, args.octaves, args.octave_scale, args.jitter,
                      args.objective, args.seed, progress=False if args.quiet else None)
    label = layer if args.channel is None else f"{layer}:{args.channel}"
    run.save(deepdream_figure(run.fit.image, dream, target=label))


def add_parser(sub):
    p = sub.add_parser("deepdream", help="DeepDream: amplify a layer's activations in an image")
    add_image_arg(p)
    add_network_args(p, photo_default=True)
    add_resize_arg(p)
    p.add_argument("--layer", required=True, help="the layer to amplify")
    p.add_argument("--channel", type=int, help="only this channel of it")
    p.add_argument("--steps", type=positive_int, default=10, help="steps per octave (default 10)")
    p.add_argument("--lr", type=positive_float, default=1.5, help="mean step in pixel levels (default 1.5)")
    p.add_argument("--octaves", type=positive_int, default=4, help="(default 4)")
    p.add_argument("--octave-scale", type=positive_float, default=1.4, help="(default 1.4)")
    p.add_argument("--jitter", type=nonneg_int, help="largest random shift in pixels (default an eighth "
                   "of the image's side)")
    p.add_argument("--objective", choices=("squared", "mean"), default="squared")
    p.add_argument("--seed", type=nonneg_int, default=0)
    add_output_args(p)
    p.set_defaults(func=run)

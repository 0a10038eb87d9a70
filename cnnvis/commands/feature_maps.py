"""`cnnvis feature-maps IMAGE --layer L`: a layer's channels for an image, or one channel over the image."""
from cnnvis.commands.options import (
    add_image_arg,
    add_network_args,
    add_output_args,
    add_resize_arg,
    positive_int,
)


def run(args):
    from cnnvis.commands.session import Run
    from cnnvis.methods.feature_maps import feature_maps
    from cnnvis.methods.targets import Unit, check_unit
    from cnnvis.render.feature_maps import channel_figure, feature_maps_figure
    run = Run(args, "feature-maps", image=True)
    layer = run.layer(args.layer)
    if args.channel is not None:
        maps = feature_maps(run.net, run.x, layer)
        check_unit(Unit(layer, args.channel), maps.maps.shape[1:])
        fig = channel_figure(run.fit.original, maps.maps[0, args.channel], layer, args.channel, fit=run.fit)
    else:
        fig = feature_maps_figure(feature_maps(run.net, run.x, layer, args.sort, args.top_k), scale=args.scale)
    run.save(fig)


def add_parser(sub):
    p = sub.add_parser("feature-maps", help="show a layer's feature maps for an image")
    add_image_arg(p)
    add_network_args(p, photo_default=True)
    add_resize_arg(p)
    p.add_argument("--layer", required=True, help="a conv, ReLU or pool layer")
    p.add_argument("--sort", action="store_true", help="strongest channels (mean activation) first")
    p.add_argument("--top-k", type=positive_int, help="show only the first K channels")
    p.add_argument("--scale", choices=("shared", "each"), default="shared",
                   help="one colour scale for all maps (default) or each map its own")
    p.add_argument("--channel", type=int, help="instead: this channel over the image and as a mask")
    add_output_args(p)
    p.set_defaults(func=run)

"""`cnnvis filters`: a mosaic of a conv layer's kernels (methods/filters.py)."""
from cnnvis.commands.options import add_network_args, add_output_args, positive_int


def run(args):
    from cnnvis.commands.session import Run
    from cnnvis.render.filters import filters_figure
    run = Run(args, "filters")
    run.save(filters_figure(run.net, args.layer, mode=args.mode, scaling=args.scaling,
                            max_filters=args.max_filters, max_channels=args.max_channels))


def add_parser(sub):
    p = sub.add_parser("filters", help="picture a conv layer's filters")
    add_network_args(p)
    p.add_argument("--layer", help="a Conv2D layer (default the first)")
    p.add_argument("--mode", default="auto", choices=("auto", "rgb", "gray", "norm", "strongest", "channels"),
                   help="auto: RGB/gray for the first layer, else the L2 norm over input channels")
    p.add_argument("--scaling", default="minmax", choices=("minmax", "symmetric"),
                   help="per filter: its own min..max, or -max|w|..max|w| (0 = gray)")
    p.add_argument("--max-filters", type=positive_int, default=64, help="show at most this many (default 64)")
    p.add_argument("--max-channels", type=positive_int, default=8, help="mode channels: input channels shown (default 8)")
    add_output_args(p)
    p.set_defaults(func=run)

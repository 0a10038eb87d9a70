"""`cnnvis actmax`: activation maximization of classes or units, or a layer's 8x8 top filters."""
from cnnvis.commands.options import (
    add_network_args,
    add_output_args,
    fraction,
    ints,
    nonneg_float,
    nonneg_int,
    output_file,
    positive_float,
    positive_int,
    unit_interval,
)


def run(args):
    from cnnvis.commands.session import Run
    from cnnvis.render.attribution import target_label
    run = Run(args, "actmax")
    net = run.net
    progress = False if args.quiet else None
    size = tuple(args.size) if args.size else None
    kwargs = {"steps": args.steps, "lr": args.lr, "schedule": args.schedule, "l2": args.l2,
              "decay": args.decay, "tv": args.tv, "jitter": args.jitter, "blur_sigma": args.blur_sigma,
              "blur_every": args.blur_every, "octaves": args.octaves, "octave_scale": args.octave_scale,
              "size": size, "start": args.start, "seed": args.seed}
    if args.top_filters:
        from cnnvis.methods.top_filters import top_filters
        from cnnvis.render.activation_max import top_filters_figure
        top = top_filters(net, run.layer(args.top_filters, "--top-filters"), args.n, args.candidates, progress=progress, **kwargs)
        run.save(top_filters_figure(top, stretch=args.stretch))
        return
    import numpy as np

    from cnnvis.methods.activation_max import activation_maximization
    from cnnvis.methods.targets import resolve
    from cnnvis.render.activation_max import actmax_figure, save_actmax_gif
    note = None
    if args.target:
        targets = [run.target(t) for t in args.target]
    elif run.has_classes():
        targets = [0]
        run.say(f"no --target: maximizing class 0 ({net.class_name(0)})")
    else:
        targets = [run.default_unit()]
        note = "no classes: the most active channel of the last layer on a grey image"
        run.say(f"{net.name} has no classes: maximizing {target_label(net, targets[0])}, the most active channel "
                "of its last layer on a grey image; give --target LAYER:CHANNEL for another")
    targets = resolve(net, np.repeat(run.probe(), len(targets), axis=0), targets)  # a bad class: now
    result = activation_maximization(net, None, targets, record_every=args.record_every if args.gif else 0,
                                     progress=progress, **kwargs)
    titles = [target_label(net, t) for t in targets]
    title = "activation maximization" + (f" of {titles[0]} ({note})" if note else "")
    run.save(actmax_figure(result, titles, cols=args.cols, stretch=args.stretch, title=title))
    if args.gif:
        print(save_actmax_gif(result, args.gif, min_size=args.gif_size, stretch=args.stretch, cols=args.cols))


def add_parser(sub):
    p = sub.add_parser("actmax", help="activation maximization: what a class or unit likes most")
    add_network_args(p)
    t = p.add_argument_group("what to maximize")
    t.add_argument("--target", action="append", help="a class (index or name) or a unit "
                   "LAYER:CHANNEL[:I:J] (a channel's mean, one unit, a dense neuron); repeat for more (default: class 0; "
                   "on a network without classes the most active channel of its last layer)")
    t.add_argument("--top-filters", metavar="LAYER", help="instead: the n channels of LAYER that "
                   "reach the highest mean activation (the 8x8 grid)")
    t.add_argument("--n", type=positive_int, default=64, help="--top-filters: how many to keep (default 64)")
    t.add_argument("--candidates", type=ints, help="--top-filters: channels to try (default all)")
    a = p.add_argument_group("gradient ascent")
    a.add_argument("--steps", type=positive_int, default=200, help="steps per octave (default 200)")
    a.add_argument("--lr", type=positive_float, default=2.0, help="mean step in pixel levels (default 2)")
    a.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    a.add_argument("--l2", type=nonneg_float, default=0.0, help="weight of the L2 penalty in the objective")
    a.add_argument("--decay", type=fraction, default=0.0, help="L2 decay per step, x <- (1 - decay) x")
    a.add_argument("--tv", type=nonneg_float, default=0.0, help="weight of the total-variation penalty")
    a.add_argument("--jitter", type=nonneg_int, default=0, help="random shift in pixels per step")
    a.add_argument("--blur-sigma", type=nonneg_float, default=0.0, help="Gaussian blur sigma in pixels")
    a.add_argument("--blur-every", type=positive_int, default=4, help="blur every this many steps")
    a.add_argument("--octaves", type=positive_int, default=1, help="image scales (conv-layer targets)")
    a.add_argument("--octave-scale", type=positive_float, default=1.4, help="size ratio between octaves")
    a.add_argument("--size", type=positive_int, nargs=2, metavar=("H", "W"), help="image size (conv-layer targets)")
    a.add_argument("--start", type=unit_interval, default=0.5, help="the starting noise's mean brightness, "
                   "0 (black) .. 1 (white) (default 0.5)")
    a.add_argument("--seed", type=nonneg_int, default=0)
    o = p.add_argument_group("output")
    o.add_argument("--gif", type=output_file("gif"), help="also write a GIF of the ascent here")
    o.add_argument("--record-every", type=positive_int, default=10, help="GIF frame every this many steps")
    o.add_argument("--gif-size", type=positive_int, default=168, help="GIF: each image enlarged to at least "
                   "this many pixels (default 168)")
    o.add_argument("--cols", type=positive_int, help="images per row (default: up to 8; the GIF: all in one)")
    o.add_argument("--stretch", action="store_true", help="stretch each image's contrast for display")
    add_output_args(o)
    p.set_defaults(func=run)

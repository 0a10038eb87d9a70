"""`cnnvis gradcheck LAYER`: is a layer's backward pass the true gradient? Central finite
differences in float64 against the analytic gradients (cnnvis/gradcheck.py), PASS or FAIL.
Exit status 1 on FAIL."""

LAYERS = {"conv": "Conv2D", "relu": "ReLU", "maxpool": "MaxPool2D", "dense": "Dense",
          "softmax": "Softmax", "flatten": "Flatten", "dropout": "Dropout"}


def build(args):
    """(layer, input shape with the batch axis, training mode) from the options."""
    import numpy as np

    from cnnvis.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
    rng = np.random.default_rng(args.seed)
    image = (args.batch, args.channels, args.size, args.size)
    kind = LAYERS[args.layer]
    if kind == "Conv2D":
        layer = Conv2D(args.channels, args.filters, args.kernel or 3, args.stride or 1,
                       1 if args.padding is None else args.padding, name=args.layer, rng=rng)
    elif kind == "MaxPool2D":
        layer = MaxPool2D(args.kernel or 2, args.stride, args.padding or 0, name=args.layer)
    elif kind == "Dense":
        return Dense(args.features, args.outputs, name=args.layer, rng=rng), (args.batch, args.features), False
    elif kind == "Softmax":
        return Softmax(name=args.layer), (args.batch, args.features), False
    elif kind == "Dropout":
        layer = Dropout(args.p, name=args.layer)
    else:
        layer = (ReLU if kind == "ReLU" else Flatten)(name=args.layer)
    layer.output_shape(image[1:])  # an InputError now if the sizes do not fit
    return layer, image, kind == "Dropout" and not args.eval


def run(args):
    from cnnvis.gradcheck import gradcheck_layer
    layer, shape, training = build(args)
    result = gradcheck_layer(layer, shape, rule=args.rule, eps=args.eps, seed=args.seed,
                             training=training, max_entries=args.max_entries,
                             progress=False if args.quiet else None)
    mode = "training mode (a fixed random mask)" if training else "inference mode"
    print(f"input {shape}, {mode}")
    print(result.table(entries=args.entries, tol=args.tol))
    return 0 if result.passed(args.tol) else 1


def add_parser(sub):
    from cnnvis.commands.options import fraction, nonneg_int, positive_float, positive_int
    p = sub.add_parser("gradcheck", help="check a layer's backward pass against finite differences "
                       "(float64), printing analytic vs numeric gradients and PASS/FAIL")
    p.add_argument("layer", choices=sorted(LAYERS), help="the layer type to check")
    p.add_argument("--batch", type=positive_int, default=2, help="batch size of the input (default 2)")
    p.add_argument("--channels", type=positive_int, default=3, help="input channels of conv, relu, maxpool, "
                   "flatten, dropout (default 3)")
    p.add_argument("--size", type=positive_int, default=6, help="input height and width (default 6)")
    p.add_argument("--filters", type=positive_int, default=4, help="conv output channels (default 4)")
    p.add_argument("--kernel", type=positive_int, help="conv or pool window (default 3 for conv, 2 for maxpool)")
    p.add_argument("--stride", type=positive_int, help="conv or pool stride (default 1 for conv, the window for maxpool)")
    p.add_argument("--padding", type=nonneg_int, help="conv or pool padding on every side (default 1 for "
                   "conv, 0 for maxpool)")
    p.add_argument("--features", type=positive_int, default=8, help="dense inputs, softmax classes (default 8)")
    p.add_argument("--outputs", type=positive_int, default=5, help="dense outputs (default 5)")
    p.add_argument("--p", type=fraction, default=0.5, help="dropout probability (default 0.5)")
    p.add_argument("--eval", action="store_true", help="check dropout in inference mode (the "
                   "identity) instead of training mode")
    p.add_argument("--rule", choices=("gradient", "deconvnet", "guided"), default="gradient",
                   help="backward rule; at a ReLU, deconvnet and guided are compared with their "
                   "formula (they are not gradients); other layers ignore it (default gradient)")
    p.add_argument("--eps", type=positive_float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--tol", type=positive_float, default=1e-6, help="largest relative error that passes "
                   "(default 1e-6)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seeds the weights, input and sampling (default 0)")
    p.add_argument("--entries", type=nonneg_int, default=5, help="entries per tensor shown side by side (default 5)")
    p.add_argument("--max-entries", type=positive_int, default=500, help="check all entries of a tensor up to "
                   "this many, else a seeded sample (default 500)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)

"""`cnnvis gradcheck LAYER`: is a layer's backward pass the true gradient? Central finite
differences in float64 against the analytic gradients (cnnvis/gradcheck.py), PASS or FAIL.
Exit status 1 on FAIL."""

LAYERS = {"conv": "Conv2D", "relu": "ReLU", "maxpool": "MaxPool2D", "dense": "Dense",
          "softmax": "Softmax", "flatten": "Flatten", "dropout": "Dropout", "batchnorm": "BatchNorm2d",
          "relu6": "ReLU6", "silu": "SiLU", "sigmoid": "Sigmoid", "add": "Add", "concat": "Concat",
          "multiply": "Multiply", "gap": "GlobalAveragePool2D", "avgpool": "AvgPool2D"}


def build(args):
    """(layer, input shape(s) with the batch axis, training mode) from the options."""
    import numpy as np

    from cnnvis import layers as L
    rng = np.random.default_rng(args.seed)
    image = (args.batch, args.channels, args.size, args.size)
    kind = LAYERS[args.layer]
    if kind == "Conv2D":
        groups = args.groups or 1
        filters = args.filters or (args.channels if groups > 1 else 4)
        layer = L.Conv2D(args.channels, filters, args.kernel or 3, args.stride or 1,
                         1 if args.padding is None else args.padding, args.dilation or 1, groups,
                         name=args.layer, rng=rng)
    elif kind in ("MaxPool2D", "AvgPool2D"):
        layer = getattr(L, kind)(args.kernel or 2, args.stride, args.padding or 0, name=args.layer)
    elif kind == "Dense":
        return L.Dense(args.features, args.outputs, name=args.layer, rng=rng), (args.batch, args.features), False
    elif kind == "Softmax":
        return L.Softmax(name=args.layer), (args.batch, args.features), False
    elif kind == "Dropout":
        layer = L.Dropout(args.p, name=args.layer)
    elif kind == "BatchNorm2d":
        layer = L.BatchNorm2d(args.channels, name=args.layer)
        c = args.channels  # gamma, beta and the running statistics drawn away from 0 and 1
        layer.params = {"weight": rng.uniform(0.5, 2, c), "bias": rng.uniform(-1, 1, c)}
        layer.buffers = {"running_mean": rng.uniform(-1, 1, c), "running_var": rng.uniform(0.5, 2, c)}
    elif kind in ("Add", "Concat", "Multiply"):
        second = {"Add": image, "Concat": (args.batch, args.filters or 4, args.size, args.size),
                  "Multiply": (args.batch, args.channels, 1, 1)}[kind]
        return getattr(L, kind)(name=args.layer), [image, second], False
    else:
        layer = getattr(L, kind)(name=args.layer)
    layer.output_shape(image[1:])  # an InputError now if the sizes do not fit
    return layer, image, (kind == "Dropout" and not args.eval) or (kind == "BatchNorm2d" and args.train)


def relu6_input(shape, rng):
    """A kink-safe input that reaches past ReLU6's upper kink: the magnitudes of
    gradcheck.kink_safe_input (0.1 ... 1, evenly spaced) scaled so that 6 falls halfway between
    two of them, a quarter of the magnitudes above it."""
    import numpy as np

    from cnnvis.gradcheck import kink_safe_input
    n = int(np.prod(shape))
    k = (3 * (n - 1)) // 4  # 6 lies between the k-th and (k+1)-th magnitude
    return kink_safe_input(shape, rng) * 6 / (0.1 + 0.9 * (k + 0.5) / max(n - 1, 1))


def run(args):
    import numpy as np

    from cnnvis.gradcheck import gradcheck_layer
    layer, shape, training = build(args)
    inputs = [relu6_input(shape, np.random.default_rng(args.seed))] if args.layer == "relu6" else None
    result = gradcheck_layer(layer, shape, rule=args.rule, eps=args.eps, seed=args.seed,
                             training=training, max_entries=args.max_entries,
                             progress=False if args.quiet else None, inputs=inputs)
    if args.layer == "batchnorm":
        mode = "training mode (batch statistics)" if training else "inference mode (running statistics)"
    else:
        mode = "training mode (a fixed random mask)" if training else "inference mode"
    shapes = ", ".join(map(str, shape)) if isinstance(shape, list) else str(shape)
    print(f"input {shapes}, {mode}")
    print(result.table(entries=args.entries, tol=args.tol))
    return 0 if result.passed(args.tol) else 1


def add_parser(sub):
    from cnnvis.commands.options import fraction, nonneg_int, positive_float, positive_int
    p = sub.add_parser("gradcheck", help="check a layer's backward pass against finite differences "
                       "(float64), printing analytic vs numeric gradients and PASS/FAIL")
    p.add_argument("layer", choices=sorted(LAYERS), help="the layer type to check")
    p.add_argument("--batch", type=positive_int, default=2, help="batch size of the input (default 2)")
    p.add_argument("--channels", type=positive_int, default=3, help="input channels of every layer but "
                   "dense and softmax (default 3)")
    p.add_argument("--size", type=positive_int, default=6, help="input height and width (default 6)")
    p.add_argument("--filters", type=positive_int, help="conv output channels (default 4; with --groups, "
                   "--channels: depthwise); concat: the second input's channels (default 4)")
    p.add_argument("--kernel", type=positive_int, help="conv or pool window (default 3 for conv, 2 for "
                   "maxpool and avgpool)")
    p.add_argument("--stride", type=positive_int, help="conv or pool stride (default 1 for conv, the window "
                   "for maxpool and avgpool)")
    p.add_argument("--padding", type=nonneg_int, help="conv or pool padding on every side (default 1 for "
                   "conv, 0 for maxpool and avgpool)")
    p.add_argument("--groups", type=positive_int, help="conv groups: each output channel reads C / groups "
                   "input channels; groups = --channels is a depthwise conv (default 1)")
    p.add_argument("--dilation", type=positive_int, help="conv dilation: the kernel's taps this many "
                   "pixels apart (default 1)")
    p.add_argument("--features", type=positive_int, default=8, help="dense inputs, softmax classes (default 8)")
    p.add_argument("--outputs", type=positive_int, default=5, help="dense outputs (default 5)")
    p.add_argument("--p", type=fraction, default=0.5, help="dropout probability (default 0.5)")
    p.add_argument("--eval", action="store_true", help="check dropout in inference mode (the "
                   "identity) instead of training mode")
    p.add_argument("--train", action="store_true", help="check batchnorm in training mode (batch "
                   "statistics, the full backward) instead of inference mode (running statistics)")
    p.add_argument("--rule", choices=("gradient", "deconvnet", "guided"), default="gradient",
                   help="backward rule; at a ReLU or ReLU6, deconvnet and guided are compared with "
                   "their formula (they are not gradients); other layers ignore it (default gradient)")
    p.add_argument("--eps", type=positive_float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--tol", type=positive_float, default=1e-6, help="largest relative error that passes "
                   "(default 1e-6)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seeds the weights, input and sampling (default 0)")
    p.add_argument("--entries", type=nonneg_int, default=5, help="entries per tensor shown side by side (default 5)")
    p.add_argument("--max-entries", type=positive_int, default=500, help="check all entries of a tensor up to "
                   "this many, else a seeded sample (default 500)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)

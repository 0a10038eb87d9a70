"""`cnnvis evaluate`: which explanation can be trusted? Methods x faithfulness metrics and sanity
checks on a model and a set of images (cnnvis.evaluation.evaluate).

Writes to --out: table.txt and table.csv (method, metric, mean, std, n, better), curves.png
(every method's deletion, insertion and ROAD curves), randomization.png (the cascade of
Adebayo et al.'s Figure 2) and data-randomization.png; prints the table.
"""
import os
import sys

from cnnvis.commands.options import (
    add_image_arg,
    add_network_args,
    add_quiet_arg,
    image_input,
    images_given,
    network,
    nonneg_float,
    nonneg_int,
    output_folder,
    parse_target,
    positive_int,
    unit_interval,
)


def inputs(net, args):
    """(images uint8, network input, true labels or None) of --image, or by default the first
    --images bundled Fashion-MNIST samples, one class after another (one-channel 28x28
    networks), or the bundled photos."""
    import numpy as np

    from cnnvis.datasets import bundled_samples
    if images_given(args):
        pairs = [image_input(net, spec) for spec in images_given(args)]
        return np.stack([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]), None
    samples = bundled_samples()
    if net.input_shape == (1,) + samples.images.shape[1:3]:
        per_class = [np.flatnonzero(samples.labels == c) for c in range(len(samples.class_names))]
        order = np.array([idx[k] for k in range(max(map(len, per_class))) for idx in per_class if k < len(idx)])
        pick = order[:args.images]
        return samples.images[pick], net.preprocess(samples.images[pick]), samples.labels[pick]
    pairs = [image_input(net, name) for name in ("cat", "dog")]
    return np.stack([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]), None


def has_random_labels(args):
    """Whether there is a random-label model: --random-labels, or the bundled model's own."""
    return bool(args.random_labels) or (args.model == "bundled" and not args.weights)


def random_labels_net(args):
    from cnnvis.loading import load
    from cnnvis.models import random_labels_model
    return load(args.random_labels).eval() if args.random_labels else random_labels_model()


def run(args):
    from cnnvis.errors import InputError
    from cnnvis.evaluation import METRICS, evaluate, localisation_set
    from cnnvis.evaluation.perturbation import step_fractions
    from cnnvis.io import write_text
    from cnnvis.render.common import save_figure
    from cnnvis.render.evaluation import curves_figure, data_randomization_figure, randomization_figure
    step_fractions(args.step)  # a bad step: now, before any work
    net = network(args)
    images, x, labels = inputs(net, args)
    if args.target == "label":
        if labels is None:
            raise InputError("--target label needs the bundled samples (their true labels); with --image "
                             "give 'predicted', a class index or a class name")
        target = [int(v) for v in labels]
    else:
        target = parse_target(args.target)
    metrics = args.metrics or [m for m in METRICS if m != "data-randomization" or has_random_labels(args)]
    random_net = None
    if "data-randomization" in metrics:
        if not has_random_labels(args):
            raise InputError("the data-randomization test needs the model trained on permuted labels: give "
                             "--random-labels FILE (the bundled model has one built in)")
        random_net = random_labels_net(args)
    localisation = None
    if {"pointing-game", "energy"} & set(metrics):
        try:
            localisation = localisation_set(net)
        except InputError:
            if args.metrics:
                raise
            metrics = [m for m in metrics if m not in ("pointing-game", "energy")]
    progress = False if args.quiet else None
    result = evaluate(net, x, target, args.methods, metrics, args.step, args.baseline, args.insertion_baseline,
                      noise=args.noise, similarities=args.similarities, random_net=random_net,
                      localisation=localisation, sanity_images=args.sanity_images, seed=args.seed,
                      layer=args.layer, progress=progress)
    os.makedirs(args.out, exist_ok=True)
    written = [write_text(os.path.join(args.out, "table.txt"), result.table() + "\n"),
               write_text(os.path.join(args.out, "table.csv"), result.csv())]
    if result.curves:
        written.append(save_figure(curves_figure(result, f"{net.name}: {len(x)} images"),
                                   os.path.join(args.out, "curves.png"), dpi=args.dpi))
    if result.randomization is not None:
        written.append(save_figure(randomization_figure(result.randomization, images[0]),
                                   os.path.join(args.out, "randomization.png"), dpi=args.dpi))
    if result.data_randomization is not None:
        written.append(save_figure(data_randomization_figure(result.data_randomization, images),
                                   os.path.join(args.out, "data-randomization.png"), dpi=args.dpi))
    if not args.quiet:
        print(result.table() + "\n\nwrote " + ", ".join(written), file=sys.stderr)
    print(args.out)


def add_parser(sub):
    from cnnvis.evaluation import METHODS, METRICS, SIMILARITIES
    from cnnvis.evaluation.perturbation import BASELINES
    p = sub.add_parser("evaluate", help="faithfulness metrics and sanity checks of the methods (a table)",
                       description=__doc__.split("\n\n")[0])
    add_network_args(p)
    d = p.add_argument_group("images and targets")
    add_image_arg(d, default="default: the first --images bundled samples for one-channel 28x28 networks, "
                  "else cat and dog", many=True)
    d.add_argument("--images", type=positive_int, default=20,
                   help="how many bundled samples, one class after another (default 20)")
    d.add_argument("--target", default="predicted", help="'predicted' (default), 'label' (the samples' "
                   "true classes), a class index or name")
    e = p.add_argument_group("what to evaluate")
    e.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                   metavar="METHOD", help=f"default all: {', '.join(METHODS)}")
    e.add_argument("--metrics", nargs="+", choices=tuple(METRICS), metavar="METRIC",
                   help=f"default every one that applies: {', '.join(METRICS)}")
    e.add_argument("--layer", help="the layer of the CAM methods (default: the last conv block's ReLU)")
    s = p.add_argument_group("settings")
    s.add_argument("--step", type=unit_interval, default=0.05,
                   help="deletion and insertion step, a fraction of the pixels (default 0.05)")
    s.add_argument("--baseline", choices=BASELINES, default="zeros", help="deletion's fill (default zeros)")
    s.add_argument("--insertion-baseline", choices=BASELINES, default="blur",
                   help="insertion's start (default blur: RISE's blurred image)")
    s.add_argument("--noise", type=nonneg_float, default=0.01, help="ROAD's noise std (default 0.01)")
    s.add_argument("--similarities", nargs="+", choices=SIMILARITIES, default=list(SIMILARITIES),
                   metavar="NAME", help=f"of the randomization tests (default all: {', '.join(SIMILARITIES)})")
    s.add_argument("--sanity-images", type=positive_int, default=4,
                   help="images of the randomization tests, which recompute every map per layer (default 4)")
    s.add_argument("--random-labels", help="weights of the model trained on permuted labels (default for "
                   "the bundled model: cnnvis's own, cnnvis/data/fashion_mnist_vgg_random_labels.h5)")
    s.add_argument("--seed", type=nonneg_int, default=0, help="random control, SmoothGrad and ROAD noise, "
                   "re-initialisation (default 0)")
    o = p.add_argument_group("output")
    o.add_argument("-o", "--out", default="cnnvis-evaluate", type=output_folder, metavar="DIR",
                   help="folder of table.txt, table.csv and the figures (default ./cnnvis-evaluate); its "
                        "path is printed on stdout, the table on stderr")
    o.add_argument("--dpi", type=positive_int, default=110, help="resolution of the figures (default 110)")
    add_quiet_arg(o)
    p.set_defaults(func=run)

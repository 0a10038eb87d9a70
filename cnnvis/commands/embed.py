"""`cnnvis embed`: PCA or t-SNE of an image set's penultimate-layer features, coloured by label:
one figure of --source, or a dataset run (IMAGE ..., --out DIR: commands/dataset.py)."""
import os

from cnnvis.commands.options import (
    add_network_args,
    add_output_args,
    add_resize_arg,
    image_source,
    nonneg_int,
    positive_float,
    positive_int,
)


def labelled(folder):
    """(paths or None, labels, class names) of a folder: one class per subfolder of images
    (torchvision's ImageFolder layout), or (None, None, None) for a flat folder."""
    from cnnvis.datasets.stream import image_names
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)) and not d.startswith(".")
                     and image_names(os.path.join(folder, d)))
    if image_names(folder) or not classes:
        return None, None, None
    paths, labels = [], []
    for k, name in enumerate(classes):
        for f in image_names(os.path.join(folder, name)):
            paths.append(os.path.join(folder, name, f))
            labels.append(k)
    return paths, labels, classes


def run(args):
    import numpy as np

    from cnnvis.commands.dataset import run_dataset, source_or_dataset
    from cnnvis.commands.session import Run, dataset_images
    from cnnvis.datasets import bundled_samples, fashion_mnist
    from cnnvis.methods.embedding import classifier, embedding
    from cnnvis.render.embedding import embedding_figure
    sources = source_or_dataset(args, args.images)
    if sources:
        from cnnvis import scale
        return run_dataset(args, lambda spec, batch_size, resize, layer: scale.EmbedJob(
            method=args.method, layer=layer(args.layer), perplexity=args.perplexity, seed=args.seed,
            thumbnails=args.thumbnails, network=spec, batch_size=batch_size, resize=resize), sources, args.out,
            limit=args.limit)
    run = Run(args, "embed")
    net = run.net
    size = tuple(args.size) if args.size else None
    if args.source in ("bundled", "fashion-mnist"):
        source = bundled_samples() if args.source == "bundled" else fashion_mnist("test")
        labels, class_names = source.labels, list(source.class_names)
    else:
        paths, labels, class_names = labelled(args.source)
        source = args.source if paths is None else paths
    images = np.stack(list(dataset_images(run, source, size, args.limit)))
    x = net.preprocess(images)
    if labels is None:  # a flat folder: its points coloured by what the network predicts, if it can
        if classifier(net) is not None:
            from cnnvis.methods.predictions import top_k
            labels = top_k(net, x, 1).classes[:, 0]
            class_names = net.class_names or [str(k) for k in range(int(labels.max()) + 1)]
            run.say("a folder without class subfolders: the points are coloured by the predicted class")
        else:
            labels, class_names = np.zeros(len(x), int), [os.path.basename(os.path.normpath(args.source))]
    emb = embedding(net, x, np.asarray(labels)[:len(x)], args.method, run.layer(args.layer), args.perplexity, args.seed,
                    progress=False if args.quiet else None)
    run.save(embedding_figure(emb, class_names=class_names, images=images, thumbnails=args.thumbnails,
                              seed=args.seed))


def add_parser(sub):
    from cnnvis.commands.dataset import DATASET_HELP, add_dataset_args
    p = sub.add_parser("embed", help="PCA / t-SNE scatter of penultimate-layer features")
    p.add_argument("images", nargs="*", metavar="IMAGE", help=DATASET_HELP + "; a CSV's targets are the "
                   "labels (else the predicted classes)")
    add_network_args(p)
    p.add_argument("--source", default="bundled", type=image_source(("fashion-mnist",)),
                   help="'bundled' (the 100 bundled Fashion-MNIST samples, default), 'fashion-mnist' (its "
                        "test set), or a folder of images: one class per subfolder, or a flat folder "
                        "(coloured by the predicted class)")
    p.add_argument("--size", type=positive_int, nargs=2, metavar=("H", "W"),
                   help="fit the images to H x W (default the network's input size; a network that takes "
                        "any size, e.g. --model hed, runs faster on small ones)")
    add_resize_arg(p)
    p.add_argument("--limit", type=positive_int, help="use only the first N images")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca",
                   help="tsne needs scikit-learn: pip install 'cnnvis[embed]'")
    p.add_argument("--layer", help="features of this layer (default the one before the logits)")
    p.add_argument("--perplexity", type=positive_float, default=30.0, help="t-SNE perplexity (default 30)")
    p.add_argument("--thumbnails", type=nonneg_int, default=0, help="draw this many images at their points")
    p.add_argument("--seed", type=nonneg_int, default=0)
    add_output_args(p, folder=True)
    add_dataset_args(p)
    p.set_defaults(func=run)

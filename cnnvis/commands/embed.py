"""`cnnvis embed`: PCA or t-SNE of a labelled image set's penultimate-layer features."""
from cnnvis.commands.options import (
    add_network_args,
    add_output_args,
    network,
    nonneg_int,
    positive_float,
    positive_int,
)


def run(args):
    from cnnvis.datasets import bundled_samples, fashion_mnist
    from cnnvis.methods.embedding import embedding
    from cnnvis.render.embedding import save_embedding
    net = network(args)
    data = bundled_samples() if args.source == "bundled" else fashion_mnist("test")
    if args.limit:
        data = data.subset(slice(0, args.limit))
    emb = embedding(net, net.preprocess(data.images), data.labels, args.method, args.layer,
                    args.perplexity, args.seed, progress=False if args.quiet else None)
    print(save_embedding(emb, args.out, class_names=data.class_names, images=data.images,
                         thumbnails=args.thumbnails, seed=args.seed))


def add_parser(sub):
    p = sub.add_parser("embed", help="PCA / t-SNE scatter of penultimate-layer features")
    add_network_args(p)
    p.add_argument("--source", choices=("bundled", "fashion-mnist"), default="bundled",
                   help="the bundled 100 samples (default) or the Fashion-MNIST test set")
    p.add_argument("--limit", type=positive_int, help="use only the first N images")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca",
                   help="tsne needs scikit-learn: pip install 'cnnvis[embed]'")
    p.add_argument("--layer", help="features of this layer (default the one before the logits)")
    p.add_argument("--perplexity", type=positive_float, default=30.0, help="t-SNE perplexity (default 30)")
    p.add_argument("--thumbnails", type=nonneg_int, default=0, help="draw this many images at their points")
    p.add_argument("--seed", type=nonneg_int, default=0)
    add_output_args(p, "embedding.png")
    p.set_defaults(func=run)

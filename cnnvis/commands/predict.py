"""`cnnvis predict IMAGE`: the top-k classes of an image as a bar chart beside it; for a
network without classes, its most active last-layer channels (the units to explain). Many
images (IMAGE ..., folders, CSV files of path,label rows) with --out DIR: commands/dataset.py."""
from cnnvis.commands.options import add_image_arg, add_network_args, add_output_args, add_resize_arg, positive_int


def true_label(run):
    """The class name of a bundled sample (sample:K) on a network with the samples' classes."""
    from cnnvis.datasets import bundled_samples
    if not (run.spec or "").startswith("sample:"):
        return None
    data = bundled_samples()
    name = data.class_names[data.labels[int(run.spec.split(":")[1])]]
    return name if run.net.class_names == list(data.class_names) else None


def run(args):
    from cnnvis.commands.dataset import dataset_sources, run_dataset
    from cnnvis.commands.options import images_given
    from cnnvis.commands.session import Run
    from cnnvis.methods.feature_maps import feature_maps
    from cnnvis.methods.predictions import top_k
    from cnnvis.render.predictions import channels_figure, predictions_figure
    sources = dataset_sources(args, images_given(args), args.out)
    if sources:
        from cnnvis import scale
        return run_dataset(args, lambda spec, batch_size, resize, layer: scale.PredictJob(
            k=args.k, network=spec, batch_size=batch_size, resize=resize), sources, args.out)
    run = Run(args, "predict", image=True)
    net, seen = run.net, run.fit.seen()
    if run.has_classes():
        pred = top_k(net, run.x, args.k)
        for name, p in zip(pred.names[0], pred.probabilities[0]):
            print(f"{p:8.2%}  {name}")
        fig = predictions_figure(run.fit.original, pred, label=true_label(run), seen=seen)
    else:
        channels = net.output_shapes(run.x.shape[1:])[net.output][0]
        maps = feature_maps(net, run.x, net.output, sort=True, top_k=min(args.k, channels))
        run.warn(f"{net.name} has no classes (its last layer {net.output} outputs feature maps): showing its "
                 f"{len(maps.channels[0])} most active channels instead; explain one with --target "
                 f"{net.output}:{maps.channels[0, 0]}")
        for c, m in zip(maps.channels[0], maps.means[0]):
            print(f"{m:10.4g}  {net.output}:{c}")
        fig = channels_figure(run.fit.original, maps, seen=seen)
    run.save(fig)


def add_parser(sub):
    from cnnvis.commands.dataset import add_dataset_args
    p = sub.add_parser("predict", help="top-k predicted classes of an image (or of many: --out DIR)")
    add_image_arg(p, many=True)
    add_network_args(p, photo_default=True)
    add_resize_arg(p)
    p.add_argument("--k", type=positive_int, default=5, help="how many classes (default 5)")
    add_output_args(p, folder=True)
    add_dataset_args(p)
    p.set_defaults(func=run)

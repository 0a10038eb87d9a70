"""`cnnvis top-patches`: the image patches where chosen channels fire most in a dataset: one
figure of --source, or a dataset run (IMAGE ..., --out DIR: commands/dataset.py)."""
from cnnvis.commands.options import add_network_args, add_output_args, add_resize_arg, image_source, ints, positive_int


def run(args):
    from cnnvis.commands.dataset import run_dataset, source_or_dataset
    from cnnvis.commands.session import Run, dataset_images
    from cnnvis.methods.targets import Unit
    from cnnvis.methods.top_patches import top_patch_projections, top_patches
    from cnnvis.render.top_patches import top_patches_figure
    sources = source_or_dataset(args, args.images)
    if sources:
        from cnnvis import scale
        return run_dataset(args, lambda spec, batch_size, resize, layer: scale.TopPatchesJob(
            layer=layer(args.layer), channels=tuple(args.channels), k=args.k, inside=args.inside, project=args.project,
            network=spec, batch_size=batch_size, resize=resize), sources, args.out)
    run = Run(args, "top-patches")
    net = run.net
    size = tuple(args.size) if args.size else None
    layer = run.layer(args.layer)
    units = [Unit(layer, c) for c in args.channels]
    result = top_patches(net, dataset_images(run, args.source, size), units, args.k, args.batch_size,
                         inside=args.inside, progress=False if args.quiet else None)
    projections = top_patch_projections(net, result, args.project) if args.project else None
    label = {"deconvnet": "deconvnet projection", "guided": "guided backprop"}.get(args.project)
    run.save(top_patches_figure(result, projections, net, per_unit=args.k, projection_title=label))


def add_parser(sub):
    from cnnvis.commands.dataset import DATASET_HELP, add_dataset_args
    p = sub.add_parser("top-patches", help="maximally activating patches of channels over a dataset")
    p.add_argument("images", nargs="*", metavar="IMAGE", help=DATASET_HELP)
    add_network_args(p)
    p.add_argument("--layer", required=True, help="the layer of the channels")
    p.add_argument("--channels", type=ints, default=[0, 1, 2, 3], help="e.g. 0,3,5 or 0-7 (default 0-3)")
    p.add_argument("--source", default="bundled", type=image_source(),
                   help="'bundled' (the Fashion-MNIST samples, default) or a folder of images")
    p.add_argument("--size", type=positive_int, nargs=2, metavar=("H", "W"),
                   help="fit the images to H x W (default the network's input size)")
    add_resize_arg(p)
    p.add_argument("--k", type=positive_int, default=9, help="patches per channel (default 9)")
    p.add_argument("--batch-size", type=positive_int, default=32, help="images per forward pass (default 32)")
    p.add_argument("--inside", action="store_true",
                   help="only units whose whole receptive field lies inside the image")
    p.add_argument("--project", choices=("deconvnet", "guided"),
                   help="show each patch's deconvnet (or guided backprop) projection beside it")
    add_output_args(p, folder=True)
    add_dataset_args(p, batch_size=False)
    p.set_defaults(func=run)

"""The dataset form of the image commands (explain, predict, top-patches, embed): many images
in, a folder of pictures, arrays, tables and a manifest out, through cnnvis.scale.

    cnnvis explain photos/ more.jpg labels.csv -m gradcam --out results/
    cnnvis predict photos/ --out predictions/ --scheduler processes
    cnnvis top-patches photos/ --layer block5_conv3 --out patches/ --scheduler tcp://10.0.0.5:8786

A command runs over a dataset when its --out is a folder (a path ending in '/', or an existing
folder whose name has no extension); its images are then every IMAGE given: image files, folders
(recursively, the files with an extension of --ext) and CSV files of path,target rows. Several
images, a folder or a CSV file need a folder --out; one image and --out FILE.png is the
one-picture command. The run is resumable (the same command again does what is left: --restart
to redo all), its progress on stderr unless -q, and the path of its manifest on stdout; exit
status 1 when an image could not be read (the manifest lists it). docs/dask.md says more.
"""
import os
import sys

from cnnvis.commands.options import positive_int
from cnnvis.errors import InputError

DATASET_HELP = ("a dataset run (with --out DIR): image files, folders of them (recursively) and CSV files of "
                "path,target rows")
SCHEDULER_HELP = ("where the shards run: in-process (default, or $DASK_SCHEDULER_ADDRESS "
                  "when set), processes (a local cluster of --workers worker processes), or a Dask "
                  "scheduler's address tcp://HOST:PORT (needs pip install 'cnnvis[scale]')")


def add_dataset_args(p, batch_size=True):
    """The options of a dataset run (--out DIR), in a group returned for a command's own;
    batch_size: add --batch-size (a command that has its own does not)."""
    g = p.add_argument_group("dataset runs (several images, a folder or a CSV file of path,target rows "
                             "with --out DIR; see docs/dask.md)")
    g.add_argument("--scheduler", help=SCHEDULER_HELP)
    g.add_argument("--workers", type=positive_int, default=2, help="the local cluster's worker processes "
                   "(--scheduler processes; default 2)")
    g.add_argument("--shard-size", type=positive_int, default=64, help="images per shard, the unit of work, of "
                   "retry and of resuming (default 64; a multiple of the batch size)")
    g.add_argument("--ext", default=None, help="the image files a folder contributes, e.g. .jpg,.png "
                   "(default: every image format cnnvis reads)")
    if batch_size:
        g.add_argument("--batch-size", type=positive_int, default=32, help="images per forward pass (default 32)")
    g.add_argument("--restart", action="store_true", help="recompute every shard, also those an earlier "
                   "run of the same command finished")
    return g


def is_folder(out):
    """Whether an --out names a folder: a path ending in '/', or an existing folder whose name
    has no extension (out.png is always a picture; a new name without an extension is an
    error, a picture whose extension was forgotten)."""
    return bool(out) and (out.endswith(("/", os.sep)) or (os.path.isdir(out) and not os.path.splitext(out)[1]))


def is_dataset(sources):
    """Whether the images given are a dataset: more than one, a folder or a CSV file."""
    return len(sources) > 1 or any(os.path.isdir(s) or s.lower().endswith(".csv") for s in sources)


def dataset_sources(args, sources, out):
    """The sources of a dataset run, or None for the one-picture command. An InputError for a
    dataset given a picture --out."""
    sources = [s for s in sources if s]
    if is_folder(out):
        if not sources:
            raise InputError("--out is a folder, for a dataset run: give the images (files, folders, "
                             "CSV files of path,target rows) as IMAGE arguments")
        return sources
    if is_dataset(sources):
        what = (f"several images ({', '.join(map(repr, sources))})" if len(sources) > 1 else
                f"{'a folder' if os.path.isdir(sources[0]) else 'a CSV file'} ({sources[0]})")
        raise InputError(f"{what} make a dataset run, which writes a folder of outputs: give --out DIR"
                         + (f", not the file {out}" if out else "") + ", or one image")
    return None


def source_or_dataset(args, given):
    """For top-patches and embed: the sources of a dataset run (IMAGE ..., or a --source
    folder with --out DIR), or None for the one figure of --source."""
    if given and not is_folder(args.out):
        raise InputError("IMAGE arguments make a dataset run, which writes a folder of outputs: give --out DIR "
                         "(or --source FOLDER for one figure)")
    folder_source = [] if args.source in ("bundled", "fashion-mnist") else [args.source]
    sources = dataset_sources(args, given or (folder_source if is_folder(args.out) else []), args.out)
    if sources and getattr(args, "size", None):
        raise InputError("--size is for the one figure of --source; a dataset run reads the images at the "
                         "network's input size")
    return sources


def extensions(args):
    from cnnvis.datasets.stream import IMAGE_EXTENSIONS
    if not args.ext:
        return IMAGE_EXTENSIONS
    return tuple(e.strip() for e in args.ext.split(",") if e.strip())


def unit_through(item, layer):
    """The Item with a CSV row's unit target on the node layer(name, option) selects."""
    import dataclasses

    from cnnvis.methods.targets import Unit
    if not isinstance(item.target, Unit):
        return item
    return dataclasses.replace(item, target=dataclasses.replace(item.target, layer=layer(item.target.layer,
                                                                                          "a CSV target's layer")))


def run_dataset(args, make_job, sources, out, limit=None):
    """scale.run of make_job(network_spec, batch_size, resize, layer) over ``sources`` (its first
    ``limit`` images) into the folder ``out``, as the options say; the manifest's path on
    stdout, a summary on stderr (unless -q). Exit status: 0, or 1 when some images could not
    be read. Without --model, the first image picks the default model, as IMAGE does; layer(name,
    option): the node a layer option selects (Keras weights: a conv's name means its activation);
    a CSV file's unit targets go through it too."""
    from cnnvis import scale
    from cnnvis.commands.options import read_image
    from cnnvis.commands.session import default_model, random_weights_warning
    quiet = getattr(args, "quiet", False)

    def say(message):
        if not quiet:
            print(message, file=sys.stderr)

    items = scale.collect(sources, extensions(args), exclude=out)[:limit]
    if args.model is None and not args.weights:
        args.model = default_model(items[0].path, read_image(items[0].path), say, lambda m: print(m, file=sys.stderr))
    if random_weights_warning(args):
        print(random_weights_warning(args), file=sys.stderr)
    spec = scale.NetworkSpec(args.model or "bundled", args.weights)

    said = set()

    def layer(name, option="--layer"):
        """The node a layer name selects (methods.targets.layer_node), said once, as Run.layer says it."""
        from cnnvis.methods.targets import layer_node
        from cnnvis.scale.network import network
        node = None if name is None else layer_node(network(spec), name)  # the network run() then uses
        if node != name and (option, name) not in said:
            said.add((option, name))
            say(f"{option} {name}: node {node}")
        return node

    items = [unit_through(item, layer) for item in items]
    job = make_job(spec, args.batch_size, getattr(args, "resize", "auto"), layer)
    manifest = scale.run(job, items, out, scheduler=args.scheduler, shard_size=args.shard_size, n_workers=args.workers,
                         resume=not args.restart, quiet=quiet)
    images = manifest["images"]
    resumed = sum(s["status"] == "resumed" for s in manifest["shards"])
    say(f"{job.kind}: {images['done']} of {images['total']} images done"
        + (f", {resumed} of {len(manifest['shards'])} shards from an earlier run" if resumed else "")
        + f" ({manifest['scheduler']}); outputs in {out}")
    for failed in manifest["failed"]:
        print(f"could not read {failed['path']}: {failed['error']}", file=sys.stderr)
    print(os.path.join(os.path.abspath(out), "manifest.json"))
    return 1 if images["failed"] else 0

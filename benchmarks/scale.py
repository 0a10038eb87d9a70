"""Dataset runs (cnnvis/scale): images per second over a folder, in this process against a
local Dask cluster of 2 worker processes, and what a cluster of N machines would give.

    python benchmarks/scale.py --repeats 3          # 300 images, ResNet-18 (random weights), Grad-CAM
    python benchmarks/scale.py --quick              # 24 images, the bundled model (a check that it runs)

The folder: the six bundled photos and variants of them (flips, a rotation, crops resized back
to 224x224), written as JPEGs to a temporary folder. Sides, timed interleaved (A B C A B C ...):
  in-process, 1 thread    one core: the unit of the estimate below
  in-process, 2 threads   cnnvis's kernels split over both cores, one process
  local cluster, 2 x 1    scheduler='processes': two worker processes of one thread each
Images per second count the shards' phase (the cluster's start is given apart: it is paid
once per run; its workers' building of the network is in the phase); each run starts afresh
(resume=False). The arrays are written, not the
pictures (matplotlib's drawing is measured apart, per picture, with --pictures).
The cluster is timed started and warm (what a long run sees); a cold scheduler='processes'
run is timed once for its start and its workers' warm-up. The estimate for N machines of c
cores: shards of S images, t seconds per image on one worker while every core works (measured
in the cluster's shards: on this machine two busy cores are each slower than one alone), o
seconds of overhead per shard
(measured: the warm cluster's wall time times its workers, less the shards' own seconds, per
shard: scheduling, records, the last wave's idle worker) and the reduction r (measured on the
client: the top-patches merge reads every shard's k patches per channel; the embedding
gathers N x D features and runs one PCA), for M images:
    T(N) = start + warm-up + ceil(M / S / (N c)) (S t + o) + r.
"""
from common import header, parse, table


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="24 images and the bundled model (checks the script)")
    p.add_argument("--images", type=int, default=300, help="images in the folder (default 300)")
    p.add_argument("--model", default="resnet18", help="a model name of cnnvis.scale.NetworkSpec (default resnet18)")
    p.add_argument("--method", default="gradcam", help="the explain method timed (default gradcam)")
    p.add_argument("--shard-size", type=int, default=32, help="images per shard (default 32)")
    p.add_argument("--pictures", action="store_true", help="also time drawing and writing one picture per image")


def variants(n, folder):
    """n images from the bundled photos: each photo, flipped, rotated, and cropped, as JPEGs."""
    import os

    import numpy as np
    from PIL import Image

    from cnnvis.images import SAMPLES, load_image
    rng = np.random.default_rng(0)
    photos = [Image.fromarray(load_image(name, size=(224, 224))) for name in SAMPLES]
    fixed = (lambda im: im, lambda im: im.transpose(Image.FLIP_LEFT_RIGHT),
             lambda im: im.transpose(Image.FLIP_TOP_BOTTOM), lambda im: im.transpose(Image.ROTATE_180))
    for k in range(n):
        photo, v = photos[k % len(photos)], k // len(photos)
        if v < len(fixed):
            image = fixed[v](photo)
        else:
            side = int(rng.integers(120, 200))
            r, c = (int(x) for x in rng.integers(0, 224 - side, size=2))
            image = photo.crop((c, r, c + side, r + side)).resize((224, 224), Image.BILINEAR)
            image = image.transpose(Image.FLIP_LEFT_RIGHT) if v % 2 else image
        image.save(os.path.join(folder, f"{SAMPLES[k % len(photos)]}-{v:03d}.jpg"), quality=90)
    return folder


def one_thread_if(on):
    """tests/scale_data.one_thread() (this process on one thread, as a cluster worker) when ``on``."""
    import contextlib
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    from scale_data import one_thread
    return one_thread() if on else contextlib.nullcontext()


def main():
    args = parse("Dataset runs: in-process against a local Dask cluster, and on paper", add_arguments)
    import math
    import os
    import shutil
    import statistics
    import tempfile
    from importlib import metadata

    import cnnvis
    cnnvis.cpu_setup()
    from cnnvis import scale
    from cnnvis.scale.execute import executor
    if args.quick:
        args.images, args.model, args.shard_size = 24, "bundled", 8
    header("Dataset runs: images per second, in-process vs a local Dask cluster of 2 workers")
    print(f"dask {metadata.version('dask')}, distributed {metadata.version('distributed')}; {args.images} images, "
          f"model {args.model}, method {args.method}, shard size {args.shard_size}, arrays written (.npy)\n")
    work = tempfile.mkdtemp(prefix="cnnvis-scale-bench-")
    try:
        os.makedirs(os.path.join(work, "images"))
        folder = variants(args.images, os.path.join(work, "images"))
        job = scale.ExplainJob(methods=(args.method,), network=scale.NetworkSpec(args.model), pictures=None)
        items = scale.collect(folder)
        scale.run(job, items[:args.shard_size], os.path.join(work, "warm"), quiet=True)  # caches, this process's net
        cold = scale.run(job, folder, os.path.join(work, "cold"), scheduler="processes", shard_size=args.shard_size,
                         quiet=True)
        with executor("processes", 2) as ex:  # a cluster as scheduler='processes' starts, kept warm
            address = ex.cluster.scheduler_address
            scale.run(job, items[:4 * args.shard_size], os.path.join(work, "warm-cluster"), scheduler=address,
                      shard_size=args.shard_size, quiet=True)
            sides = {"in-process, 1 thread": ("in-process", True), "in-process, 2 threads": ("in-process", False),
                     "local cluster, 2 x 1": (address, False)}
            runs = {name: [] for name in sides}
            for r in range(args.repeats):
                for name, (scheduler, single) in sides.items():
                    with one_thread_if(single):
                        m = scale.run(job, folder, os.path.join(work, f"{r}-{len(runs[name])}-{single}-{name[:5]}"),
                                      scheduler=scheduler, shard_size=args.shard_size, resume=False, quiet=True)
                    runs[name].append(m)
        rate = {name: statistics.median(args.images / m["seconds"]["shards"] for m in ms) for name, ms in runs.items()}
        base = rate["in-process, 1 thread"]
        rows = [[name, f"{rate[name]:.2f}", f"{rate[name] / base:.2f}"] for name in sides]
        table(rows, ["side (the cluster already started and warm)", "images/s", "scaling vs 1 thread"])
        same = all(m["outputs"] == cold["outputs"] for ms in runs.values() for m in ms)
        print(f"every side wrote the same {len(cold['outputs'])} files: {same}")
        warm_up = cold["seconds"]["shards"] - args.images / rate["local cluster, 2 x 1"]
        print(f"a cold scheduler='processes' run also pays {cold['seconds']['startup']:.1f} s to start the cluster "
              f"and {warm_up:.1f} s more in its shards (each worker imports cnnvis and builds the network): "
              f"{cold['seconds']['total']:.1f} s in all\n")

        cluster = runs["local cluster, 2 x 1"][-1]
        shards = cluster["shards"]
        busy = sum(s["seconds"] for s in shards)  # the workers' seconds inside shards, both cores working
        t = busy / args.images
        overhead = max(0.0, (2 * cluster["seconds"]["shards"] - busy) / len(shards))
        reduce_rows, merge = [], {}
        for name, reduced in (("top-patches (4 channels, k=9)", scale.TopPatchesJob(
                layer=_last_conv(job), channels=(0, 1, 2, 3), network=job.network)),
                ("embed (PCA)", scale.EmbedJob(network=job.network))):
            out = os.path.join(work, reduced.kind)
            m = scale.run(reduced, folder, out, shard_size=args.shard_size, quiet=True)
            merge[reduced.kind] = _merge_seconds(reduced, out, m)
            reduce_rows.append([name, f"{m['seconds']['reduce']:.3f}", f"{merge[reduced.kind][0]:.3f}",
                                f"{merge[reduced.kind][1] * 1000:.2f}"])
        table(reduce_rows, ["reduction (on the client)", f"s in all, {args.images} images",
                            "s without drawing", "ms per further shard"])
        startup = cold["seconds"]["startup"] + warm_up
        top_r = merge["top-patches"][1]
        print(f"On paper, the {args.method} run over M = 50,000 images: shards of S = {args.shard_size}, t = {t:.3f} s "
              f"per image on one worker while every core works (alone on the machine: {1 / base:.3f} s),\n"
              f"o = {overhead:.3f} s per shard (the warm cluster's idle and scheduling time), "
              f"{startup:.0f} s to start and warm up:")
        paper = []
        for machines in (1, 2, 4, 8, 16, 32):
            cores = 2 * machines
            waves = math.ceil(50_000 / args.shard_size / cores)
            total = startup + waves * (args.shard_size * t + overhead)
            paper.append([machines, cores, waves, f"{total / 60:.1f}", f"{50_000 / total:.1f}"])
        table(paper, ["machines (2 cores)", "workers", "shard waves", "minutes", "images/s"])
        shards_m = math.ceil(50_000 / args.shard_size)
        print(f"The shards are independent: the compute divides by the workers until a wave is one shard per worker. "
              f"A top-patches run\nadds its merge on the client, {top_r * 1000:.1f} ms per shard (and its k patches per channel): "
              f"{top_r * shards_m:.0f} s for the {shards_m} shards; an embedding gathers 50,000 x D features and "
              f"runs one PCA\n(here {merge['embed'][0]:.2f} s for {args.images} images; the SVD grows as N D min(N, D)).")
        if args.pictures:
            pictured = scale.ExplainJob(methods=(args.method,), network=job.network, arrays=None)
            m = scale.run(pictured, scale.collect(folder)[:args.shard_size], os.path.join(work, "pictures"), quiet=True)
            per = m["seconds"]["shards"] / args.shard_size - 1 / rate["in-process, 2 threads"]
            print(f"\nDrawing and writing one picture per image adds about {per:.2f} s per image (matplotlib).")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _merge_seconds(job, out, manifest):
    """(seconds of the job's reduction without its drawing, seconds per further shard): top
    patches' merge of the shards' parts (timed over all shards and over one), or the
    embedding's gathering of features and its PCA."""
    import json
    import time

    from cnnvis.scale.layout import Layout
    from cnnvis.scale.network import network
    layout, net = Layout(out), network(job.network)
    records = []
    for s in manifest["shards"]:
        with open(layout.path(layout.record(s["index"]))) as f:
            records.append(json.load(f))
    reduce = job.merged if job.kind == "top-patches" else job.embedding
    seconds = []
    for some in (records, records[:1]):
        start = time.perf_counter()
        reduce(net, layout, some)
        seconds.append(time.perf_counter() - start)
    return seconds[0], max(0.0, seconds[0] - seconds[1]) / max(1, len(records) - 1)


def _last_conv(job):
    """The last 4-D layer output of the job's network: where top patches are sought."""
    from cnnvis.scale.network import network
    net = network(job.network)
    shapes = net.output_shapes()
    return [name for name in shapes if len(shapes[name]) == 3][-1]


if __name__ == "__main__":
    main()

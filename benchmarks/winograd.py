"""Winograd 3x3 convolutions (engine/winograd.py) on ResNet-18's shapes: its two tile-row
layouts against each other and against PyTorch's F.conv2d, in the same run (float32, forward).

    python benchmarks/winograd.py            # AVX-512 BLAS kernels where the CPU has them
    python benchmarks/winograd.py --quick    # two cases (checks the script)

Whole maps at batch 16 (a forward pass), and at batch 64 the windows an occlusion sweep
recomputes (methods/occlusion_incremental.py: a slab without padding around the window).
'filler' gives each tile row one filler slot so that the transforms vectorize over a whole
chunk; 'compact' has none, so the GEMMs do 1/(tw + 1) less work (tw: tiles per row);
conv3x3 picks one (winograd.row_slots; the 'cnnvis' column, its choice named).
The input gradient runs the same code with the flipped kernel.
"""
from common import header, parse, setup_torch, table, time_ab

CASES = [  # name, x shape (N, C, H, W), pad per side
    ("layer1 map", (16, 64, 56, 56), 1),
    ("layer2 map", (16, 128, 28, 28), 1),
    ("layer3 map", (16, 256, 14, 14), 1),
    ("layer4 map", (16, 512, 7, 7), 1),
    ("layer1 window", (64, 64, 15, 15), 0),
    ("layer2 window", (64, 128, 12, 12), 0),
    ("layer3 window", (64, 256, 10, 10), 0),
    ("layer4 window", (64, 512, 7, 7), 0),
    ("layer4 whole", (64, 512, 7, 7), 1),
]


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="two cases (checks the script)")


def with_filler_channels(winograd, value, fn):
    """fn() with winograd.FILLER_CHANNELS set to value: 0 forces compact rows, a huge value the filler."""
    def run():
        saved, winograd.FILLER_CHANNELS = winograd.FILLER_CHANNELS, value
        try:
            return fn()
        finally:
            winograd.FILLER_CHANNELS = saved
    return run


def main():
    args = parse(__doc__, add_arguments)  # first: it may restart the process with other BLAS kernels
    torch = setup_torch()
    import numpy as np

    from cnnvis.engine import winograd
    from cnnvis.engine.parallel import single_threaded_blas
    header("Winograd F(2x2, 3x3): tile-row layouts and PyTorch")
    rng = np.random.default_rng(0)
    rows = []
    for name, shape, p in CASES[3:5] if args.quick else CASES:
        n, c, h, w = shape
        x = rng.standard_normal(shape).astype(np.float32)
        k = (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
        b = rng.standard_normal(c).astype(np.float32)
        pads = (p,) * 4
        tw = (w + 2 * p - 1) // 2
        chosen = "filler" if winograd.row_slots(c, tw) > tw else "compact"
        xt, kt, bt = (torch.from_numpy(a) for a in (x, k, b))
        sides = {"cnnvis": lambda: winograd.conv3x3(x, k, b, pads),
                 "compact": with_filler_channels(winograd, 0, lambda: winograd.conv3x3(x, k, b, pads)),
                 "filler": with_filler_channels(winograd, 10 ** 9, lambda: winograd.conv3x3(x, k, b, pads)),
                 "torch": lambda: torch.nn.functional.conv2d(xt, kt, bt, 1, p)}
        with winograd.fixed_weights(), single_threaded_blas():
            ref = sides["torch"]().numpy()
            err = max(np.abs(sides[s]() - ref).max() for s in ("compact", "filler")) / np.abs(ref).max()
            t = time_ab(sides, args.repeats)
        rows.append((name, f"{shape}, pad {p}", tw, chosen, f"{t['cnnvis'] * 1e3:.2f}", f"{t['compact'] * 1e3:.2f}",
                     f"{t['filler'] * 1e3:.2f}", f"{t['torch'] * 1e3:.2f}", f"{t['cnnvis'] / t['torch']:.2f}",
                     f"{t['filler'] / t['compact']:.2f}", f"{err:.1e}"))
    table(rows, ("case", "x shape", "tiles per row", "cnnvis layout", "cnnvis ms", "compact ms", "filler ms",
                 "torch ms", "ratio cnnvis/torch", "filler/compact", "max |diff| / max |torch|"))


if __name__ == "__main__":
    main()

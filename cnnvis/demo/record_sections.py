"""Report sections from records: the training run that produced the bundled model (its curves,
its first-layer filters and class models epoch by epoch, transfer learning), and the
teaching trace of the backprop rules."""
import json
from importlib import resources

import numpy as np

from ..render.common import new_figure, to_uint8
from ..render.training import accuracy_comparison_figure, history_figure, save_gif
from ..teaching import trace_report
from ..training.history import History

RECORD = "fashion_mnist_training.npz"  # written by scripts/record_training.py from the training run


def _record():
    path = resources.files("cnnvis") / "data" / RECORD
    with np.load(str(path), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def training(report, ctx):
    with report.section("13. Training: filters that evolve", "How the bundled model was made: cnnvis "
                        "trained it with its own backward passes (Adam, cosine learning rate, dropout, "
                        "flips; the command is in the record). Loss and accuracy per epoch, then the "
                        "first-layer filters and the class models (activation maximization of each "
                        "logit) at every epoch, from the run's per-epoch checkpoints. These are "
                        "recorded, not recomputed: training takes about 20 minutes on 2 cores.",
                        {"record": f"cnnvis/data/{RECORD}"}) as s:
        rec = _record()
        s.text(f"<code>{rec['command']}</code>")
        run = json.loads(str(rec["history_json"]))
        history = History(run["config"], run["epochs"])
        s.figure(history_figure(history, title="the bundled model's training"), "curves",
                 f"test accuracy after the last epoch: {float(rec['history_test_acc'][-1]):.2%} "
                 "(10,000 Fashion-MNIST test images)")
        s.gif(lambda p: save_gif(_filter_frames(rec["filters"]), p, seconds_per_frame=0.7), "filters",
              "block1_conv1's 32 kernels at epochs 0 (random) to 10")
        s.gif(lambda p: save_gif(_class_frames(rec["class_models"], rec["class_names"]), p,
                                 seconds_per_frame=0.7), "class-models",
              "the class models at epochs 0 to 10")
        if "transfer_epochs" in rec:
            curves = {"frozen Fashion-MNIST conv base + new head": rec["transfer_frozen"],
                      "same network from scratch": rec["transfer_scratch"]}
            s.figure(accuracy_comparison_figure(curves, "transfer learning: Fashion-MNIST -> MNIST digits"),
                     "transfer", str(rec["transfer_note"]))


def _grid(tiles, cols, zoom):
    """Tiles (K, h, w) in [0, 1] -> one uint8 image, tiles spaced by one pixel."""
    k, h, w = tiles.shape
    rows = -(-k // cols)
    out = np.ones((rows * (h + 1) + 1, cols * (w + 1) + 1))
    for n, t in enumerate(tiles):
        r, c = divmod(n, cols)
        out[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = t
    return to_uint8(255 * np.kron(out, np.ones((zoom, zoom))))


def _filter_frames(filters):
    """(epochs, O, 1, 3, 3) kernels -> frames on one symmetric scale per epoch (grey = 0)."""
    frames = []
    for epoch, w in enumerate(filters):
        scale = np.abs(w).max() or 1.0
        frames.append(_labelled(_grid(0.5 + w[:, 0] / (2 * scale), 8, 12), f"epoch {epoch}"))
    return frames


def _class_frames(images, class_names):
    """(epochs, classes, H, W) uint8 class models -> one labelled frame per epoch."""
    return [_labelled(_grid(epoch / 255.0, 5, 3), f"epoch {e}: " + ", ".join(class_names[:5]) + " / ...")
            for e, epoch in enumerate(images)]


def _labelled(pixels, label):
    """A frame with a caption above it (a small matplotlib figure turned into pixels)."""
    from ..render.training import figure_pixels
    h, w = pixels.shape[:2]
    fig = new_figure(w / 100 + 0.2, h / 100 + 0.45, dpi=100)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96 * h / (h + 40)))
    ax.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()
    fig.text(0.5, 0.98, label, ha="center", va="top", fontsize=9)
    return figure_pixels(fig)


def teaching(report, ctx):
    with report.section("14. The backprop rules, by hand", "A tiny integer CNN run through the engine: "
                        "forward values, the max-pool switches, and the backward pass under the "
                        "gradient, deconvnet and guided rules, each with its equation, so that every "
                        "entry can be checked by hand (<code>cnnvis trace</code>; the walkthrough is "
                        "docs/backprop-rules.md).", {"seed": 0}) as s:
        s.text(trace_report(seed=0), pre=True)


SECTIONS = [training, teaching]

"""Report sections from records: the training run that produced the bundled model (its curves,
its first-layer filters and class models epoch by epoch, transfer learning), and the
teaching trace of the backprop rules."""
import json
from importlib import resources

import numpy as np

from ..render.training import (accuracy_comparison_figure, class_model_figure, figure_pixels,
                               filter_frames, history_figure, save_gif)
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
        s.gif(lambda p: save_gif(filter_frames(rec["filters"], "block1_conv1", range(len(rec["filters"])),
                                               progress=False), p, seconds_per_frame=0.7), "filters",
              "block1_conv1's 32 kernels at epochs 0 (random) to 10")
        s.gif(lambda p: save_gif(_class_frames(rec["class_models"], rec["class_names"]), p,
                                 seconds_per_frame=0.7), "class-models",
              "the class models at epochs 0 to 10")
        if "transfer_epochs" in rec:
            curves = {"frozen Fashion-MNIST conv base + new head": rec["transfer_frozen"],
                      "same network from scratch": rec["transfer_scratch"]}
            s.figure(accuracy_comparison_figure(curves, "transfer learning: Fashion-MNIST -> MNIST digits"),
                     "transfer", str(rec["transfer_note"]))


def _class_frames(images, class_names):
    """(epochs, classes, H, W) uint8 class models -> one frame per epoch."""
    names = [str(n) for n in class_names]
    return [figure_pixels(class_model_figure(epoch[..., None].astype(np.float64), names,
                                             f"class models (logit ascent), epoch {e}"))
            for e, epoch in enumerate(images)]


def teaching(report, ctx):
    with report.section("14. The backprop rules, by hand", "A tiny integer CNN run through the engine: "
                        "forward values, the max-pool switches, and the backward pass under the "
                        "gradient, deconvnet and guided rules, each with its equation, so that every "
                        "entry can be checked by hand (<code>cnnvis trace</code>; the walkthrough is "
                        "docs/backprop-rules.md). Then a tiny residual block (<code>cnnvis trace "
                        "--residual</code>): the Add copies the gradient to both branches, and where they "
                        "meet again, at the input, the two terms are summed.", {"seed": 0}) as s:
        s.text(trace_report(seed=0), pre=True)
        s.text(trace_report(seed=0, residual=True), pre=True)


SECTIONS = [training, teaching]

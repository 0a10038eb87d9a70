"""Picture of predictions (methods/predictions.py): the image beside a bar chart of its top-k
classes and their probabilities."""
import numpy as np

from .common import new_figure, save_figure, to_uint8
from .mosaic import as_rgb


def predictions_figure(image, predictions, index=0, label=None, title=None):
    """The image (H, W[, C]) in [0, 255] left, horizontal bars of the top-k probabilities of
    image ``index`` of a Predictions result right (most probable on top); label: the true
    class name, whose bar is drawn in green (others blue, the top one darker)."""
    names = list(predictions.names[index])
    probs = np.asarray(predictions.probabilities[index], np.float64)
    k = len(names)
    fig = new_figure(7.0, max(2.6, 0.38 * k + 1.0), dpi=110)
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.5], wspace=0.45)
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(to_uint8(as_rgb(image)), interpolation="nearest" if np.shape(image)[0] < 64 else None)
    ax.set_axis_off()
    if label is not None:
        ax.set_title(f"label: {label}", fontsize=9)
    ax = fig.add_subplot(grid[0, 1])
    colors = ["tab:green" if n == label else ("tab:blue" if r == 0 else "lightsteelblue")
              for r, n in enumerate(names)]
    y = np.arange(k)[::-1]
    ax.barh(y, probs, color=colors)
    ax.set_yticks(y, names, fontsize=9)
    ax.set_xlim(0, 1.18)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_xlabel("probability")
    for yy, p in zip(y, probs):
        ax.text(p + 0.02, yy, f"{p:.1%}", va="center", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or f"top {k} predictions", fontsize=10)
    return fig


def save_predictions(image, predictions, path, **kwargs):
    """Write predictions_figure(...) to path (PNG, SVG, PDF), atomically. Returns path."""
    return save_figure(predictions_figure(image, predictions, **kwargs), path)

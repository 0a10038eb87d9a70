"""Picture of predictions (methods/predictions.py): the image beside a bar chart of its top-k
classes and their probabilities; for a network without classes, of its most active channels."""
import numpy as np

from .common import mark_seen, new_figure, save_figure, to_uint8
from .mosaic import as_rgb


def bars_figure(image, names, values, xlabel, title, label=None, highlight=None, seen=None, unit="{:.1%}",
                xmax=None):
    """The image (H, W[, C]) in [0, 255] left (``seen``: the box (r0, r1, c0, c1) of it the
    network saw, framed when not all of it), horizontal bars right, the first on top; label: a
    caption above the image; highlight: the name whose bar is green."""
    values = np.asarray(values, np.float64)
    k = len(names)
    fig = new_figure(7.0, max(2.6, 0.38 * k + 1.0), dpi=110)
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.5], wspace=0.45)
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(to_uint8(as_rgb(image)), interpolation="nearest" if np.shape(image)[0] < 64 else None)
    ax.set_axis_off()
    if seen is not None:
        mark_seen(ax, seen, np.shape(image))
    if label is not None:
        ax.set_title(label, fontsize=9)
    ax = fig.add_subplot(grid[0, 1])
    colors = ["tab:green" if n == highlight else ("tab:blue" if r == 0 else "lightsteelblue")
              for r, n in enumerate(names)]
    y = np.arange(k)[::-1]
    ax.barh(y, values, color=colors)
    ax.set_yticks(y, names, fontsize=9)
    top = xmax if xmax is not None else max(float(values.max()), 1e-12)
    ax.set_xlim(min(0.0, 1.18 * float(values.min())), 1.18 * top)
    ax.set_xlabel(xlabel)
    for yy, v in zip(y, values):
        ax.text(v + 0.02 * top, yy, unit.format(v), va="center", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=10)
    return fig


def predictions_figure(image, predictions, index=0, label=None, title=None, seen=None):
    """The image beside horizontal bars of the top-k probabilities of image ``index`` of a
    Predictions result (most probable on top); label: the true class name (a caption, and its
    bar drawn in green; others blue, the top one darker)."""
    names = list(predictions.names[index])
    fig = bars_figure(image, names, predictions.probabilities[index], "probability",
                      title or f"top {len(names)} predictions", None if label is None else f"label: {label}",
                      label, seen, xmax=1.0)
    fig.axes[1].set_xticks([0, 0.25, 0.5, 0.75, 1])
    return fig


def channels_figure(image, maps, index=0, title=None, seen=None):
    """For a network without classes: the image beside the mean activations of the channels of
    a FeatureMaps result (methods.feature_maps, sorted; e.g. of the last layer), as LAYER:CHANNEL."""
    names = [f"{maps.layer}:{c}" for c in maps.channels[index]]
    return bars_figure(image, names, maps.means[index], "mean activation",
                       title or f"no classes: the {len(names)} most active channels of {maps.layer}",
                       seen=seen, unit="{:.3g}")


def save_predictions(image, predictions, path, **kwargs):
    """Write predictions_figure(...) to path (PNG, SVG, PDF), atomically. Returns path."""
    return save_figure(predictions_figure(image, predictions, **kwargs), path)

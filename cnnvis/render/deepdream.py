"""Picture of DeepDream (methods/deepdream.py): the image before and after, and the objective."""
import numpy as np

from .common import new_figure, save_figure, to_uint8
from .mosaic import as_rgb


def deepdream_figure(image, dream, index=0, target=None, title=None):
    """Three panels: the original image (H, W[, C]) in [0, 255], the dreamed image ``index`` of
    a Dream result, and its objective per step (octaves marked by the jumps)."""
    fig = new_figure(10.0, 3.6, dpi=110)
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 1, 1.2], wspace=0.4)
    for k, (picture, label) in enumerate(((image, "image"), (dream.images[index], "dream"))):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(to_uint8(as_rgb(picture)))
        ax.set_axis_off()
        ax.set_title(label, fontsize=9)
    ax = fig.add_subplot(grid[0, 2])
    ax.plot(np.arange(1, len(dream.objective) + 1), dream.objective[:, index], linewidth=1.2)
    ax.set_xlabel("step")
    ax.set_ylabel("objective")
    ax.grid(alpha=0.3)
    ax.set_title("objective per step", fontsize=9)
    fig.suptitle(title or (f"DeepDream of {target}" if target else "DeepDream"), fontsize=10)
    return fig


def save_deepdream(image, dream, path, **kwargs):
    """Write deepdream_figure(...) to path (PNG, SVG, PDF), atomically. Returns path."""
    return save_figure(deepdream_figure(image, dream, **kwargs), path)

"""Shared drawing helpers: images to uint8, colormaps, overlays, atomic PNG and figure saving.

Figures are built with matplotlib's object API (``Figure``), never pyplot, so that
rendering works headless and does not disturb a user's interactive backend.
"""
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..io import atomic_path, check_output
from .mosaic import as_rgb


def normalize(a, lo=None, hi=None):
    """Min-max scale to [0, 1] (a constant array maps to 0)."""
    a = np.asarray(a, np.float64)
    lo = a.min() if lo is None else lo
    hi = a.max() if hi is None else hi
    return np.clip((a - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros_like(a)


def to_uint8(image):
    """An image in [0, 255] (float or int, (H, W) or (H, W, C)) as uint8, clipped."""
    return np.clip(np.round(np.asarray(image, np.float64)), 0, 255).astype(np.uint8)


def colorize(values, cmap="jet", lo=None, hi=None):
    """(H, W) values -> (H, W, 3) uint8 RGB through a matplotlib colormap (min-max by default)."""
    return to_uint8(255 * colormaps[cmap](normalize(values, lo, hi))[..., :3])


def resize_map(values, size):
    """Bilinear resize of a (h, w) map to size (H, W), for overlays."""
    h, w = size
    img = Image.fromarray(np.asarray(values, np.float32), mode="F")
    return np.asarray(img.resize((w, h), Image.BILINEAR), np.float64)


def overlay(image, heatmap, alpha=0.5, cmap="jet", lo=None, hi=None):
    """Blend a heatmap (resized to the image) over an RGB or grayscale image: uint8 (H, W, 3)."""
    img = as_rgb(np.asarray(image, np.float64))
    heat = np.asarray(heatmap, np.float64)
    if heat.shape != img.shape[:2]:
        heat = resize_map(heat, img.shape[:2])
    return to_uint8((1 - alpha) * img + alpha * colorize(heat, cmap, lo, hi))


def save_png(image, path):
    """Write a uint8-able image (H, W[, 3|4]) as PNG, atomically. Returns path."""
    check_output(path, "png")
    arr = to_uint8(image)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    with atomic_path(path) as tmp:
        Image.fromarray(arr).save(tmp, format="PNG")
    return path


def new_figure(width=6.0, height=4.0, dpi=100):
    """A matplotlib Figure with an Agg canvas attached (no pyplot)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, dpi=None):
    """Save a Figure atomically, in the format of the extension (io.KINDS['picture']). Returns path."""
    fmt = check_output(path, "picture").rsplit(".", 1)[-1].lower()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
    return path


def image_grid(fig, images, titles=None, cols=None, cmap=None, suptitle=None):
    """Lay out images (list of (H, W[, 3]) arrays) on fig in a grid with optional titles."""
    n = len(images)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    for k, img in enumerate(images):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(img, cmap=cmap if np.ndim(img) == 2 else None, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles:
            ax.set_title(titles[k], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    return fig

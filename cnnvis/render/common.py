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
    """Blend a heatmap (resized to the image) over an RGB or grayscale image: uint8 (H, W, 3).
    Where the heatmap is NaN (a part of the image the network did not see), the image is shown
    faded (see faded)."""
    img = as_rgb(np.asarray(image, np.float64))
    heat = np.asarray(heatmap, np.float64)
    if heat.shape != img.shape[:2]:
        heat = resize_map(heat, img.shape[:2])
    unseen = np.isnan(heat)
    if unseen.any():
        finite = heat[~unseen]
        lo = finite.min() if lo is None and finite.size else lo
        hi = finite.max() if hi is None and finite.size else hi
        heat = np.where(unseen, 0.0, heat)
    out = (1 - alpha) * img + alpha * colorize(heat, cmap, lo, hi)
    return to_uint8(np.where(unseen[..., None], faded(img), out))


UNSEEN = 0.85  # the light grey of a picture where the network did not look


def faded(image):
    """An image in [0, 255] washed out towards white: a part the network did not see."""
    return 0.35 * np.asarray(image, np.float64) + 0.65 * 255


def fill_unseen(picture, image=None):
    """A picture in [0, 1] (H, W[, C]) with NaN where the network did not look: filled with the
    faded image there (given one, (H, W[, 3]) in [0, 255]), else light grey."""
    pic = np.asarray(picture, np.float64)
    unseen = np.isnan(pic) if pic.ndim == 2 else np.isnan(pic).any(axis=-1)
    if not unseen.any():
        return pic
    if image is not None:
        back = faded(as_rgb(np.asarray(image, np.float64))) / 255.0
        pic = as_rgb(pic) if pic.ndim == 2 else pic
    else:
        back = np.full(pic.shape, UNSEEN)
    return np.where(unseen[..., None] if pic.ndim == 3 else unseen, back, pic)


def mark_seen(ax, box, shape):
    """A dashed frame around the part ``box`` (r0, r1, c0, c1) of an image of ``shape`` that the
    network saw, when that is not the whole image (a crop)."""
    from matplotlib.patches import Rectangle
    r0, r1, c0, c1 = box
    if (r0, c0) == (0, 0) and (r1, c1) == tuple(shape[:2]):
        return
    ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, edgecolor="white",
                           linewidth=1.2, linestyle=(0, (4, 3))))


def add_colorbar(fig, lo, hi, cmap, label, extend="neither", orientation="horizontal", cax=None, ax=None):
    """A colorbar for values lo..hi of ``cmap``, labelled with what they mean, in axes ``cax``
    (or beside ``ax``, taking room from it); extend 'max' / 'both': values beyond were clipped."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    hi = hi if hi > lo else lo + 1e-12
    where = {"cax": cax} if cax is not None else {"ax": ax, "fraction": 0.046, "pad": 0.04}
    bar = fig.colorbar(ScalarMappable(Normalize(lo, hi), cmap), orientation=orientation, extend=extend, **where)
    from matplotlib import ticker
    bar.locator = ticker.MaxNLocator(nbins=4)
    bar.formatter = ticker.FuncFormatter(lambda v, _: f"{v:.2g}")  # no offset text ('1e-7') to collide
    bar.update_ticks()
    bar.ax.tick_params(labelsize=6, length=2, pad=1)
    bar.set_label(label, fontsize=7, labelpad=2)
    bar.ax.set_label("<colorbar>")  # as matplotlib names the axes it makes for one: findable
    return bar


def add_footer(fig, notes):
    """The notes (the network, what was done to the image, ...) in small grey type under the
    figure, wrapped to its width."""
    notes = [n for n in notes if n]
    if notes:
        fig.text(0.01, 0.0, "; ".join(notes), ha="left", va="top", fontsize=7, color="0.3", wrap=True)


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

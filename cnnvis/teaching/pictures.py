"""The walkthrough's pictures: the three backward rules and the Grad-CAM family side by side
on a photo, and the signs of the three rules' input gradients.

Display conventions are render/attribution.py's (stated in the captions of
docs/backprop-rules.md): gradients in image space (d score / d pixel, RGB); saliency as
Simonyan's max_c |g| from black to its 99.5th percentile; deconvnet, guided backprop and
guided Grad-CAM images gray at zero, 0.5 + g / (2 q) with q the 99.5th percentile of |g|;
Grad-CAM's [0, 1] map in the jet colormap over the photo.
Panels are drawn at the photo's own pixel size (no resampling, so no moire), figures at a
fixed size, saved as dithered 256-colour PNGs.
"""
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm
from PIL import Image

from ..io import atomic_path, check_output
from ..render.attribution import PERCENTILE, saliency_image, signed_image
from ..render.common import new_figure, overlay

COLUMNS = ("saliency", "deconvnet", "guided", "gradcam", "guided_gradcam")


def save_png(fig, path):
    """Save the figure at its own size (no tight box) as a 256-colour PNG: a median-cut
    palette with Floyd-Steinberg dithering looks like the RGB figure at a third of its bytes.
    Returns path."""
    check_output(path, "png")
    fig.canvas.draw()
    rgb = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    palette = rgb.quantize(256, method=Image.Quantize.MEDIANCUT)
    small = rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
    with atomic_path(path) as tmp:
        small.save(tmp, format="PNG", optimize=True)
    return path


def pixel_axes(fig, width, height, left, top, size, gap, rows, cols):
    """rows x cols axes of size x size pixels on a width x height pixel figure, ``left`` and
    ``top`` pixels from its corner, ``gap`` pixels apart: images are drawn 1:1, never resampled."""
    axes = []
    for r in range(rows):
        for c in range(cols):
            x0 = left + c * (size + gap)
            y0 = height - top - (r + 1) * size - r * gap
            axes.append(fig.add_axes([x0 / width, y0 / height, size / width, size / height]))
    return axes


def _panel(ax, image, title=None, cmap=None):
    ax.imshow(image, cmap=cmap, vmin=0 if cmap else None, vmax=1 if cmap else None,
              interpolation="nearest")
    _style(ax, title)


def _style(ax, title):
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)


DPI = 100


def rules_figure(image, rows, row_labels, cam_layer, first="photo"):
    """Image | saliency | deconvnet | guided backprop | Grad-CAM | guided Grad-CAM, one row per
    target. rows: dicts of image-space gradients (H, W, C) for 'saliency', 'deconvnet',
    'guided', 'guided_gradcam' and the [0, 1] map (H, W) for 'gradcam'. Each panel shows
    the image at an integer zoom (1 for a 224x224 photo, 6 for a 28x28 one), never resampled;
    a grayscale image (H, W) gives grayscale signed images."""
    titles = (first, "saliency\nmax$_c$ |dS/dx|", "deconvnet", "guided backprop",
              f"Grad-CAM\nat {cam_layer}", "guided Grad-CAM")
    gray = image.ndim == 2
    zoom = max(1, 168 // image.shape[0])
    size, gap, left, top = zoom * image.shape[0], 6, 48, 44
    n = len(rows)
    width, height = left + 6 * size + 5 * gap + 4, top + n * size + (n - 1) * gap + 4
    fig = new_figure(width / DPI, height / DPI, dpi=DPI)
    axes = pixel_axes(fig, width, height, left, top, size, gap, n, 6)
    signed = (lambda g: signed_image(g[..., 0])) if gray else signed_image
    tone = "gray" if gray else None
    for r, (maps, label) in enumerate(zip(rows, row_labels)):
        ax = axes[6 * r:6 * r + 6]
        top_row = r == 0
        _panel(ax[0], image / 255.0, titles[0] if top_row else None, cmap=tone)
        ax[0].set_ylabel(label, fontsize=10)
        _panel(ax[1], saliency_image(maps["saliency"]), titles[1] if top_row else None, cmap="gray")
        _panel(ax[2], signed(maps["deconvnet"]), titles[2] if top_row else None, cmap=tone)
        _panel(ax[3], signed(maps["guided"]), titles[3] if top_row else None, cmap=tone)
        _panel(ax[4], overlay(image, maps["gradcam"], alpha=0.5), titles[4] if top_row else None)
        _panel(ax[5], signed(maps["guided_gradcam"]), titles[5] if top_row else None, cmap=tone)
    return fig


def signs_figure(maps, label):
    """The sign of each rule's input gradient, summed over the colour channels: red where
    raising the pixels raises the score, blue where it lowers it; panels at the image's size."""
    names = (("saliency", "gradient rule (saliency)"), ("deconvnet", "deconvnet rule"),
             ("guided", "guided rule"))
    size = maps["guided"].shape[0]
    gap, left, top, bar = 16, 4, 78, 64
    width, height = left + 3 * size + 2 * gap + bar, top + size + 6
    fig = new_figure(width / DPI, height / DPI, dpi=DPI)
    axes = pixel_axes(fig, width, height, left, top, size, gap, 1, 3)
    cmap = colormaps["RdBu_r"]
    for ax, (key, title) in zip(axes, names):
        s = maps[key].sum(axis=-1)
        limit = np.percentile(np.abs(s), PERCENTILE) or 1.0
        im = ax.imshow(np.clip(s / limit, -1, 1), cmap=cmap, norm=TwoSlopeNorm(0, -1, 1),
                       interpolation="nearest")
        positive = float((s > 0).sum()) / max(int((s != 0).sum()), 1)
        _style(ax, f"{title}\n{100 * positive:.0f}% positive")
    x0 = left + 3 * size + 2 * gap + 10
    cax = fig.add_axes([x0 / width, 0.15 * size / height, 10 / width, 0.7 * size / height])
    colorbar = fig.colorbar(im, cax=cax, ticks=[-1, 0, 1])
    colorbar.ax.set_yticklabels(["-s", "0", "+s"])
    fig.suptitle(f"{label}: sum over R, G, B of dS/dx\n(scaled by s = its {PERCENTILE:g}th percentile of |.|; "
                 "% of the nonzero pixels that are positive)", fontsize=9, y=1 - 4 / height, va="top")
    return fig

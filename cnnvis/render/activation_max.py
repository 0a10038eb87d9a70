"""Pictures of activation maximization (methods/activation_max.py, methods/top_filters.py):
the images with their objective curves, the 8x8 grid of a layer's most active filters, and a
GIF of the ascent."""
import numpy as np
from PIL import Image

from ..errors import InputError
from .common import new_figure, normalize, save_figure, to_uint8
from .mosaic import as_rgb, mosaic
from .training import figure_pixels, save_gif


def display(image, stretch=False):
    """An image in [0, 255] as uint8 RGB; stretch: map its 1st..99th percentile to 0..255
    (display only; say so in the caption)."""
    image = as_rgb(np.asarray(image, np.float64))
    if stretch:
        image = 255 * normalize(image, *np.percentile(image, (1, 99)))
    return to_uint8(image)


def actmax_figure(result, titles=None, cols=None, stretch=False, title=None):
    """The images of an ActMax result in a grid (titled), and below them J per step, one curve
    per image (a legend naming them by their titles when there are several)."""
    n = len(result.images)
    cols = cols or min(n, 8)
    rows = int(np.ceil(n / cols))
    fig = new_figure(1.6 * cols + 0.4, 1.75 * rows + 2.3, dpi=110)
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[1] * rows + [1.3], hspace=0.35)
    for k, image in enumerate(result.images):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        ax.imshow(display(image, stretch), interpolation="nearest")
        ax.set_axis_off()
        if titles:
            ax.set_title(titles[k], fontsize=8)
    ax = fig.add_subplot(grid[rows, :])
    curves = np.asarray(result.objective, np.float64).reshape(len(result.objective), -1)
    steps = np.arange(1, len(curves) + 1)
    for k in range(curves.shape[1]):
        ax.plot(steps, curves[:, k], linewidth=1, label=titles[k] if titles else f"image {k}")
    if curves.shape[1] > 1:
        ax.legend(fontsize=7, ncol=min(5, curves.shape[1]), frameon=False, loc="best")
    ax.set_xlabel("step")
    ax.set_ylabel("objective J")
    ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title + (" (contrast stretched)" if stretch else ""), fontsize=10)
    return fig


def top_filters_figure(top, cols=8, stretch=False, title=None):
    """The TopFilters images in a grid (8x8 for 64), each labelled with its channel."""
    n = len(top.images)
    rows = int(np.ceil(n / cols))
    fig = new_figure(1.15 * cols, 1.25 * rows + 0.5, dpi=110)
    for k, (image, channel) in enumerate(zip(top.images, top.channels)):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(display(image, stretch), interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"{top.layer}:{channel}", fontsize=6, pad=2)
    h, w = top.images.shape[1:3]
    fig.suptitle(title or f"{top.layer}: the {n} channels with the highest mean activation after "
                 f"gradient ascent ({h}x{w}){' (contrast stretched)' if stretch else ''}", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.45 / (1.25 * rows + 0.5),
                        wspace=0.05, hspace=0.25)
    return fig


def actmax_frames(result, min_size=168, stretch=False, cols=None):
    """One uint8 RGB picture per recorded frame: all images of the batch side by side,
    resized to the final size and enlarged to at least min_size pixels, captioned."""
    h, w = result.images.shape[1:3]
    zoom = max(1, int(np.ceil(min_size / max(h, w))))
    frames = []
    for step, images in result.frames:
        tiles = [np.asarray(Image.fromarray(display(im, stretch)).resize((w, h), Image.BILINEAR))
                 for im in images]
        picture = mosaic(tiles, cols=cols or len(tiles), gap=2 * zoom, zoom=zoom, background=255.0)
        fig = new_figure(picture.shape[1] / 100, picture.shape[0] / 100 + 0.35, dpi=100)
        ax = fig.add_axes((0, 0, 1, picture.shape[0] / (picture.shape[0] + 35)))
        ax.imshow(to_uint8(picture), interpolation="nearest")
        ax.set_axis_off()
        done = min(step, len(result.objective))
        value = result.objective[done - 1].mean() if done else float("nan")
        fig.text(0.5, 1 - 0.5 * 35 / (picture.shape[0] + 35), f"step {step}" +
                 (f", mean objective {value:.3g}" if done else ""), ha="center", va="center", fontsize=9)
        frames.append(figure_pixels(fig))
    return frames


def save_actmax_gif(result, path, seconds_per_frame=0.25, min_size=168, stretch=False, cols=None):
    """A looping GIF of the recorded frames of an ActMax result (record_every > 0), written
    atomically with Pillow. Returns path."""
    if not result.frames:
        raise InputError("no frames recorded: run activation_maximization with record_every > 0")
    return save_gif(actmax_frames(result, min_size, stretch, cols), path, seconds_per_frame, hold_last=8)


def save_actmax(result, path, titles=None, **kwargs):
    """Write actmax_figure(...) to path (PNG, SVG, PDF), atomically. Returns path."""
    return save_figure(actmax_figure(result, titles, **kwargs), path)

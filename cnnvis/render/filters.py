"""Pictures of a conv layer's filters (methods/filters.py): a mosaic, as a PNG or a Figure."""
import numpy as np

from ..methods.filters import filter_images
from .common import new_figure, save_figure, save_png, to_uint8
from .mosaic import mosaic

MODE_NAMES = {"rgb": "RGB", "gray": "grayscale", "norm": "L2 norm over input channels",
              "strongest": "input channel of largest norm", "channels": "per input channel"}


def filter_mosaic(filters, cols=8, zoom=None, max_filters=None, max_channels=8):
    """The FilterImages of methods.filter_images as one (H, W, 3) image in [0, 1].

    One tile per filter, ``cols`` per row; in mode 'channels' one row per filter and one
    column per input channel (the first max_channels). zoom: pixels per weight (default:
    tiles of about 24 pixels).
    """
    images = filters.images[:max_filters]
    kh = images.shape[-2] if filters.mode == "channels" else images.shape[1]
    zoom = zoom or max(1, 24 // kh)
    if filters.mode == "channels":
        images = images[:, :max_channels]
        cols = images.shape[1]
        images = images.reshape(-1, *images.shape[2:])
    return mosaic(images, cols=min(cols, len(images)), gap=max(1, zoom // 4), zoom=zoom)


def save_filter_mosaic(net, path, layer=None, mode="auto", scaling="minmax", **kwargs):
    """The bare mosaic (no title) of a conv layer's filters as a PNG, atomically. Returns path."""
    filters = filter_images(net, layer, mode, scaling)
    return save_png(to_uint8(255 * filter_mosaic(filters, **kwargs)), path)


def filters_figure(net, layer=None, mode="auto", scaling="minmax", cols=8, max_filters=64,
                   max_channels=8, title=None):
    """A Figure of the filters of conv ``layer`` (default the first): the mosaic, titled with
    the layer's name, its weight shape (O, C, KH, KW) and how the filters are drawn."""
    filters = filter_images(net, layer, mode, scaling)
    image = filter_mosaic(filters, cols, max_filters=max_filters, max_channels=max_channels)
    h, w = image.shape[:2]
    width = min(9.0, max(4.0, w / 40))
    fig = new_figure(width, width * h / w + 0.6, dpi=120)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(image, interpolation="nearest")
    o, c, kh, kw = filters.shape
    if filters.mode == "channels":  # rows are filters, columns input channels: label them
        rows, cols = min(o, max_filters or o), min(c, max_channels)
        ax.set_xticks((np.arange(cols) + 0.5) * w / cols, [str(k) for k in range(cols)], fontsize=7)
        ax.set_yticks((np.arange(rows) + 0.5) * h / rows, [str(k) for k in range(rows)], fontsize=7)
        ax.set_xlabel("input channel", fontsize=8)
        ax.set_ylabel("filter", fontsize=8)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    else:
        ax.set_axis_off()
    shown = min(o, max_filters or o)
    what = f"{shown} of {o} filters" if shown < o else f"{o} filters"
    if filters.mode == "channels" and c > max_channels:
        what += f", first {max_channels} of {c} input channels"
    ax.set_title(title or f"{filters.layer}: {what}, weights (O, C, KH, KW) = ({o}, {c}, {kh}, {kw})\n"
                 f"{MODE_NAMES[filters.mode]}, each filter scaled to its own "
                 f"{'range' if scaling == 'minmax' else '±max|w| (0 = gray)'}", fontsize=9)
    return fig


def save_filters(net, path, layer=None, **kwargs):
    """Write filters_figure(net, layer, **kwargs) to path (PNG, SVG, PDF). Returns path."""
    return save_figure(filters_figure(net, layer, **kwargs), path)


"""Pictures of feature maps (methods/feature_maps.py): the grid of a layer's channels, and one
channel's activation laid over the image and used as a mask on it."""
import numpy as np
from matplotlib import colormaps, patheffects

from .common import add_colorbar, mark_seen, new_figure, normalize, overlay, resize_map, to_uint8
from .mosaic import as_rgb, mosaic


def feature_maps_figure(maps, index=0, cols=None, cmap="viridis", scale="shared", zoom=None,
                        title=None):
    """The maps of image ``index`` of a FeatureMaps result tiled in a grid, each labelled with
    its channel. scale 'shared': one colour scale 0..max over the shown maps (a dead channel is
    dark); 'each': every map min-max scaled on its own."""
    a = maps.maps[index].astype(np.float64)
    k, h, w = a.shape
    if scale == "shared":
        tiles = [normalize(m, 0.0, max(a.max(), 1e-12)) for m in a]
    else:
        tiles = [normalize(m) for m in a]
    tiles = [colormaps[cmap](t)[..., :3] for t in tiles]
    zoom = zoom or max(1, 48 // h)
    cols = cols or int(np.ceil(np.sqrt(k)))
    gap = max(1, zoom)
    image = mosaic(tiles, cols=cols, gap=gap, zoom=zoom)
    fig = new_figure(min(10.0, 1.05 * cols + 0.4), min(10.0, 1.05 * cols + 0.4) * image.shape[0] /
                     image.shape[1] + 0.7, dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(image, interpolation="nearest")
    ax.set_axis_off()
    if scale == "shared":
        add_colorbar(fig, 0.0, max(a.max(), 1e-12), cmap, f"activation of {maps.layer}", orientation="vertical",
                     ax=ax)
    else:
        add_colorbar(fig, 0.0, 1.0, cmap, "activation, each map scaled to its own min..max",
                     orientation="vertical", ax=ax)
    if k <= 100:
        step_h, step_w = h * zoom + gap, w * zoom + gap
        for t, ch in enumerate(maps.channels[index]):
            r, c = divmod(t, cols)
            ax.text(c * step_w + 1, r * step_h + 1, str(ch), color="white", fontsize=6, va="top",
                    path_effects=[patheffects.withStroke(linewidth=1.5, foreground="black")])
    order = "strongest (mean) first" if maps.sorted else "in order"
    ax.set_title(title or f"{maps.layer}: {k} channels {h}x{w}, {order}; "
                 f"{'one colour scale 0..' + format(a.max(), '.3g') if scale == 'shared' else 'each map scaled on its own'}",
                 fontsize=9)
    return fig


def activation_mask(image, activation, floor=0.0):
    """uint8 (H, W, 3): the image multiplied by one channel's activation, upsampled to the
    image and scaled to [floor, 1] (0 where the channel is silent, 1 where it is strongest)."""
    img = as_rgb(np.asarray(image, np.float64))
    act = np.asarray(activation, np.float64)
    mask = normalize(resize_map(act, img.shape[:2]), 0.0, max(act.max(), 1e-12))
    return to_uint8(img * (floor + (1 - floor) * mask)[..., None])


def channel_figure(image, activation, layer, channel, floor=0.15, title=None, fit=None):
    """Three panels for one channel: the image, its activation over the image (heatmap, with
    its colorbar) and the activation as a mask on the image (floor: how much of the image
    shows where the channel is silent, for context). fit: the cnnvis.fit.Fit that made the
    network's input; then ``image`` is fit.original, the image as given, and the activation
    is placed on it (the part the network saw framed)."""
    img = as_rgb(np.asarray(image, np.float64))
    act = np.asarray(activation, np.float64)
    top = max(act.max(), 1e-12)
    placed = fit.to_original(act) if fit is not None else act
    fig = new_figure(8.4, 3.2, dpi=110)
    panels = [(to_uint8(img), "image"),
              (overlay(img, placed, alpha=0.5, cmap="jet", lo=0.0, hi=top),
               f"activation ({act.shape[0]}x{act.shape[1]}, max {act.max():.3g})"),
              (activation_mask(img, np.nan_to_num(placed, nan=0.0), floor), "activation as mask" +
               (f" ({floor:.0%} floor)" if floor else ""))]
    for k, (picture, label) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        ax.imshow(picture)
        ax.set_title(label, fontsize=9)
        ax.set_axis_off()
        if fit is not None:
            mark_seen(ax, fit.seen(), img.shape)
        if k == 1:
            add_colorbar(fig, 0.0, top, "jet", f"activation of {layer}:{channel}", orientation="horizontal",
                         ax=ax)
    fig.suptitle(title or f"{layer}:{channel}", fontsize=10)
    fig.tight_layout()
    return fig

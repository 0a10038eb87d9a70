"""Pictures of maximally activating patches (methods/top_patches.py): per unit, its top 9
receptive-field crops in a 3x3 block, optionally beside their deconvnet projections, as in
Zeiler & Fergus (2014, fig. 2)."""
import numpy as np

from ..errors import InputError
from .attribution import image_space, signed_image
from .common import new_figure, save_figure, to_uint8
from .mosaic import as_rgb, mosaic

GRAY = 128.0


def _placed(patch, pixels):
    """``pixels`` (the crop's size) placed where the crop sits in the unit's unclipped field,
    on gray: crops at the image border keep their scale and position."""
    (r0, r1, c0, c1), (f0, f1, g0, g1) = patch.box, patch.field
    canvas = np.full((f1 - f0, g1 - g0, 3), GRAY)
    canvas[r0 - f0:r1 - f0, c0 - g0:c1 - g0] = as_rgb(pixels)
    return canvas


def patch_tile(patch):
    """The crop of one Patch, (field h, field w, 3) in [0, 255]."""
    return _placed(patch, np.asarray(patch.crop, np.float64))


def projection_tile(net, patch, projection):
    """A signed network-input projection (C, h, w) as a picture in the image's colours, grey at
    zero (render/attribution.py's signed_image), (field h, field w, 3) in [0, 255]."""
    return _placed(patch, 255 * signed_image(image_space(net, np.asarray(projection)[None])[0]))


def _block(tiles, zoom):
    return mosaic(tiles, cols=3, gap=max(1, zoom), zoom=zoom, background=255.0)


def top_patches_figure(result, projections=None, net=None, per_unit=9, cols=None,
                       projection_title="deconvnet projection", title=None):
    """One block per unit: its top ``per_unit`` crops (3 per row, best first, row-major), and,
    given projections (methods.top_patch_projections, and the net they came from), the
    projections to their left."""
    if projections is not None and net is None:
        raise InputError("drawing projections needs the network (its preprocessing) too: net=")
    units = [(u, p[:per_unit]) for u, p in zip(result.units, result.patches) if p]
    cols = cols or (2 if projections is not None else min(4, len(units)))
    rows = int(np.ceil(len(units) / cols))
    panels = 2 if projections is not None else 1
    fig = new_figure(2.3 * cols * panels + 0.3, 2.6 * rows + 0.5, dpi=110)
    grid = fig.add_gridspec(rows, cols * panels, wspace=0.06, hspace=0.25)
    for k, (u, patches) in enumerate(units):
        r, c = divmod(k, cols)
        field = patches[0].field
        zoom = max(1, 40 // max(field[1] - field[0], field[3] - field[2]))
        blocks = [_block([patch_tile(p) for p in patches], zoom)]
        if projections is not None:
            proj = projections[result.units.index(u)][:per_unit]
            blocks.insert(0, _block([projection_tile(net, p, q) for p, q in zip(patches, proj)], zoom))
        where = "" if u.i is None else f":{u.i}:{u.j}"
        for b, block in enumerate(blocks):
            ax = fig.add_subplot(grid[r, c * panels + b])
            ax.imshow(to_uint8(block), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if b == len(blocks) - 1:
                ax.set_title(f"{u.layer}:{u.channel}{where}\nscores {patches[-1].score:.3g}.."
                             f"{patches[0].score:.3g}", fontsize=8)
            else:
                ax.set_title(projection_title, fontsize=8)
    fig.suptitle(title or f"top {per_unit} of {result.count} images per unit "
                 f"(receptive-field crops, best first)", fontsize=10)
    return fig


def save_top_patches(result, path, projections=None, net=None, **kwargs):
    """Write top_patches_figure(...) to path (PNG, SVG, PDF), atomically. Returns path."""
    return save_figure(top_patches_figure(result, projections, net, **kwargs), path)

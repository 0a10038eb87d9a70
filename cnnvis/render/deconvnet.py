"""Zeiler & Fergus's picture of a layer's strongest units: each unit's deconvnet projection
beside the image patch it sees (its receptive field)."""
import numpy as np

from ..methods.deconvnet import receptive_crop
from .attribution import image_space, signed_image
from .common import new_figure


def top_channels_figure(net, image, top, layer, index=0, cols=3, title=None):
    """For each channel of a TopChannels result (methods.deconvnet_top_k): the projection of
    its strongest unit cropped to the unit's receptive field, and the image patch there.
    image: the photo (H, W[, 3]) in [0, 255] the network saw."""
    k = top.channels.shape[1]
    rows = int(np.ceil(k / cols))
    fig = new_figure(2.6 * cols, 1.45 * rows + 0.4, dpi=110)
    grey = np.asarray(image).ndim == 2
    for r in range(k):
        i, j = top.positions[index, r]
        proj = image_space(net, top.projections[index, r][None])[0]
        proj = proj[..., 0] if grey else proj
        crop_proj = receptive_crop(net, np.moveaxis(signed_image(proj), -1, 0) if not grey else
                                   signed_image(proj), layer, i, j)
        crop_img = receptive_crop(net, np.moveaxis(np.asarray(image), -1, 0) if not grey else
                                  np.asarray(image), layer, i, j)
        pair = [crop_proj if grey else np.moveaxis(crop_proj, 0, -1),
                (crop_img if grey else np.moveaxis(crop_img, 0, -1)) / 255.0]
        for side, pic in enumerate(pair):
            ax = fig.add_subplot(rows, 2 * cols, 2 * r + side + 1)
            ax.imshow(pic, cmap="gray" if grey else None, vmin=0, vmax=1)
            ax.set_axis_off()
            if side == 0:
                ax.set_title(f"ch {top.channels[index, r]}: {top.strengths[index, r]:.3g}", fontsize=7)
    fig.suptitle(title or f"{layer}: the {k} strongest channels, deconvnet projection | image patch",
                 fontsize=10)
    return fig

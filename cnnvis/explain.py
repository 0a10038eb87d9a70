"""explain(): one method on one image, as a figure — what `cnnvis explain` draws.

Methods (METHODS): the gradient family (saliency, deconvnet, guided-backprop, smoothgrad,
integrated-gradients), the CAM family (gradcam, gradcam++, guided-gradcam, scorecam),
occlusion, fgsm, and 'all' (every gradient and CAM method side by side).
"""
import numpy as np

from . import methods as M
from .errors import InputError
from .methods.targets import Unit, ends_in_softmax
from .render.attribution import (PICTURES, adversarial_figure, heatmap_figure, method_picture,
                                 methods_figure, target_label)
from .render.common import new_figure
from .render.occlusion import occlusion_figure

METHODS = tuple(PICTURES) + ("occlusion", "fgsm", "all")


def _title(net, x, target):
    """'class cat' (or 'class 3' without class names) or 'unit LAYER[C, I, J]', and the target."""
    t = M.resolve(net, x, target)[0]
    label = target_label(net, t)
    return (label if isinstance(t, Unit) or not net.class_names else f"class {label}"), t


def explain(net, image, method, target="predicted", layer=None, score=None, **options):
    """A Figure explaining ``target`` on ``image`` (uint8 (H, W[, 3]) at the network's input
    size, e.g. from cnnvis.images.load_image(path, size=...)) with ``method``.

    score: 'prob' or 'logit' (default: prob for networks ending in softmax, for occlusion
    and Score-CAM; logit for the gradient methods, as the papers use). options: samples,
    sigma (smoothgrad), steps (integrated-gradients), patch, stride (occlusion), epsilon
    (fgsm), progress; 'all' takes samples and steps.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    img, x = image, net.preprocess(image)
    has_softmax = ends_in_softmax(net)
    if method == "all":
        given = {name: options[key] for key, name in (("samples", "smooth_samples"), ("steps", "ig_steps"))
                 if key in options}
        return methods_figure(net, x, target, score or ("prob" if has_softmax else "logit"),
                              layer=layer, progress=options.get("progress"), **given)
    if method == "occlusion":
        res = M.occlusion(net, x, target, options.get("patch", max(2, img.shape[0] // 7)),
                          options.get("stride", max(1, img.shape[0] // 28)),
                          score=score or ("prob" if has_softmax and not isinstance(target, Unit) else "logit"),
                          progress=options.get("progress"))
        title = f"Occlusion: {_title(net, x, target)[0]}"
        return occlusion_figure(img, res, class_names=net.class_names, title=title)
    if method == "fgsm":
        res = M.fgsm(net, x, target, epsilon=options.get("epsilon", 2.0))
        return adversarial_figure(net, x, res, title="FGSM (Goodfellow et al. 2015)")
    title, t = _title(net, x, target)
    picture, kind = method_picture(net, x, method, t, layer, score,
                                   samples=options.get("samples", 50), sigma=options.get("sigma", 0.15),
                                   steps=options.get("steps", 50), progress=options.get("progress"))
    if kind == "heat":
        return heatmap_figure(img, picture, title=f"{method}: {title}")
    fig = new_figure(6.4, 3.4, dpi=110)
    for k, (pic, name) in enumerate(((img, "input"), (picture, method))):
        ax = fig.add_subplot(1, 2, k + 1)
        ax.imshow(pic, cmap="gray" if np.ndim(pic) == 2 else None, vmin=0, vmax=255 if k == 0 else 1)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    fig.suptitle(title, fontsize=11)
    return fig

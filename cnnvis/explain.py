"""explain(): one method on one image, as a figure — what `cnnvis explain` draws.

Methods (METHODS): the gradient family (saliency, deconvnet, guided-backprop, smoothgrad,
integrated-gradients), the CAM family (gradcam, gradcam++, guided-gradcam, scorecam),
occlusion, fgsm, and 'all' (every gradient and CAM method side by side).
"""
import numpy as np

from . import methods as M
from .errors import InputError
from .methods.targets import Unit
from .render.attribution import (heatmap_figure, image_space, methods_figure, saliency_image,
                                 signed_image)
from .render.common import new_figure

METHODS = ("saliency", "deconvnet", "guided-backprop", "smoothgrad", "integrated-gradients",
           "gradcam", "gradcam++", "guided-gradcam", "scorecam", "occlusion", "fgsm", "all")


def _single(net, x, method, target, layer, score, options):
    """(picture, kind) of one gradient or CAM method; kind 'signed' | 'gray' | 'heat'."""
    def rgb(g):
        pic = image_space(net, g)[0]
        return pic[..., 0] if pic.shape[-1] == 1 else pic

    if method == "saliency":
        return saliency_image(rgb(M.saliency(net, x, target, score=score))), "gray"
    if method == "deconvnet":
        return signed_image(rgb(M.deconvnet(net, x, target, score=score))), "signed"
    if method == "guided-backprop":
        return signed_image(rgb(M.guided_backprop(net, x, target, score=score))), "signed"
    if method == "smoothgrad":
        g = M.smoothgrad(net, x, target, n=options.get("samples", 50), sigma=options.get("sigma", 0.15),
                         score=score, progress=options.get("progress"))
        return saliency_image(rgb(g)), "gray"
    if method == "integrated-gradients":
        res = M.integrated_gradients(net, x, target, steps=options.get("steps", 50), score=score,
                                     progress=options.get("progress"))
        return saliency_image(rgb(res.attributions)), "gray"
    if method == "gradcam":
        return M.gradcam(net, x, target, layer, score=score)[0], "heat"
    if method == "gradcam++":
        return M.gradcam_plus_plus(net, x, target, layer, score=score)[0], "heat"
    if method == "guided-gradcam":
        return signed_image(rgb(M.guided_gradcam(net, x, target, layer, score=score,
                                                 upsample="bilinear"))), "signed"
    if method == "scorecam":
        return M.scorecam(net, x, target, layer, progress=options.get("progress"))[0], "heat"
    raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def _title(net, x, target, score):
    t = M.resolve(net, x, target)[0]
    if isinstance(t, Unit):
        where = f"[{t.channel}" + (f", {t.i}, {t.j}]" if t.i is not None else "]")
        return f"unit {t.layer}{where}", t
    name = net.class_names[t] if net.class_names else f"class {t}"
    return f"class {name}", t


def explain(net, image, method, target="predicted", layer=None, score=None, **options):
    """A Figure explaining ``target`` on ``image`` (uint8 (H, W[, 3]) at the network's input
    size, e.g. from cnnvis.images.load_image(path, size=...)) with ``method``.

    score: 'prob' or 'logit' (default: prob for networks ending in softmax, for occlusion;
    logit for the gradient methods, as the papers use). options: samples/sigma (smoothgrad),
    steps (integrated-gradients), patch/stride (occlusion), epsilon (fgsm), progress.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    img, x = image, net.preprocess(image)
    has_softmax = type(net.layers[-1]).__name__ == "Softmax"
    if method == "all":
        return methods_figure(net, x, target, score or ("prob" if has_softmax else "logit"),
                              layer=layer, progress=options.get("progress"))
    if method == "occlusion":
        from .render.occlusion import occlusion_figure
        res = M.occlusion(net, x, target, options.get("patch", max(2, img.shape[0] // 7)),
                          options.get("stride", max(1, img.shape[0] // 28)),
                          score=score or ("prob" if has_softmax and not isinstance(target, Unit) else "logit"),
                          progress=options.get("progress"))
        title = f"Occlusion: {_title(net, x, target, 'logit')[0]}"
        return occlusion_figure(img, res, class_names=net.class_names, title=title)
    if method == "fgsm":
        from .render.attribution import adversarial_figure
        res = M.fgsm(net, x, target, epsilon=options.get("epsilon", 2.0))
        return adversarial_figure(net, x, res, title="FGSM (Goodfellow et al. 2015)")
    title, t = _title(net, x, target, score or "logit")
    picture, kind = _single(net, x, method, t, layer, score or "logit", options)
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

"""The methods under evaluation, each as one relevance map per image: (N, H, W), larger = more
relevant to the target. Every metric of cnnvis/evaluation reads these maps, and the Quantus
checks pass the same maps to Quantus as its ``a_batch``.

From a method's output to the map (the map each paper shows):
  * saliency, deconvnet, guided backprop, SmoothGrad, Guided Grad-CAM: max_c |R[c]| (Simonyan
    et al.'s saliency map; Smilkov et al.'s SmoothGrad of it);
  * integrated gradients: sum_c IG[c], signed (by completeness it sums to S(x) - S(x'));
  * Grad-CAM, Grad-CAM++, Score-CAM: the map itself, min-max normalised to [0, 1];
  * occlusion: Captum's per-pixel map (each pixel: the mean score drop of the patches over it);
  * random: uniform noise, seeded: the control every method should beat.
Targets are resolved once, on the images given ('predicted' is their prediction), so that a
randomised model's maps explain the same classes as the original's.
"""
import numpy as np

from .. import methods as M
from ..errors import InputError
from ..methods.targets import ends_in_softmax, resolve

METHODS = ("saliency", "deconvnet", "guided-backprop", "smoothgrad", "integrated-gradients", "gradcam",
           "gradcam++", "guided-gradcam", "scorecam", "occlusion", "random")

DEFAULTS = {"smoothgrad": {"n": 20, "sigma": 0.15}, "integrated-gradients": {"steps": 32},
            "occlusion": {}, "random": {"seed": 0}}
OPTIONS = {"smoothgrad": ("n", "sigma", "seed", "batch_size"),
           "integrated-gradients": ("steps", "method", "baseline", "batch_size"),
           "occlusion": ("patch", "stride"), "random": ("seed",)}  # what relevance() passes on


def abs_max(r):
    """max_c |r[:, c]|: (N, C, H, W) -> (N, H, W)."""
    return np.abs(np.asarray(r)).max(axis=1)


def occlusion_geometry(shape):
    """Default occlusion patch and stride for an (H, W) input: about a fifth of the shorter side,
    a third of that (28x28: 6 and 2; 224x224: 45 and 15)."""
    patch = max(1, round(min(shape) / 5))
    return patch, max(1, patch // 3)


def check_methods(methods):
    """The method names, checked (an InputError names the unknown one and the choices)."""
    methods = [methods] if isinstance(methods, str) else list(methods)
    for m in methods:
        if m not in METHODS:
            raise InputError(f"unknown method {m!r} to evaluate; choose from {', '.join(METHODS)}")
    if not methods:
        raise InputError(f"give at least one method to evaluate, from {', '.join(METHODS)}")
    return methods


def relevance(net, x, target, method, layer=None, progress=None, **options):
    """The relevance maps (N, H, W) float64 of ``method`` (a name of METHODS) on x (N, C, H, W)
    for ``target`` (per targets.py). Options override DEFAULTS: SmoothGrad's n, sigma;
    integrated gradients' steps; occlusion's patch, stride; random's seed. layer: the CAMs'."""
    check_methods([method])
    unknown = sorted(set(options) - set(OPTIONS.get(method, ())))
    if unknown:
        raise InputError(f"{method} takes no option {', '.join(map(repr, unknown))}; its options are "
                         f"{', '.join(OPTIONS.get(method, ())) or 'none'}")
    kw = dict(DEFAULTS.get(method, {}), **options)
    targets = resolve(net, x, target)
    prob = "prob" if ends_in_softmax(net) else "logit"
    if method == "saliency":
        out = abs_max(M.saliency(net, x, targets))
    elif method == "deconvnet":
        out = abs_max(M.deconvnet(net, x, targets))
    elif method == "guided-backprop":
        out = abs_max(M.guided_backprop(net, x, targets))
    elif method == "smoothgrad":
        out = abs_max(M.smoothgrad(net, x, targets, progress=progress, **kw))
    elif method == "integrated-gradients":
        out = M.integrated_gradients(net, x, targets, progress=progress, **kw).attributions.sum(axis=1)
    elif method == "gradcam":
        out = M.gradcam(net, x, targets, layer)
    elif method == "gradcam++":
        out = M.gradcam_plus_plus(net, x, targets, layer)
    elif method == "guided-gradcam":
        out = abs_max(M.guided_gradcam(net, x, targets, layer, upsample="bilinear"))
    elif method == "scorecam":
        out = M.scorecam(net, x, targets, layer, score=prob, progress=progress)
    elif method == "occlusion":
        patch, stride = occlusion_geometry(x.shape[2:])
        out = M.occlusion(net, x, targets, kw.get("patch", patch), kw.get("stride", stride), score=prob,
                          per_pixel=True, progress=progress).pixel_map
    else:  # random
        out = np.random.default_rng(kw["seed"]).random((len(x),) + tuple(x.shape[2:]))
    return np.asarray(out, np.float64)


def relevance_all(net, x, target, methods, layer=None, progress=None, options=None):
    """{method: maps (N, H, W)} for each of ``methods``; options: {method: {option: value}}."""
    targets = resolve(net, x, target)
    options = options or {}
    return {m: relevance(net, x, targets, m, layer, progress, **options.get(m, {}))
            for m in check_methods(methods)}

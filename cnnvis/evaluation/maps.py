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
Each method runs through methods.by_name (the one dispatch of `cnnvis explain` and the report).
Targets are resolved once, on the images given ('predicted' is their prediction), so that a
randomised model's maps explain the same classes as the original's.
"""
import numpy as np

from ..errors import InputError
from ..methods.by_name import METHODS as BY_NAME
from ..methods.by_name import attribute
from ..methods.occlusion import occlusion
from ..methods.targets import ends_in_softmax, resolve

METHODS = ("saliency", "deconvnet", "guided-backprop", "smoothgrad", "integrated-gradients", "gradcam",
           "gradcam++", "guided-gradcam", "scorecam", "occlusion", "random")

DEFAULTS = {"smoothgrad": {"samples": 20, "sigma": 0.15}, "integrated-gradients": {"steps": 32},
            "random": {"seed": 0}}  # fewer passes than the methods' own defaults: every map is made many times
OPTIONS = {"occlusion": ("patch", "stride"), "random": ("seed",)}  # the others': methods.by_name's


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


def options_of(method):
    """The option names ``method`` takes: methods.by_name's, else OPTIONS's."""
    return OPTIONS[method] if method in OPTIONS else BY_NAME[method].options


def relevance(net, x, target, method, layer=None, progress=None, **options):
    """The relevance maps (N, H, W) float64 of ``method`` (a name of METHODS) on x (N, C, H, W)
    for ``target`` (per targets.py). The method runs through methods.by_name.attribute (each
    scoring the class as its paper does), with DEFAULTS overridden by ``options``: SmoothGrad's
    samples, sigma, seed; integrated gradients' steps; occlusion's patch, stride; random's
    seed. layer: the CAMs'."""
    check_methods([method])
    unknown = sorted(set(options) - set(options_of(method)))
    if unknown:
        raise InputError(f"{method} takes no option {', '.join(map(repr, unknown))}; its options are "
                         f"{', '.join(options_of(method)) or 'none'}")
    kw = dict(DEFAULTS.get(method, {}), **options)
    targets = resolve(net, x, target)
    if method == "random":
        out = np.random.default_rng(kw["seed"]).random((len(x),) + tuple(x.shape[2:]))
    elif method == "occlusion":  # the per-pixel map, at a patch for the image's size
        patch, stride = occlusion_geometry(x.shape[2:])
        score = "prob" if ends_in_softmax(net) else "logit"
        out = occlusion(net, x, targets, kw.get("patch", patch), kw.get("stride", stride), score=score,
                        per_pixel=True, progress=progress).pixel_map
    else:
        explained = attribute(net, x, method, targets, layer, progress=progress, **kw)
        values = np.asarray(explained.values)
        if method == "integrated-gradients":
            out = values.sum(axis=1)
        else:
            out = values if explained.display == "heat" else abs_max(values)
    return np.asarray(out, np.float64)


def relevance_all(net, x, target, methods, layer=None, progress=None, options=None):
    """{method: maps (N, H, W)} for each of ``methods``; options: {method: {option: value}}."""
    targets = resolve(net, x, target)
    options = options or {}
    return {m: relevance(net, x, targets, m, layer, progress, **options.get(m, {}))
            for m in check_methods(methods)}

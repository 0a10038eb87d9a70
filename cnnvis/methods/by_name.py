"""One dispatch from an attribution method's name to its computation: what `cnnvis explain`,
the report's panels and the evaluation run, and what render/ then draws.

    explanation = attribute(net, x, "gradcam", target="predicted", layer=None, score=None, **options)

METHODS maps each name (the command line's) to a Method: its title, how it is shown
(``display``: 'signed' an input-space array shown grey at zero -- deconvnet, guided backprop,
Guided Grad-CAM; 'magnitude' an input-space array shown as max_c |g| -- saliency, gradient x
input, SmoothGrad, integrated gradients; 'heat' a map (N, H, W) in [0, 1] -- the CAMs;
'occlusion' and 'adversarial': their own result objects), the score it uses by default (as
each paper does: the logit for gradients, the probability for Score-CAM and occlusion where
the network ends in a softmax), the options it takes, and what its values mean (``shows``, a
colorbar's label; ``space``: 'gradient' for values per network-input unit, shown per grey
level of the image, 'attribution' for values in the score's own units). Nothing here draws.
"""
from dataclasses import dataclass, field

import numpy as np

from ..engine import to_host
from ..errors import InputError
from . import targets as T
from .adversarial import fgsm
from .cam import cam_layer
from .deconvnet import deconvnet
from .gradcam import gradcam, gradcam_plus_plus, guided_gradcam
from .guided_backprop import guided_backprop
from .integrated_gradients import integrated_gradients
from .occlusion import occlusion
from .occlusion_approx import occlusion_drilldown
from .saliency import saliency
from .scorecam import scorecam
from .smoothgrad import smoothgrad


@dataclass(frozen=True)
class Method:
    title: str
    display: str
    compute: object        # (net, x, targets, layer, score, options) -> values
    score: str = "logit"   # the default score: 'logit', or 'prob' where the network has a softmax
    options: tuple = ()    # the option names it takes
    uses_layer: bool = False
    shows: str = ""        # what a value is, '{score}' for the score's word (logit, p, activation)
    space: str = "gradient"  # 'gradient': d(score)/d(input); 'attribution': in the score's units


@dataclass
class Explanation:
    """values: the method's output for the N images of x (an array, or the method's result
    object for 'occlusion' and 'adversarial'); targets: the resolved targets; scores (N,): each
    target's score on the clean image; layer: the layer a CAM looked at (else None)."""
    method: str
    title: str
    display: str
    values: object
    targets: list
    scores: np.ndarray
    score: str
    layer: str = None
    info: dict = field(default_factory=dict)
    probabilities: np.ndarray = None


def _occlusion(net, x, t, layer, score, o):
    """Exact, or the adaptive drill-down for a target speed-up (occlusion_approx)."""
    h = x.shape[2]
    patch, stride = o.get("patch", max(2, h // 7)), o.get("stride", max(1, h // 28))
    if o.get("speedup") is not None:
        return occlusion_drilldown(net, x, t, patch, stride, speedup=o["speedup"], score=score,
                                   progress=o.get("progress"))
    return occlusion(net, x, t, patch, stride, score=score, progress=o.get("progress"))


GRADIENT = "|∂ {score} / ∂ pixel|, max over colours"
RELEVANCE = "relevance, scaled to 0..1"
FGSM_EPSILON = 2.0  # grey levels

METHODS = {
    "saliency": Method("Saliency", "magnitude", lambda net, x, t, layer, score, o: saliency(net, x, t, score=score),
                       shows=GRADIENT),
    "gradient-x-input": Method("Gradient × input", "magnitude",
                               lambda net, x, t, layer, score, o: saliency(net, x, t, score=score, times_input=True),
                               shows="|gradient × input| ({score}), max over colours", space="attribution"),
    "deconvnet": Method("Deconvnet", "signed", lambda net, x, t, layer, score, o: deconvnet(net, x, t, score=score),
                        shows="deconvnet signal of the {score} (grey = 0)"),
    "guided-backprop": Method("Guided backprop", "signed",
                              lambda net, x, t, layer, score, o: guided_backprop(net, x, t, score=score),
                              shows="guided gradient of the {score} (grey = 0)"),
    "smoothgrad": Method("SmoothGrad", "magnitude", lambda net, x, t, layer, score, o: smoothgrad(
        net, x, t, n=o.get("samples", 50), sigma=o.get("sigma", 0.15), seed=o.get("seed", 0), score=score,
        progress=o.get("progress")), options=("samples", "sigma", "seed"),
        shows="|∂ {score} / ∂ pixel|, mean over noise, max over colours"),
    "integrated-gradients": Method("Integrated gradients", "magnitude", lambda net, x, t, layer, score, o:
                                   integrated_gradients(net, x, t, steps=o.get("steps", 50), score=score,
                                                        progress=o.get("progress")).attributions,
                                   options=("steps",), shows="|attribution| ({score}), max over colours",
                                   space="attribution"),
    "gradcam": Method("Grad-CAM", "heat", lambda net, x, t, layer, score, o: gradcam(net, x, t, layer, score=score),
                      uses_layer=True, shows=RELEVANCE),
    "gradcam++": Method("Grad-CAM++", "heat",
                        lambda net, x, t, layer, score, o: gradcam_plus_plus(net, x, t, layer, score=score),
                        uses_layer=True, shows=RELEVANCE),
    "guided-gradcam": Method("Guided Grad-CAM", "signed", lambda net, x, t, layer, score, o: guided_gradcam(
        net, x, t, layer, score=score, upsample="bilinear"), uses_layer=True,
        shows="guided gradient × Grad-CAM (grey = 0)"),
    "scorecam": Method("Score-CAM", "heat", lambda net, x, t, layer, score, o: scorecam(
        net, x, t, layer, score=score, progress=o.get("progress")), score="prob", uses_layer=True, shows=RELEVANCE),
    "occlusion": Method("Occlusion", "occlusion", _occlusion, score="prob",
                        options=("patch", "stride", "speedup"),
                        shows="drop in the {score} when occluded"),
    "fgsm": Method("FGSM", "adversarial", lambda net, x, t, layer, score, o: fgsm(
        net, x, t, epsilon=o.get("epsilon", FGSM_EPSILON)), options=("epsilon",)),
}
PANEL = ("saliency", "deconvnet", "guided-backprop", "smoothgrad", "integrated-gradients", "gradcam",
         "gradcam++", "guided-gradcam", "scorecam")  # the methods one picture each shows side by side


def method(name):
    """The Method ``name``, or an InputError listing the names."""
    if name not in METHODS:
        raise InputError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]


def default_score(net, name, targets):
    """The score ``name`` uses by default: its paper's, the logit where there is no softmax or
    the target is a unit."""
    wanted = method(name).score
    if wanted == "prob" and T.ends_in_softmax(net) and not any(isinstance(t, T.Unit) for t in targets):
        return "prob"
    return "logit"


def attribute(net, x, name, target="predicted", layer=None, score=None, progress=None, **options):
    """The Explanation of method ``name`` on x (N, C, H, W) for ``target`` (see targets.py).

    score: 'logit' or 'prob' (default: the method's, default_score); layer: the CAMs' layer
    (default cam_layer); options: the method's (samples, sigma, seed, steps, patch, stride, epsilon).
    """
    m = method(name)
    unknown = sorted(set(options) - set(m.options))
    if unknown:
        raise InputError(f"{name} takes no option {', '.join(unknown)}; its options are: "
                         f"{', '.join(m.options) or 'none'}")
    targets = T.resolve(net, x, target)
    score = score or default_score(net, name, targets)
    top = T.target_layer(net, targets, score)
    where = cam_layer(net, layer, top) if m.uses_layer else None
    values = m.compute(net, x, targets, where, score, dict(options, progress=progress))
    info = {}
    if m.uses_layer and layer is None and where != cam_layer(net):
        info["note"] = f"CAMs at {where}: the target lives in {top}, so the last layer before it"
    return Explanation(name, m.title, m.display, values, targets, target_scores(net, x, targets, score),
                       score, where, dict(options, **info), class_probabilities(net, x, targets))


def class_probabilities(net, x, targets):
    """(N,) the softmax probability of each image's class target on x, or None when a target
    is a unit (float64, on the host)."""
    if any(isinstance(t, T.Unit) for t in targets):
        return None
    z = np.asarray(to_host(net.forward(x, until=T.logits_layer(net))), np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p[np.arange(len(targets)), targets]


def target_scores(net, x, targets, score):
    """(N,) the score of each image's target on the clean input (float64, on the host)."""
    layer = T.target_layer(net, targets, score)
    net.forward(x, until=layer)
    return T.scores_and_seed(net, targets, layer)[0]


def panel(net, x, target="predicted", layer=None, samples=20, steps=32, scorecam=True, progress=None):
    """The Explanations of every PANEL method (Score-CAM only when ``scorecam``) on x, each
    scoring the class as its paper does; 'predicted' is resolved once, on the clean image."""
    targets = T.resolve(net, x, target)
    given = {"smoothgrad": {"samples": samples}, "integrated-gradients": {"steps": steps}}
    return [attribute(net, x, name, targets, layer, progress=progress, **given.get(name, {}))
            for name in PANEL if scorecam or name != "scorecam"]


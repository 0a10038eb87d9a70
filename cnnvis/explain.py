"""explain(): one method on one image, as a figure — what `cnnvis explain` draws.

The methods are methods/by_name.METHODS (computed there), and 'all': every method of the
panel side by side (methods/by_name.PANEL; the others are left out, and explained() says
which and why). On a network without classes the default target is the most active channel
of its last layer, and the figure says so.
"""
from dataclasses import dataclass, field

from .errors import InputError
from .methods import by_name
from .methods.targets import has_classes, most_active_channel
from .render.attribution import adversarial_figure, explanation_figure, explanation_title, methods_figure
from .render.occlusion import occlusion_figure

METHODS = tuple(by_name.METHODS) + ("all",)
OWN_FIGURE = "has a figure of its own"
LEFT_OUT = {"occlusion": OWN_FIGURE, "fgsm": OWN_FIGURE,
            "gradient-x-input": "saliency times the image, shown on its own"}  # why 'all' leaves each out
NO_CLASSES = "the most active channel of the last layer: the network has no classes"


@dataclass
class Explained:
    """figure; explanations: what was computed; note: what the figure says about the target
    (e.g. the default unit of a network without classes); left_out: [(method, why)] of 'all';
    fooled: for FGSM, whether the prediction changed."""
    figure: object
    explanations: list
    note: str = None
    left_out: list = field(default_factory=list)
    fooled: bool = None


def explain(net, image, method, target="predicted", layer=None, score=None, progress=None, fit=None, **options):
    """A Figure explaining ``target`` on ``image`` (uint8 (H, W[, 3]) at the network's input
    size, e.g. cnnvis.fit.fit_for(net, photo).image) with ``method``; see explained()."""
    return explained(net, image, method, target, layer, score, progress, fit, **options).figure


def explained(net, image, method, target="predicted", layer=None, score=None, progress=None, fit=None, **options):
    """The Explained of ``method`` on ``image`` for ``target``.

    score: 'prob' or 'logit' (default: each method's, methods.by_name.default_score). options:
    the method's (samples, sigma, steps, patch, stride, epsilon); 'all' takes samples and steps.
    fit: the cnnvis.fit.Fit that made ``image`` from a photo: the maps are drawn on the photo.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    x = net.preprocess(image)
    note = None
    if isinstance(target, str) and target == "predicted" and not has_classes(net):
        if method == "fgsm":
            raise InputError(f"FGSM changes an image to change the predicted class, and {net.name} has no "
                             "classes; explain a unit with another method")
        target, note = most_active_channel(net, x), NO_CLASSES
    if method == "all":
        unknown = sorted(set(options) - {"samples", "steps"})
        if unknown:
            raise InputError(f"'all' takes the options samples and steps, not {', '.join(unknown)}")
        panel = by_name.panel(net, x, target, layer, progress=progress, **options)
        left_out = [(name, LEFT_OUT.get(name, "")) for name in by_name.METHODS if name not in by_name.PANEL]
        return Explained(methods_figure(net, x, panel, fit=fit, note=note), panel, note, left_out)
    e = by_name.attribute(net, x, method, target, layer, score, progress=progress, **options)
    figure, fooled = method_figure(net, image, x, e, fit=fit, note=note)
    return Explained(figure, [e], note, fooled=fooled)


def method_figure(net, image, x, e, index=0, fit=None, note=None):
    """(figure, fooled) of image ``index`` of a computed Explanation ``e`` of one method (not
    'all'): what explained() draws. image: that image as the network got it, uint8 (H, W[, 3]);
    x: the batch e was computed on; fooled: FGSM's verdict, else None. Dataset runs
    (cnnvis/scale) compute a batch once and draw each of its images so."""
    if e.display == "occlusion":
        title = f"What the network looks at for: {explanation_title(net, e, index)}" + (f"\n{note}" if note else "")
        return occlusion_figure(image, e.values, index, class_names=net.class_names, title=title, fit=fit), None
    if e.display == "adversarial":
        fooled, title = fgsm_title(net, e, index)
        return adversarial_figure(net, x, e.values, index, title=title), fooled
    return explanation_figure(net, x, e, index, fit=fit, note=note), None


def fgsm_title(net, e, index=0):
    """(fooled, title) of an FGSM Explanation: the prediction before and after, and whether
    it changed ('not fooled at epsilon 2: try a larger epsilon' when it did not)."""
    r = e.values
    eps = e.info.get("epsilon", by_name.FGSM_EPSILON)
    before, after = int(r.predictions_before[index]), int(r.predictions_after[index])

    def said(k, probs):
        return f"{net.class_name(k)} (p = {probs[index, k]:.3f})"

    fooled = before != after
    verdict = (f"fooled: {said(before, r.probs_before)} -> {said(after, r.probs_after)}" if fooled else
               f"not fooled at epsilon {eps:g}: still {said(after, r.probs_after)}, was "
               f"{said(before, r.probs_before)}; try a larger epsilon")
    return fooled, f"FGSM (Goodfellow et al. 2015) at epsilon {eps:g} grey levels\n{verdict}"

"""explain(): one method on one image, as a figure — what `cnnvis explain` draws.

The methods are methods/by_name.METHODS (computed there), and 'all': every method of the
panel side by side (methods/by_name.PANEL; occlusion and FGSM have figures of their own).
"""
import numpy as np

from .errors import InputError
from .methods import by_name
from .render.attribution import (adversarial_figure, explanation_title, heatmap_figure, methods_figure,
                                 picture)
from .render.common import new_figure
from .render.occlusion import occlusion_figure

METHODS = tuple(by_name.METHODS) + ("all",)


def explain(net, image, method, target="predicted", layer=None, score=None, progress=None, **options):
    """A Figure explaining ``target`` on ``image`` (uint8 (H, W[, 3]) at the network's input
    size, e.g. from cnnvis.images.load_image(path, size=...)) with ``method``.

    score: 'prob' or 'logit' (default: each method's, methods.by_name.default_score). options:
    the method's (samples, sigma, steps, patch, stride, epsilon); 'all' takes samples and steps.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    x = net.preprocess(image)
    if method == "all":
        unknown = sorted(set(options) - {"samples", "steps"})
        if unknown:
            raise InputError(f"'all' takes the options samples and steps, not {', '.join(unknown)}")
        return methods_figure(net, x, by_name.panel(net, x, target, layer, progress=progress, **options))
    e = by_name.attribute(net, x, method, target, layer, score, progress=progress, **options)
    return explanation_figure(net, image, e)


def explanation_figure(net, image, e, index=0):
    """The Figure of image ``index`` of a computed Explanation ``e`` (methods/by_name.attribute
    on a batch that holds ``image``, uint8 (H, W[, 3]) at the network's input size): what
    explain() draws, for a method other than 'all'. Dataset runs (cnnvis/scale) compute a
    batch once and draw each of its images so."""
    title = f"{e.title}: {explanation_title(net, e, index)}" + (f" (at {e.layer})" if e.layer else "")
    if e.display == "occlusion":
        return occlusion_figure(image, e.values, index, class_names=net.class_names, title=title)
    if e.display == "adversarial":
        x = net.preprocess(image)
        one = type(e.values)(*(v[index:index + 1] for v in e.values))
        return adversarial_figure(net, x, one, title="FGSM (Goodfellow et al. 2015)")
    pic, kind = picture(net, e, index)
    if kind == "heat":
        return heatmap_figure(image, pic, title=title)
    fig = new_figure(6.4, 3.4, dpi=110)
    for k, (shown, name) in enumerate(((image, "input"), (pic, e.title))):
        ax = fig.add_subplot(1, 2, k + 1)
        ax.imshow(shown, cmap="gray" if np.ndim(shown) == 2 else None, vmin=0, vmax=255 if k == 0 else 1)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    fig.suptitle(title, fontsize=11)
    return fig

"""Adversarial examples: can the network be fooled by a small, smart distortion of the image?

FGSM: Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples",
ICLR 2015. Iterative FGSM: Kurakin, Goodfellow & Bengio, "Adversarial Examples in the
Physical World", ICLR workshop 2017. Numbers match Captum's robust.FGSM and robust.PGD
(norm='Linf', no random start) given the same loss:

* loss='cross-entropy' (the default): -log softmax(logits)[t], its gradient taken from the
  logits (p - onehot), so it stays finite where a probability underflows to 0. On a network
  that ends in a Softmax this is Captum's default loss on the whole model.
* loss='nll': -log(outputs[t]) on the network's raw outputs, Captum's default loss whatever
  the last layer: the cross-entropy after a final Softmax (but NaN where p_t underflows),
  the negative log of a logit otherwise.
* a callable (outputs, t) -> (loss (N,), d loss / d outputs (N, K)), on the raw outputs
  (the step uses the gradient; the loss is there to check the gradient against).

As Captum, an input whose gradient is at most ZERO_GRADIENT in size is left where it is:
where the gradient is zero in exact arithmetic, float32 rounding noise (1e-7) must not
decide the direction of a step.

Units. ``unit='pixel'``: epsilon in grey levels of the image, [0, 255] (one level is 1/255
of the range each input channel can take: scale / std in input units, see
preprocessing.py); ``unit='input'``: epsilon directly in network-input units.
"""
from typing import NamedTuple

import numpy as np

from ..engine import array_module, to_host
from ..errors import InputError, TargetError
from ..progress import bar
from .targets import Unit, ends_in_softmax, logits_layer, resolve

UNITS = ("pixel", "input")
LOSSES = ("cross-entropy", "nll")
ZERO_GRADIENT = 1e-6  # Captum's zero_thresh: |d loss / d input| at most this moves nothing


class Adversarial(NamedTuple):
    """x: adversarial inputs (N, C, H, W); predictions_before/after (N,) class indices;
    probs_before/after (N, K) softmax probabilities; linf, l2 (N,) norms of the
    perturbation in the unit of epsilon."""
    x: np.ndarray
    predictions_before: np.ndarray
    predictions_after: np.ndarray
    probs_before: np.ndarray
    probs_after: np.ndarray
    linf: np.ndarray
    l2: np.ndarray


def pixel_size(net):
    """Input units per grey level, per channel (C,): scale / std of the preprocessing."""
    p = net.preprocessing
    return p.scale / p.std


def input_range(net):
    """(lo, hi) per channel (C,): the inputs that images in [0, 255] can give."""
    p = net.preprocessing
    return (0 * p.scale - p.mean) / p.std, (255 * p.scale - p.mean) / p.std


def _per_channel(values, x):
    xp = array_module(x)
    return xp.asarray(np.asarray(values, np.float64), dtype=x.dtype).reshape(1, -1, 1, 1)


def _probs(net, x):
    """Softmax probabilities (N, K) of x on the device; leaves the logits layer's cache ready."""
    out = net.forward(x)
    if ends_in_softmax(net):
        return out
    xp = array_module(out)
    e = xp.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(logits, classes):
    """-log softmax(logits)[class] per image (N,), and its gradient p - onehot(class) (N, K)."""
    xp = array_module(logits)
    rows, cols = xp.arange(len(classes)), xp.asarray(classes)
    z = logits - logits.max(axis=1, keepdims=True)
    e = xp.exp(z)
    grad = e / e.sum(axis=1, keepdims=True)  # p, as the Softmax layer computes it
    grad[rows, cols] -= 1
    return xp.log(e.sum(axis=1)) - z[rows, cols], grad


def negative_log(outputs, classes):
    """-log(outputs[class]) per image (N,), and its gradient -1 / outputs[class] at the class.
    A logit <= 0 gives a NaN loss and an infinite or negative-reciprocal gradient, as Captum's."""
    xp = array_module(outputs)
    rows, cols = xp.arange(len(classes)), xp.asarray(classes)
    grad = xp.zeros_like(outputs)
    with np.errstate(invalid="ignore", divide="ignore"):
        grad[rows, cols] = -1 / outputs[rows, cols]
        return -xp.log(outputs[rows, cols]), grad


def _loss_gradient(net, loss, classes):
    """d loss / dx for each image at the last forward pass: backward from the layer the loss
    reads (the logits for 'cross-entropy', the output otherwise) with d loss / d that layer."""
    layer = logits_layer(net) if loss == "cross-entropy" else net.output
    outputs = net.activations[layer]
    function = {"cross-entropy": cross_entropy, "nll": negative_log}.get(loss, loss)
    grad = array_module(outputs).asarray(function(outputs, classes)[1], dtype=outputs.dtype)
    if grad.shape != outputs.shape:
        raise InputError(f"the loss returned a gradient of shape {tuple(grad.shape)} for outputs of "
                         f"shape {tuple(outputs.shape)}; return (loss, d loss / d outputs)")
    return net.backward(grad, start=layer)


def _step(x, g, amount):
    """x + amount * sign(g), except where |g| <= ZERO_GRADIENT (left as it is)."""
    xp = array_module(x)
    return xp.where(xp.abs(g) > ZERO_GRADIENT, x + amount * xp.sign(g), x)


def _setup(net, x, target, epsilon, unit, loss):
    if unit not in UNITS:
        raise InputError(f"unit must be one of {UNITS}, got {unit!r}")
    if not callable(loss) and loss not in LOSSES:
        raise InputError(f"loss must be one of {LOSSES} or a function (outputs, target) -> "
                         f"(loss, d loss / d outputs), got {loss!r}")
    if epsilon < 0:
        raise InputError(f"epsilon must be >= 0, got {epsilon}")
    targets = resolve(net, x, target)
    if any(isinstance(t, Unit) for t in targets):
        raise TargetError("FGSM needs class targets (an index, a name or 'predicted'), not units of a layer")
    probs = _probs(net, x)  # the cache now holds x's forward pass, ready for _loss_gradient
    xp = array_module(probs)
    x = xp.asarray(x, dtype=net.dtype)
    size = _per_channel(pixel_size(net) if unit == "pixel" else np.ones(x.shape[1]), x)
    lo, hi = (_per_channel(v, x) for v in input_range(net))
    return np.asarray(targets), x, probs, size, lo, hi


def _result(x, x_adv, probs_before, probs_after, size):
    probs_before, probs_after = to_host(probs_before), to_host(probs_after)
    delta = to_host((x_adv - x) / size).reshape(len(x), -1).astype(np.float64)
    return Adversarial(to_host(x_adv), probs_before.argmax(axis=1), probs_after.argmax(axis=1),
                       probs_before, probs_after, np.abs(delta).max(axis=1),
                       np.sqrt((delta ** 2).sum(axis=1)))


def fgsm(net, x, target="predicted", epsilon=2.0, unit="pixel", targeted=False, clip=True,
         loss="cross-entropy"):
    """x_adv = clip(x + s * epsilon * sign(d J(x, t) / dx)),  J = the loss, by default
    'cross-entropy' -log softmax(logits)[t] (or 'nll', or a callable: see the module docstring)

    Untargeted (s = +1): t is the true class (default: the prediction), pushed down.
    Targeted (s = -1): t is the class wanted, pulled up. Inputs whose gradient is at most
    ZERO_GRADIENT stay. clip keeps x_adv inside the inputs that real images give
    (input_range). epsilon in ``unit`` (see the module docstring).
    """
    classes, x, probs, size, lo, hi = _setup(net, x, target, epsilon, unit, loss)
    xp = array_module(x)
    sign = -1 if targeted else 1
    x_adv = _step(x, _loss_gradient(net, loss, classes), sign * epsilon * size)
    if clip:
        x_adv = xp.minimum(xp.maximum(x_adv, lo), hi)
    return _result(x, x_adv, probs, _probs(net, x_adv), size)


def iterative_fgsm(net, x, target="predicted", epsilon=4.0, step=1.0, steps=None, unit="pixel",
                   targeted=False, clip=True, progress=None, loss="cross-entropy"):
    """Kurakin et al.'s basic iterative method: ``steps`` FGSM steps of size ``step``, each
    followed by clipping to the epsilon-ball around x (L-infinity) and to input_range:

        x_0 = x,   x_{k+1} = clip_range(clip_{x, eps}(x_k + s * step * sign(d J(x_k, t) / dx)))

    J: the loss, 'cross-entropy' by default (see fgsm). steps default: min(eps/step + 4,
    1.25 eps/step) (the paper's rule, with step = 1 grey level).
    """
    classes, x, probs, size, lo, hi = _setup(net, x, target, epsilon, unit, loss)
    if step <= 0:
        raise InputError(f"step must be > 0, got {step}")
    if steps is None:
        steps = max(1, int(min(epsilon / step + 4, 1.25 * epsilon / step)))
    if int(steps) < 1:
        raise InputError(f"steps must be at least 1, got {steps} (or leave it out for the paper's rule)")
    xp = array_module(x)
    sign = -1 if targeted else 1
    ball_lo, ball_hi = x - epsilon * size, x + epsilon * size
    if clip:
        ball_lo, ball_hi = xp.maximum(ball_lo, lo), xp.minimum(ball_hi, hi)
    x_adv, p = x, probs
    for _ in bar(range(int(steps)), desc="Iterative FGSM", unit="step", progress=progress):
        x_adv = _step(x_adv, _loss_gradient(net, loss, classes), sign * step * size)
        x_adv = xp.minimum(xp.maximum(x_adv, ball_lo), ball_hi)
        p = _probs(net, x_adv)
    return _result(x, x_adv, probs, p, size)

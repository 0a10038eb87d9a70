"""Adversarial examples: can the network be fooled by a small, smart distortion of the image?

FGSM: Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples",
ICLR 2015. Iterative FGSM: Kurakin, Goodfellow & Bengio, "Adversarial Examples in the
Physical World", ICLR workshop 2017. Numbers match Captum's robust.FGSM and robust.PGD
(norm='Linf', no random start), whose loss is the same cross-entropy -log p_target, with two
differences: the gradient here comes from the logits (p - onehot), so it stays finite where
a probability underflows to 0 (Captum's default loss then gives NaN and leaves x as it is),
and every input moves by sign(gradient), where Captum leaves those with |gradient| <= 1e-6.

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


def _loss_gradient(net, p, classes):
    """d(-log p_class)/dx for each image, from the probabilities p of the last forward pass:
    backward from the logits with the seed p - onehot(class)."""
    xp = array_module(p)
    seed = p.copy()
    seed[xp.arange(len(classes)), xp.asarray(classes)] -= 1
    return net.backward(seed, start=logits_layer(net))


def _setup(net, x, target, epsilon, unit):
    if unit not in UNITS:
        raise InputError(f"unit must be one of {UNITS}, got {unit!r}")
    if epsilon < 0:
        raise InputError(f"epsilon must be >= 0, got {epsilon}")
    targets = resolve(net, x, target)
    if any(isinstance(t, Unit) for t in targets):
        raise TargetError("FGSM needs class targets (an index, a name or 'predicted'), not Units")
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


def fgsm(net, x, target="predicted", epsilon=2.0, unit="pixel", targeted=False, clip=True):
    """x_adv = clip(x + s * epsilon * sign(d J(x, t) / dx)),  J = -log softmax(logits)[t]

    Untargeted (s = +1): t is the true class (default: the prediction), pushed down.
    Targeted (s = -1): t is the class wanted, pulled up. clip keeps x_adv inside the inputs
    that real images give (input_range). epsilon in ``unit`` (see the module docstring).
    """
    classes, x, probs, size, lo, hi = _setup(net, x, target, epsilon, unit)
    xp = array_module(x)
    sign = -1 if targeted else 1
    x_adv = x + sign * epsilon * size * xp.sign(_loss_gradient(net, probs, classes))
    if clip:
        x_adv = xp.minimum(xp.maximum(x_adv, lo), hi)
    return _result(x, x_adv, probs, _probs(net, x_adv), size)


def iterative_fgsm(net, x, target="predicted", epsilon=4.0, step=1.0, steps=None, unit="pixel",
                   targeted=False, clip=True, progress=None):
    """Kurakin et al.'s basic iterative method: ``steps`` FGSM steps of size ``step``, each
    followed by clipping to the epsilon-ball around x (L-infinity) and to input_range:

        x_0 = x,   x_{k+1} = clip_range(clip_{x, eps}(x_k + s * step * sign(d J(x_k, t) / dx)))

    steps default: min(eps/step + 4, 1.25 eps/step) (the paper's rule, with step = 1 grey level).
    """
    classes, x, probs, size, lo, hi = _setup(net, x, target, epsilon, unit)
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
        x_adv = x_adv + sign * step * size * xp.sign(_loss_gradient(net, p, classes))
        x_adv = xp.minimum(xp.maximum(x_adv, ball_lo), ball_hi)
        p = _probs(net, x_adv)
    return _result(x, x_adv, probs, p, size)

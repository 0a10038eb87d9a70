"""Integrated gradients: the gradient integrated along the straight path from a baseline.

Sundararajan, Taly & Yan, "Axiomatic Attribution for Deep Networks", ICML 2017.
Numbers match Captum's IntegratedGradients (the same alphas and step weights for every
method; the same convergence delta). Blurred baseline: Sturmfels, Lundberg & Lee,
"Visualizing the Impact of Feature Attribution Baselines", Distill 2020.
"""
from typing import NamedTuple

import numpy as np

from ..engine import array_module, holds_weights, to_host
from ..errors import InputError
from .batches import pair_batches
from .blur import gaussian_blur
from .targets import gradient, resolve, scores_and_seed, target_layer

METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre")


def alphas_and_weights(steps, method="gausslegendre"):
    """Path points alpha_i in [0, 1] and weights w_i of the integral over alpha, as Captum:
    Riemann sums with weights 1/steps (trapezoid: the two ends halved, so they sum to
    1 - 1/steps, as Captum's), or Gauss-Legendre nodes and weights mapped to [0, 1]."""
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    steps, least = int(steps), (1 if method == "gausslegendre" else 2)
    if steps < least:
        raise InputError(f"{method} needs at least {least} steps, got {steps}")
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return 0.5 * (1 + nodes), 0.5 * weights
    weights = np.full(steps, 1 / steps)
    first, last = {"riemann_left": (0, 1 - 1 / steps), "riemann_right": (1 / steps, 1),
                   "riemann_middle": (1 / (2 * steps), 1 - 1 / (2 * steps)),
                   "riemann_trapezoid": (0, 1)}[method]
    if method == "riemann_trapezoid":
        weights[[0, -1]] /= 2
    return np.linspace(first, last, steps), weights


class IGResult(NamedTuple):
    """attributions (N, C, H, W); completeness_error (N,) = sum(attributions) - (F(x) - F(x'));
    scores F(x) and baseline_scores F(x') (N,)."""
    attributions: np.ndarray
    completeness_error: np.ndarray
    scores: np.ndarray
    baseline_scores: np.ndarray


def make_baseline(x, baseline="zeros", blur_sigma=5.0):
    """The baseline x': 'zeros' (the default), 'blur' (x blurred with blur_sigma pixels) or an
    array broadcastable to x (e.g. one (C, H, W) image)."""
    xp = array_module(x)
    if isinstance(baseline, str):
        if baseline == "zeros":
            return xp.zeros_like(x)
        if baseline == "blur":
            return gaussian_blur(x, blur_sigma)
        raise InputError(f"baseline must be 'zeros', 'blur' or an array, got {baseline!r}")
    b = xp.asarray(baseline, dtype=x.dtype)
    try:
        return xp.broadcast_to(b, x.shape).copy()
    except ValueError:
        raise InputError(f"a baseline of shape {tuple(b.shape)} does not fit inputs of shape "
                         f"{tuple(x.shape)}; give one (C, H, W) image or an array of the "
                         "inputs' shape") from None


@holds_weights
def integrated_gradients(net, x, target, baseline="zeros", steps=50, method="gausslegendre",
                         score="logit", blur_sigma=5.0, batch_size=32, progress=None):
    """IG[n] = (x[n] - x'[n]) * sum_i w_i * dS/dx (x'[n] + alpha_i (x[n] - x'[n]))

    approximating (x - x') * integral_0^1 dS/dx(x' + a (x - x')) da; by completeness the
    attributions sum to S(x) - S(x'), and the difference is reported per image.
    x: network input (N, C, H, W); target: per targets.py (resolved on x); score: 'logit'
    or 'prob'; baseline: see make_baseline; method, steps: see alphas_and_weights.
    The N*steps path points run batch_size at a time, with a progress bar.
    """
    alphas, weights = alphas_and_weights(steps, method)
    batches = pair_batches(len(x), len(alphas), batch_size, "Integrated gradients", "step", progress)
    targets = resolve(net, x, target)
    top = target_layer(net, targets, score)
    xp = array_module(net.forward(x, until=top))
    scores, _ = scores_and_seed(net, targets, top)
    x = xp.asarray(x, dtype=net.dtype)
    start = make_baseline(x, baseline, blur_sigma)
    net.forward(start, until=top)
    start_scores, _ = scores_and_seed(net, targets, top)
    diff = x - start
    total = xp.zeros_like(x)
    for rows in batches:  # (image, step)
        img = xp.asarray(rows[:, 0])
        alpha = xp.asarray(alphas[rows[:, 1]], dtype=x.dtype).reshape(-1, 1, 1, 1)
        g, _, _ = gradient(net, start[img] + alpha * diff[img],
                           [targets[i] for i in rows[:, 0]], score=score)
        g = g * xp.asarray(weights[rows[:, 1]], dtype=x.dtype).reshape(-1, 1, 1, 1)
        for i in np.unique(rows[:, 0]):
            total[int(i)] += g[xp.asarray(rows[:, 0] == i)].sum(axis=0)
    attributions = to_host(total * diff)
    error = attributions.reshape(len(x), -1).sum(axis=1, dtype=np.float64) - (scores - start_scores)
    return IGResult(attributions, error, scores, start_scores)

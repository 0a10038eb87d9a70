"""Activation maximization: the input a channel, a unit, a dense neuron or a class likes most.

Erhan, Bengio, Courville & Vincent, "Visualizing Higher-Layer Features of a Deep Network"
(2009): gradient ascent on the input; Simonyan, Vedaldi & Zisserman, "Deep Inside
Convolutional Networks" (ICLR workshop 2014), class models I* = arg max_I S_c(I) - l2 ||I||^2_2;
the regularizers of Yosinski et al., "Understanding Neural Networks Through Deep
Visualization" (2015: L2 decay, Gaussian blur every k steps, jitter), the total variation of
Mahendran & Vedaldi (CVPR 2015) and the octaves of Mordvintsev et al.'s DeepDream (2015).
The gradients match PyTorch autograd on the same weights (tests/test_units_actmax.py).

Objective of image n (x: network input (N, C, H, W); sums over c, i, j):
    J(x) = S(x) - l2 * sum x^2 - tv * TV(x),   TV(x) = sum (dh^2 + dv^2 + 1e-8)^(beta/2)
    dh[c,i,j] = x[c,i,j+1] - x[c,i,j], dv[c,i,j] = x[c,i+1,j] - x[c,i,j] (0 on the last column/row)
    S: a class's logit, a channel's mean activation, one unit's activation or a dense neuron's.
Step t of each octave:
    jitter: J and dJ/dx are taken at x rolled by (dy, dx) ~ U{-jitter..jitter}^2, rolled back
    g = dJ/dx;  x <- x + lr_t * p * g / mean|g| (normalize=True; lr in pixel levels 0..255, p
    the input units of one level) or x <- x + lr_t * g (normalize=False; plain ascent)
    x <- (1 - decay) x (Yosinski's L2 decay, towards input 0: the mean pixel of mean-subtracted
    inputs, black for pixels / 255); every blur_every steps x <- Gaussian blur(x, blur_sigma);
    x <- clip(x, the inputs of pixels 0 and 255).
Octaves: the image grows from size / octave_scale^(octaves - 1) to size, upsampled (bilinear)
between octaves, `steps` steps each (layers after Flatten need the network's input size).
"""
from typing import NamedTuple

import numpy as np

from ..engine import array_module, holds_weights, to_device, to_host
from ..errors import InputError
from ..progress import bar
from ..schedules import learning_rate
from .adversarial import input_range, pixel_size
from .blur import gaussian_blur
from .targets import gradient, resolve, target_layer
from .upsample import upsample

SCHEDULES = ("constant", "cosine")
TV_EPS = 1e-8


class ActMax(NamedTuple):
    """images (N, H, W, C) in [0, 255] (float); inputs: the same as network input (N, C, H, W);
    objective, scores (steps * octaves, N): J and S at every step; frames: [(step, images)]
    every record_every steps and at the end (images of that octave's size)."""
    images: np.ndarray
    inputs: np.ndarray
    objective: np.ndarray
    scores: np.ndarray
    frames: list


def total_variation(x, beta=2.0):
    """(TV (N,), dTV/dx) of x (N, C, H, W) as in the module docstring, on x's device."""
    xp = array_module(x)
    dh, dv = xp.zeros_like(x), xp.zeros_like(x)
    dh[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    dv[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    s = dh * dh + dv * dv + TV_EPS
    value = (s ** (beta / 2)).reshape(len(x), -1).sum(axis=1)
    w = beta * s ** (beta / 2 - 1)
    a, b = w * dh, w * dv
    grad = -a - b
    grad[..., :, 1:] += a[..., :, :-1]
    grad[..., 1:, :] += b[..., :-1, :]
    return value, grad


def objective(net, x, target, l2=0.0, tv=0.0, tv_beta=2.0):
    """(J (N,), S (N,), dJ/dx (N, C, H, W) on x's device) for network input x; J as in the
    module docstring. target: a class (index, name), a Unit, or one per image."""
    g, scores, _ = gradient(net, x, target, score="logit")
    xp = array_module(g)
    x = xp.asarray(x, dtype=g.dtype)
    value = np.asarray(scores, np.float64)
    if l2:
        value = value - l2 * to_host((x * x).reshape(len(x), -1).sum(axis=1))
        g = g - (2 * l2) * x
    if tv:
        tv_value, tv_grad = total_variation(x, tv_beta)
        value = value - tv * to_host(tv_value)
        g = g - tv * tv_grad
    return value, np.asarray(scores, np.float64), g


def pixel_bounds(net):
    """(lo, hi, p) per channel, each (C, 1, 1) on the network's device in its dtype: the
    inputs of pixels 0 and 255, and the input units of one pixel level."""
    values = (*input_range(net), pixel_size(net))
    return tuple(to_device(np.asarray(v, net.dtype).reshape(-1, 1, 1), net.backend) for v in values)


def normalized(g):
    """g / mean|g| per image (N, ...); an all-zero gradient stays zero."""
    xp = array_module(g)
    size = xp.abs(g).reshape(len(g), -1).mean(axis=1).reshape((-1,) + (1,) * (g.ndim - 1))
    return g / xp.where(size > 0, size, 1)


def octave_sizes(size, octaves, scale):
    """[(h, w)] of each octave, the last one ``size``: size / scale^k, k = octaves - 1 .. 0."""
    if int(octaves) < 1 or not scale > 0:
        raise InputError(f"octaves must be at least 1 and octave_scale positive, got {octaves} and {scale}")
    h, w = size
    return [(max(1, round(h / scale ** k)), max(1, round(w / scale ** k)))
            for k in range(int(octaves) - 1, -1, -1)]


def jitter_shift(rng, jitter):
    """(dy, dx), each drawn uniformly from -jitter .. jitter pixels with the Generator rng."""
    if jitter < 0:
        raise InputError(f"jitter must be a number of pixels >= 0, got {jitter}")
    return tuple(int(v) for v in rng.integers(-jitter, jitter + 1, 2))


def _check(net, layer, sizes, normalize, lr, schedule, blur_sigma, blur_every):
    if not all(net.takes_size(s, layer) for s in sizes):
        raise InputError(f"layer {layer!r} needs {net.input_shape[1]}x{net.input_shape[2]} inputs (a "
                         "dense layer before it fixes the size): use octaves=1 and the network's "
                         "input size, or a target in a conv layer")
    if not callable(schedule) and schedule not in SCHEDULES:
        raise InputError(f"schedule must be one of {SCHEDULES} or a function (step, steps) -> lr, "
                         f"got {schedule!r}")
    if lr <= 0:
        raise InputError(f"lr must be positive, got {lr} ({'pixel levels' if normalize else 'input units'})")
    if blur_sigma and int(blur_every) < 1:
        raise InputError(f"blur_every must be at least 1 (blur every this many steps), got {blur_every}")


@holds_weights
def activation_maximization(net, inputs, target, steps=200, lr=2.0, schedule="constant",
                            normalize=True, l2=0.0, decay=0.0, tv=0.0, tv_beta=2.0, jitter=0,
                            blur_sigma=0.0, blur_every=4, octaves=1, octave_scale=1.4, size=None,
                            start=0.5, noise=0.1, clip=True, seed=0, record_every=0,
                            progress=None):
    """Gradient ascent on J (module docstring) from ``inputs`` (network input (N, C, H, W)) or,
    for inputs=None, from seeded noise lo + (hi - lo) * U(start - noise/2, start + noise/2)
    (start 0.5: mid-gray), one image per target, of ``size`` (H, W) (default the network's).

    target: a class (index or name: its logit), a Unit (a channel's mean, one unit, a dense
    neuron), or a list with one per image. schedule: 'constant', 'cosine' (to 0 at the end of
    each octave) or a function (step, steps) -> lr. The network runs in its current mode
    (use net.eval()). Deterministic for a given seed (noise and jitter use it).
    Returns ActMax.
    """
    rng = np.random.default_rng(seed)
    lo, hi, pixel = pixel_bounds(net)
    if inputs is None:
        sizes = octave_sizes(tuple(size or net.input_shape[1:]), octaves, octave_scale)
        count = len(target) if isinstance(target, (list, np.ndarray)) else 1
        u = rng.uniform(start - noise / 2, start + noise / 2, (count, net.input_shape[0], *sizes[0]))
        x = to_device(u.astype(net.dtype), net.backend)
        x = array_module(x).clip(lo + (hi - lo) * x, lo, hi)
    else:
        sizes = octave_sizes(tuple(inputs.shape[2:]), octaves, octave_scale)
        x = to_device(inputs, net.backend).astype(net.dtype)
        x = upsample(x, sizes[0]) if sizes[0] != sizes[-1] else x.copy()
    targets = resolve(net, x, target)
    _check(net, target_layer(net, targets), sizes, normalize, lr, schedule, blur_sigma, blur_every)
    xp = array_module(x)
    objectives, scores = [], []
    frames = [(0, net.deprocess(x))] if record_every else []
    with bar(total=steps * len(sizes), desc="activation max", progress=progress) as pbar:
        for octave, shape in enumerate(sizes):
            if octave:
                x = upsample(x, shape)
            for t in range(steps):
                rate = schedule(t, steps) if callable(schedule) else learning_rate(schedule, lr, t, steps)
                shift = jitter_shift(rng, jitter) if jitter else None
                xs = xp.roll(x, shift, axis=(2, 3)) if shift else x
                value, score, g = objective(net, xs, targets, l2, tv, tv_beta)
                if shift:
                    g = xp.roll(g, (-shift[0], -shift[1]), axis=(2, 3))
                if normalize:
                    x = x + (rate * pixel) * normalized(g)
                else:
                    x = x + rate * g
                if decay:
                    x = (1 - decay) * x
                if blur_sigma and (t + 1) % blur_every == 0:
                    x = gaussian_blur(x, blur_sigma)
                if clip:
                    x = xp.clip(x, lo, hi)
                x = x.astype(net.dtype, copy=False)
                objectives.append(value)
                scores.append(score)
                done = len(objectives)
                if record_every and (done % record_every == 0 or done == steps * len(sizes)):
                    frames.append((done, net.deprocess(x)))
                pbar.update(1)
    return ActMax(net.deprocess(x), to_host(x), np.array(objectives), np.array(scores), frames)


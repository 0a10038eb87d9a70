"""DeepDream: amplify what a layer sees in an image.

Mordvintsev, Olah & Tyka, "Inceptionism: Going Deeper into Neural Networks" (Google Research
blog, 2015) and their deepdream notebook, whose algorithm this follows:
    objective  'squared': O(x) = mean_{k,i,j} A[k,i,j]^2 / 2   (the notebook's L2 objective,
               dO/dA = A / size), or 'mean': O(x) = mean A;  A: the layer's (or one channel's)
               activations for input x
    step       x <- x + lr * p * g / mean|g|,  g = dO/dx at x rolled by a random jitter and
               rolled back; lr in pixel levels (the notebook's step_size 1.5), p the input
               units of one level; x clipped to the inputs of pixels 0..255
    octaves    the image is shrunk octaves - 1 times by octave_scale; from the smallest, the
               detail added by the steps (x - the shrunk image) is upsampled (bilinear) onto
               the next larger image, `steps` steps per octave.
One step matches PyTorch autograd on the same weights (tests/test_units_deepdream.py).
"""
from typing import NamedTuple

import numpy as np

from ..engine import array_module, holds_weights, to_device, to_host
from ..errors import InputError, TargetError
from ..progress import bar
from .activation_max import jitter_shift, normalized, octave_sizes, pixel_bounds
from .targets import Unit, check_unit, per_image
from .upsample import upsample

OBJECTIVES = ("squared", "mean")


class Dream(NamedTuple):
    """images (N, H, W, C) in [0, 255] (float); inputs: the same as network input (N, C, H, W);
    objective (steps * octaves, N): O at every step."""
    images: np.ndarray
    inputs: np.ndarray
    objective: np.ndarray


def _units(net, target, count):
    """One Unit per image (a whole layer or one channel) from a layer name, a Unit or a list."""
    units = [Unit(t) if isinstance(t, str) else Unit(*t) if isinstance(t, tuple) else t
             for t in per_image(target, count)]
    for u in units:
        if not isinstance(u, Unit) or u.i is not None:
            raise TargetError(f"DeepDream amplifies a layer or a channel: give a layer name or "
                              f"Unit(layer, channel), got {u!r}")
        net.index(u.layer)
    if len({u.layer for u in units}) > 1:
        raise TargetError("the targets of one call must live in one layer; call once per layer")
    return units


def dream_objective(a, units, kind="squared"):
    """(O (N,), dO/da) for layer output a (N, C, ...) and one Unit per image (module docstring)."""
    if kind not in OBJECTIVES:
        raise InputError(f"objective must be one of {OBJECTIVES}, got {kind!r}")
    xp = array_module(a)
    seed = xp.zeros_like(a)
    values = []
    for n, u in enumerate(units):
        check_unit(u, a.shape[1:])
        idx = (n,) if u.channel is None else (n, u.channel)
        region = a[idx]
        if kind == "squared":
            values.append(float((region * region).mean()) / 2)
            seed[idx] = region / region.size
        else:
            values.append(float(region.mean()))
            seed[idx] = 1.0 / region.size
    return np.array(values), seed


@holds_weights
def deepdream(net, inputs, target, steps=10, lr=1.5, octaves=4, octave_scale=1.4, jitter=None,
              objective="squared", seed=0, progress=None):
    """Amplify ``target`` (a layer name, Unit(layer, channel), or one per image) in network
    input ``inputs`` (N, C, H, W) by normalized gradient ascent over octaves. jitter: the
    largest shift in pixels (default an eighth of the image's smaller side: the notebook's 32
    for 256 pixels). Deterministic for a given seed (the jitter uses it). Returns Dream."""
    units = _units(net, target, len(inputs))
    layer = units[0].layer
    size = tuple(inputs.shape[2:])
    sizes = octave_sizes(size, octaves, octave_scale)
    if not all(net.takes_size(s, layer) for s in sizes):
        raise InputError(f"layer {layer!r} needs {net.input_shape[1]}x{net.input_shape[2]} inputs (a "
                         "dense layer before it fixes the size), so the image cannot change size: use "
                         "octaves=1, or dream a conv layer")
    jitter = min(size) // 8 if jitter is None else int(jitter)
    rng = np.random.default_rng(seed)
    lo, hi, pixel = pixel_bounds(net)
    base = to_device(inputs, net.backend).astype(net.dtype)
    xp = array_module(base)
    bases = [base if s == size else upsample(base, s) for s in sizes]
    detail = xp.zeros_like(bases[0])
    values = []
    with bar(total=steps * len(sizes), desc="DeepDream", progress=progress) as pbar:
        for octave, shape in enumerate(sizes):
            if octave:
                detail = upsample(detail, shape)
            x = bases[octave] + detail
            for _ in range(steps):
                dy, dx = jitter_shift(rng, jitter)
                a = net.forward(xp.roll(x, (dy, dx), axis=(2, 3)), until=layer)
                value, g_a = dream_objective(a, units, objective)
                g = xp.roll(net.backward(g_a, start=layer), (-dy, -dx), axis=(2, 3))
                x = xp.clip(x + (lr * pixel) * normalized(g), lo, hi).astype(net.dtype)
                values.append(value)
                pbar.update(1)
            detail = x - bases[octave]
    return Dream(net.deprocess(x), to_host(x), np.array(values))

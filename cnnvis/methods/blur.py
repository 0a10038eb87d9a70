"""Gaussian blur of network inputs, e.g. the blurred baseline of integrated gradients.

The same numbers as scipy.ndimage.gaussian_filter(x, (0, 0, sigma, sigma), mode='reflect',
truncate=4.0): a separable kernel k[t] proportional to exp(-t^2 / (2 sigma^2)) for
|t| <= round(4 sigma), summing to 1, with the image mirrored at its borders (d c b a | a b c d).
"""
import numpy as np

from ..engine import array_module
from ..errors import InputError


def gaussian_kernel(sigma, truncate=4.0):
    """The 1-D kernel, float64, of length 2 * int(truncate * sigma + 0.5) + 1."""
    radius = int(truncate * float(sigma) + 0.5)
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(x, sigma, truncate=4.0):
    """Blur each channel of x (N, C, H, W) over H and W with a Gaussian of std ``sigma`` pixels.

    sigma 0 returns a copy. Stays on x's device and in its precision.
    """
    if sigma < 0:
        raise InputError(f"blur sigma must be >= 0 pixels, got {sigma}")
    xp = array_module(x)
    out = xp.array(x, copy=True)
    if sigma == 0:
        return out
    k = gaussian_kernel(sigma, truncate)
    r = len(k) // 2
    for axis in (2, 3):
        pad = [(0, 0)] * 4
        pad[axis] = (r, r)
        padded = xp.pad(out, pad, mode="symmetric")
        n = out.shape[axis]
        acc = xp.zeros_like(out)
        for t, weight in enumerate(k):
            acc += float(weight) * xp.take(padded, xp.arange(t, t + n), axis=axis)
        out = acc
    return out

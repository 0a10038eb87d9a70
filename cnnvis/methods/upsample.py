"""Resizing layer maps to the input: bilinear and nearest, exactly as PyTorch does it.

torch.nn.functional.interpolate(mode="bilinear", align_corners=False), which Captum's
LayerAttribution.interpolate and Score-CAM use (and OpenCV's INTER_LINEAR, which
pytorch-grad-cam uses, follows the same half-pixel rule). Per axis, with s = in / out:

    src(o) = max(s * (o + 0.5) - 0.5, 0),  i0 = floor(src),  i1 = min(i0 + 1, in - 1)
    y[o] = (1 - l) * x[i0] + l * x[i1],    l = src - i0

applied to the columns first, then to the rows, in the maps' precision like PyTorch's CPU
kernel (equal to it up to a few float32 ulps: PyTorch's vectorised loop fuses multiply-adds).
mode="nearest" (interpolate's default, Captum's GuidedGradCam default): y[o] = x[min(floor(o * s), in - 1)].
"""
import numpy as np

from ..engine import array_module
from ..errors import InputError

MODES = ("bilinear", "nearest")


def _linear(n_in, n_out, dtype):
    """Source indices i0, i1 and weights (1 - l), l of each of n_out outputs, computed in
    ``dtype`` (PyTorch computes them in the maps' precision)."""
    one, half = dtype.type(1), dtype.type(0.5)
    o = np.arange(n_out, dtype=dtype)
    scale = dtype.type(n_in) / dtype.type(n_out)
    src = np.maximum(scale * (o + half) - half, dtype.type(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    return i0, i1, one - lam, lam


def _nearest(n_in, n_out):
    """Source index of each of n_out outputs (PyTorch's nearest_idx)."""
    o = np.arange(n_out)
    if n_out == n_in:
        return o
    if n_out == 2 * n_in:
        return o >> 1
    scale = np.float32(n_in) / np.float32(n_out)
    return np.minimum(np.floor(o.astype(np.float32) * scale).astype(np.int64), n_in - 1)


def upsample(maps, size, mode="bilinear"):
    """Resize the last two axes of ``maps`` ((..., h, w), e.g. (N, h, w) or (N, C, h, w)) to size (H, W).

    Stays on the maps' device (NumPy or CuPy); integer maps are resized as float32.
    """
    if mode not in MODES:
        raise InputError(f"upsampling mode must be one of {MODES}, got {mode!r}")
    xp = array_module(maps)
    h, w = maps.shape[-2:]
    out_h, out_w = (int(v) for v in size)
    if out_h < 1 or out_w < 1:
        raise InputError(f"upsampling size must be positive, got {size}")
    if mode == "nearest":
        rows, cols = xp.asarray(_nearest(h, out_h)), xp.asarray(_nearest(w, out_w))
        return maps[..., rows, :][..., cols]
    dtype = np.dtype(maps.dtype) if maps.dtype.kind == "f" else np.dtype(np.float32)
    maps = maps.astype(dtype, copy=False)
    c0, c1, cw0, cw1 = (xp.asarray(v) for v in _linear(w, out_w, dtype))
    r0, r1, rw0, rw1 = (xp.asarray(v) for v in _linear(h, out_h, dtype))
    t = maps[..., c0] * cw0 + maps[..., c1] * cw1
    return t[..., r0, :] * rw0[:, None] + t[..., r1, :] * rw1[:, None]

"""The GPU backend's operations, written once against the array API shared by CuPy and NumPy.

On a GPU they run on cupy arrays: convolution is im2col by strided views + one cuBLAS GEMM,
pooling records switches with an arg max over window views, col2im and unpooling are
strided or scatter adds. Because they never call CUDA directly, the CPU test suite runs
the very same functions on NumPy arrays (tests/test_gpu_kernels_on_cpu.py) against the CPU
kernels and PyTorch; tests/test_gpu.py runs them on a GPU when there is one.

Padding is (top, bottom, left, right); stride (sh, sw); as in engine/ops.py.
"""
from .backend import array_module, is_gpu_array
from .ops import conv_output_size


def _windows(xpad, kh, kw, sh, sw, ho, wo):
    """View (N, C, Ho, Wo, KH, KW) of the windows of a padded input (no copy)."""
    xp = array_module(xpad)
    n, c, _, _ = xpad.shape
    s = xpad.strides
    return xp.lib.stride_tricks.as_strided(
        xpad, (n, c, ho, wo, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]))


def _pad(x, pad, value=0.0):
    xp = array_module(x)
    pt, pb, pl, pr = pad
    return xp.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def conv2d_forward(x, w, b, stride, pad):
    """y[n,o,p,q] = b[o] + sum_{c,i,j} w[o,c,i,j] xpad[n, c, p*sh + i, q*sw + j]  (im2col + GEMM)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(wd, kw, sw, pl, pr)
    cols = _windows(_pad(x, pad), kh, kw, sh, sw, ho, wo).transpose(0, 2, 3, 1, 4, 5)
    y = cols.reshape(n * ho * wo, c * kh * kw) @ w.reshape(o, -1).T + b
    return y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2).copy()


def conv2d_backward(g, x, w, stride, pad, input_grad=True, param_grads=False):
    """dx = col2im(g w) as KH*KW strided adds, dw = g^T im2col(x), db = sum g."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    ho, wo = g.shape[2:]
    g2 = g.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)
    dx = dw = db = None
    if input_grad:
        xp = array_module(g)
        dcols = (g2 @ w.reshape(o, -1)).reshape(n, ho, wo, c, kh, kw)
        dxpad = xp.zeros((n, c, h + pt + pb, wd + pl + pr), g.dtype)
        for i in range(kh):
            for j in range(kw):
                dxpad[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += \
                    dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        dx = dxpad[:, :, pt:pt + h, pl:pl + wd].copy()
    if param_grads:
        cols = _windows(_pad(x, pad), kh, kw, sh, sw, ho, wo).transpose(0, 2, 3, 1, 4, 5)
        dw = (g2.T @ cols.reshape(n * ho * wo, c * kh * kw)).reshape(w.shape)
        db = g.sum(axis=(0, 2, 3))
    return dx, dw, db


def maxpool2d_forward(x, kernel, stride, pad):
    """y = window max; switches = h * W + w of that max in its input plane (int32).

    As the CPU kernel and PyTorch: ties go to the first maximum in row-major order, NaN wins
    (the last NaN of a window), and padding never does, not even in a window of -inf.
    """
    xp = array_module(x)
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(wd, kw, sw, pl, pr)
    k = xp.arange(kh * kw)
    rows = xp.arange(ho).reshape(-1, 1, 1) * sh - pt + k // kw  # (Ho, 1, K): input row of entry k
    cols = xp.arange(wo).reshape(1, -1, 1) * sw - pl + k % kw   # (1, Wo, K)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < wd)  # (Ho, Wo, K): not padding
    win = _windows(_pad(x, pad, -xp.inf), kh, kw, sh, sw, ho, wo).reshape(n, c, ho, wo, kh * kw)
    y = win.max(axis=-1)  # NaN if the window holds one
    hit = inside & ((win == y[..., None]) | xp.isnan(win))
    first, last = hit.argmax(axis=-1), kh * kw - 1 - hit[..., ::-1].argmax(axis=-1)
    arg = xp.where(xp.isnan(y), last, first)
    switch = rows * wd + cols  # (Ho, Wo, K): h * W + w of each window entry
    return y, switch[xp.arange(ho).reshape(-1, 1), xp.arange(wo), arg].astype(xp.int32)


def maxpool2d_backward(g, switches, input_shape):
    """dx[n, c] at switches += g (a scatter add: overlapping windows may share a switch)."""
    xp = array_module(g)
    n, c, h, wd = input_shape
    dx = xp.zeros((n * c, h * wd), g.dtype)
    flat = (xp.arange(n * c).reshape(-1, 1) * (h * wd) + switches.reshape(n * c, -1)).ravel()
    _scatter_add(dx.reshape(-1), flat, g.reshape(-1))
    return dx.reshape(input_shape)


def _scatter_add(target, index, values):
    if is_gpu_array(target):
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        import numpy as np
        np.add.at(target, index, values)


def relu_forward(x):
    """y = max(x, 0) (NaN stays NaN)."""
    xp = array_module(x)
    return xp.where(x > 0, x, xp.where(xp.isnan(x), x, 0)).astype(x.dtype)


def relu_backward(g, y, rule):
    """gradient: g (y > 0); deconvnet: g (g > 0); guided: g (y > 0)(g > 0)."""
    xp = array_module(g)
    keep = {"gradient": y > 0, "deconvnet": g > 0, "guided": (y > 0) & (g > 0)}[rule]
    return xp.where(keep, g, 0).astype(g.dtype)

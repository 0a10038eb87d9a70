"""Numba kernels of the CPU backend: im2col/col2im, max-pool with switches, ReLU rules, bias.

Each kernel works on one contiguous array and runs its outer loop over both
cores (``prange``). Kernels are compiled on first use and cached on disk
(``cache=True``), so the first call in a fresh install takes a few seconds.
Nothing here knows about layers; engine/ops.py calls these.
"""
import numpy as np
from numba import njit, prange

RULE_CODES = {"gradient": 0, "deconvnet": 1, "guided": 2}


@njit(parallel=True, cache=True)
def im2col_rows(x, kh, kw, sh, sw, pt, pl, r0, r1, wo, cols):
    """cols[(c, i, j), (r - r0) * wo + q] = x[c, r*sh - pt + i, q*sw - pl + j] (0 outside).

    x: (C, H, W) one image; cols: (C*kh*kw, (r1 - r0) * wo) for output rows r0 <= r < r1.
    """
    C, H, W = x.shape
    for row in prange(C * kh * kw):
        c = row // (kh * kw)
        i = (row // kw) % kh
        j = row % kw
        for r in range(r0, r1):
            h = r * sh - pt + i
            base = (r - r0) * wo
            if h < 0 or h >= H:
                for q in range(wo):
                    cols[row, base + q] = 0
                continue
            for q in range(wo):
                w = q * sw - pl + j
                if 0 <= w < W:
                    cols[row, base + q] = x[c, h, w]
                else:
                    cols[row, base + q] = 0


@njit(parallel=True, cache=True)
def col2im_rows(cols, kh, kw, sh, sw, pt, pl, r0, r1, wo, dx):
    """The transpose of im2col_rows: dx[c, h, w] += cols[(c, i, j), l] (padding dropped).

    Parallel over channels c, so no two threads add into the same dx entry.
    """
    C, H, W = dx.shape
    for c in prange(C):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for r in range(r0, r1):
                    h = r * sh - pt + i
                    if h < 0 or h >= H:
                        continue
                    base = (r - r0) * wo
                    for q in range(wo):
                        w = q * sw - pl + j
                        if 0 <= w < W:
                            dx[c, h, w] += cols[row, base + q]


@njit(parallel=True, cache=True)
def conv_direct_stride1(x, w, b, pt, pl, y):
    """y[n, o, r, q] = b[o] + sum_{c,i,j} w[o,c,i,j] x[n, c, r + i - pt, q + j - pl] (0 outside).

    The direct sum, one output row at a time, as AXPYs over contiguous rows. Fast when
    C*KH*KW is small, as in a first layer on RGB or grayscale pixels, where a GEMM
    has too short an inner dimension to pay off. (The loops index row views from 0 so
    that Numba can drop its negative-index checks and vectorize.)
    """
    N, C, H, W = x.shape
    O, _, KH, KW = w.shape
    ho, wo = y.shape[2], y.shape[3]
    for p in prange(N * O):
        n = p // O
        o = p - n * O
        for r in range(ho):
            acc = y[n, o, r]
            acc[:] = b[o]
            for c in range(C):
                for i in range(KH):
                    h = r + i - pt
                    if h < 0 or h >= H:
                        continue
                    for j in range(KW):
                        q0, q1 = max(0, pl - j), min(wo, W + pl - j)
                        dst, src = acc[q0:q1], x[n, c, h, q0 + j - pl:q1 + j - pl]
                        wv = w[o, c, i, j]
                        for k in range(q1 - q0):
                            dst[k] += wv * src[k]


@njit(parallel=True, cache=True)
def add_bias(y, b):
    """y[o, l] += b[o] for y of shape (O, L)."""
    O, L = y.shape
    for o in prange(O):
        bo = b[o]
        for l in range(L):
            y[o, l] += bo


@njit(parallel=True, cache=True)
def copy_add_bias(src, b, dst, offset):
    """dst[o, offset + l] = src[o, l] + b[o]: a GEMM chunk into its place in the output."""
    O, L = src.shape
    for o in prange(O):
        bo = b[o]
        for l in range(L):
            dst[o, offset + l] = src[o, l] + bo


@njit(parallel=True, cache=True)
def maxpool_forward(x, kh, kw, sh, sw, pt, pl, ho, wo):
    """y[n, c, i, j] = max over the window; switches[n, c, i, j] = h * W + w of that max.

    Ties go to the first element in row-major order and NaN wins, as in PyTorch,
    so that the switches (and hence every backward rule) agree with it.
    """
    N, C, H, W = x.shape
    y = np.empty((N, C, ho, wo), x.dtype)
    switches = np.empty((N, C, ho, wo), np.int32)
    for p in prange(N * C):
        n = p // C
        c = p - n * C
        for i in range(ho):
            for j in range(wo):
                best = x[n, c, 0, 0]
                arg = -1
                for a in range(kh):
                    h = i * sh - pt + a
                    if h < 0 or h >= H:
                        continue
                    for b in range(kw):
                        w = j * sw - pl + b
                        if w < 0 or w >= W:
                            continue
                        v = x[n, c, h, w]
                        if arg < 0 or v > best or np.isnan(v):
                            best = v
                            arg = h * W + w
                y[n, c, i, j] = best
                switches[n, c, i, j] = arg
    return y, switches


@njit(parallel=True, cache=True)
def maxpool2x2_forward(x):
    """maxpool_forward for the common 2x2 window, stride 2, no padding (VGG's), without bounds checks."""
    N, C, H, W = x.shape
    ho, wo = H // 2, W // 2
    y = np.empty((N, C, ho, wo), x.dtype)
    switches = np.empty((N, C, ho, wo), np.int32)
    for p in prange(N * C):
        n = p // C
        c = p - n * C
        for i in range(ho):
            h = 2 * i
            for j in range(wo):
                w = 2 * j
                best = x[n, c, h, w]
                arg = h * W + w
                for v, s in ((x[n, c, h, w + 1], h * W + w + 1), (x[n, c, h + 1, w], (h + 1) * W + w),
                             (x[n, c, h + 1, w + 1], (h + 1) * W + w + 1)):
                    if v > best or v != v:  # NaN wins, as in PyTorch
                        best = v
                        arg = s
                y[n, c, i, j] = best
                switches[n, c, i, j] = arg
    return y, switches


@njit(parallel=True, cache=True)
def maxpool_backward(g, switches, h, w):
    """dx[n, c, s // W, s % W] += g[n, c, i, j] with s = switches[n, c, i, j]."""
    N, C, ho, wo = g.shape
    dx = np.zeros((N, C, h, w), g.dtype)
    for p in prange(N * C):
        n = p // C
        c = p - n * C
        for i in range(ho):
            for j in range(wo):
                s = switches[n, c, i, j]
                dx[n, c, s // w, s % w] += g[n, c, i, j]
    return dx


@njit(parallel=True, cache=True)
def relu_forward(x):
    """y = max(x, 0) on a flat array (NaN stays NaN, as in PyTorch)."""
    y = np.empty_like(x)
    for k in prange(x.size):
        v = x[k]
        y[k] = v if (v > 0 or v != v) else 0
    return y


@njit(parallel=True, cache=True)
def relu_backward(g, y, rule):
    """The three ReLU rules on flat arrays; y is the forward output (y > 0 iff x > 0).

    rule 0 gradient: g * (x > 0); 1 deconvnet: g * (g > 0); 2 guided: g * (x > 0) * (g > 0).
    """
    dx = np.empty_like(g)
    for k in prange(g.size):
        v = g[k]
        if rule == 0:
            keep = y[k] > 0
        elif rule == 1:
            keep = v > 0
        else:
            keep = y[k] > 0 and v > 0
        dx[k] = v if keep else 0
    return dx

"""Winograd's minimal filtering F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray 2016).

The output is cut into 2x2 tiles; each needs a 4x4 input tile d. With
    B^T = [[1, 0,-1, 0],   G = [[1,   0,   0 ],   A^T = [[1, 1, 1, 0],
           [0, 1, 1, 0],        [1/2, 1/2, 1/2],         [0, 1,-1,-1]]
           [0,-1, 1, 0],        [1/2,-1/2, 1/2],
           [0, 1, 0,-1]]        [0,   0,   1 ]]
a tile of y[o] is  A^T [ sum_c (G w[o,c] G^T) ⊙ (B^T d[c] B) ] A.
For each of the 16 positions (i, j) of the 4x4 transformed tile the sum over c
is one GEMM:  M[ij] (O x T) = U[ij] (O x C) @ V[ij] (C x T)  over T tiles.
That is 16 multiplications per 4 outputs instead of 36: 2.25x fewer than a
direct or im2col convolution, which is why this path is the fast one. The
result equals the direct sum up to rounding (about 5e-7 relative in float32,
tested against PyTorch). Tiles are processed in chunks of tile rows, across the
images of a batch, so that V and M stay in cache; every core gets as many chunks.

A tile row holds tw tiles (the output's width / 2), plus, where it pays, one filler
slot (see input_transform): with it the transforms' loops run over whole chunks and
vectorize, but the GEMMs do 1/(tw + 1) more work. The GEMMs' share grows with the
output channels, so the filler is kept while they are at most FILLER_CHANNELS per
tile of a row (ResNet-18: kept on 64 and 128 channels and on 256 channels' 14x14 maps,
dropped on 512 channels and on 256-channel windows up to 12 wide); benchmarks/winograd.py
times both layouts.
"""
import contextlib

import numpy as np
from numba import njit

from .parallel import num_threads, split, workspace

G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
G_KRON = np.kron(G, G)  # (16, 9): U[4i + j] = sum_{k,l} G[i,k] G[j,l] w[k,l]
CHUNK_BYTES = 8 << 20  # V + M of one chunk: fits the 32 MiB L3 with the GEMM's working set
MIN_TILES = 512        # but at least this many tiles, so that each GEMM is wide enough
FILLER_CHANNELS = 32   # filler slot while output channels <= FILLER_CHANNELS * (tw + 1)


@njit(cache=True, nogil=True)
def input_transform(x, pt, pl, g0, g1, th, tw, slots, V):
    """V[4i + j, c, t] = (B^T d B)[i, j] for the tiles of tile rows g0 <= g < g1.

    Tile row g of the batch is image n = g // th, tile row a = g % th. Each tile row
    has ``slots`` slots, tw or tw + 1: tile t = (g - g0) * slots + b reads
    d = x[n, c, 2a - pt : 2a - pt + 4, 2b - pl : 2b - pl + 4] (zero outside) for b < tw;
    slot b = tw, if any, is filler that output_transform skips. With it, the input of
    tile t starts at column 2t of the flattened row combinations, so one loop runs
    over the whole chunk in memory order (and vectorizes) even when tw is small;
    without it, one loop per tile row.
    """
    N, C, H, W = x.shape
    hp, wp = 2 * th + 2, 2 * tw + 2
    for c in range(C):
        P = np.zeros((hp, wp), x.dtype)             # the zero-padded plane of one image
        R = np.zeros((4, th * wp + 2), x.dtype)     # B^T d per tile row, flattened (+2: filler reads)
        g = g0
        while g < g1:
            n = g // th
            a_lo, a_hi = g - n * th, min(th, g1 - n * th)  # this image's tile rows in the chunk
            for h in range(max(0, 2 * a_lo - pt), min(H, 2 * a_hi + 2 - pt)):
                dst, src = P[h + pt, pl:pl + W], x[n, c, h]
                for q in range(W):
                    dst[q] = src[q]
            for a in range(a_lo, a_hi):              # B^T d: combine four padded rows
                p0, p1, p2, p3 = P[2 * a], P[2 * a + 1], P[2 * a + 2], P[2 * a + 3]
                base = (a - a_lo) * wp
                r0, r1 = R[0, base:base + wp], R[1, base:base + wp]
                r2, r3 = R[2, base:base + wp], R[3, base:base + wp]
                for q in range(wp):
                    r0[q] = p0[q] - p2[q]
                    r1[q] = p1[q] + p2[q]
                    r2[q] = p2[q] - p1[q]
                    r3[q] = p1[q] - p3[q]
            t0 = (g - g0) * slots
            for i in range(4):                        # (B^T d) B: columns 2t .. 2t + 3
                if slots > tw:                        # the chunk's tile rows in one run
                    _combine_columns(R[i], 0, V, 4 * i, c, t0, (a_hi - a_lo) * slots)
                else:                                 # one run per tile row
                    for a in range(a_hi - a_lo):
                        _combine_columns(R[i], a * wp, V, 4 * i, c, t0 + a * tw, tw)
            g = n * th + a_hi


@njit(cache=True, nogil=True, inline="always")
def _combine_columns(e, q0, V, k, c, t0, length):
    """V[k:k + 4, c, t0 + t] = (d B) of the 4 columns e[q0 + 2t : q0 + 2t + 4], t < length."""
    v0, v1 = V[k, c, t0:t0 + length], V[k + 1, c, t0:t0 + length]
    v2, v3 = V[k + 2, c, t0:t0 + length], V[k + 3, c, t0:t0 + length]
    for t in range(length):
        q = q0 + 2 * t
        v0[t] = e[q] - e[q + 2]
        v1[t] = e[q + 1] + e[q + 2]
        v2[t] = e[q + 2] - e[q + 1]
        v3[t] = e[q + 1] - e[q + 3]


@njit(cache=True, nogil=True)
def output_transform(M, bias, g0, g1, th, tw, slots, y):
    """y[n, o, 2a:2a+2, 2b:2b+2] = A^T M[:, o, t] A + bias[o] (cropped at the map's edge).

    M holds ``slots`` slots per tile row, as V does; a filler slot is skipped. Per output
    channel, one loop over the chunk's tiles computes the four outputs of each (Q), then
    they are interleaved into y's rows.
    """
    N, O, ho, wo = y.shape
    T = (g1 - g0) * slots
    Q = np.empty((4, T), M.dtype)  # tile t's y[2a + i, 2b + k] at Q[2i + k, t]
    half = wo // 2
    for o in range(O):
        bo = bias[o]
        q0, q1, q2, q3 = Q[0], Q[1], Q[2], Q[3]
        for t in range(T):              # A^T M A: rows of each 4x4 tile, then its columns
            s00 = M[0, o, t] + M[4, o, t] + M[8, o, t]
            s01 = M[1, o, t] + M[5, o, t] + M[9, o, t]
            s02 = M[2, o, t] + M[6, o, t] + M[10, o, t]
            s03 = M[3, o, t] + M[7, o, t] + M[11, o, t]
            s10 = M[4, o, t] - M[8, o, t] - M[12, o, t]
            s11 = M[5, o, t] - M[9, o, t] - M[13, o, t]
            s12 = M[6, o, t] - M[10, o, t] - M[14, o, t]
            s13 = M[7, o, t] - M[11, o, t] - M[15, o, t]
            q0[t] = s00 + s01 + s02 + bo
            q1[t] = s01 - s02 - s03 + bo
            q2[t] = s10 + s11 + s12 + bo
            q3[t] = s11 - s12 - s13 + bo
        for g in range(g0, g1):         # interleave into y's rows, cropped
            n = g // th
            a = g - n * th
            t0 = (g - g0) * slots
            for i in range(2):
                h = 2 * a + i
                if h >= ho:
                    continue
                dst, even, odd = y[n, o, h], Q[2 * i, t0:t0 + tw], Q[2 * i + 1, t0:t0 + tw]
                for b in range(half):
                    dst[2 * b] = even[b]
                    dst[2 * b + 1] = odd[b]
                if wo % 2:
                    dst[wo - 1] = even[half]


_memo = {"transforms": None}  # {key: U} while weights are held fixed (fixed_weights())


@contextlib.contextmanager
def fixed_weights():
    """Inside the block weights do not change (a sweep, a batch loop): each kernel's transform is
    computed once and reused. Leaving the block forgets them."""
    outer = _memo["transforms"]
    _memo["transforms"] = {} if outer is None else outer
    try:
        yield
    finally:
        _memo["transforms"] = outer


def transform_weights(w, flip=False):
    """U[4i + j, o, c] = (G w[o, c] G^T)[i, j]: (O, C, 3, 3) -> (16, O, C), one small GEMM;
    flip: of the flipped, transposed kernel (C, O, 3, 3) the input gradient correlates with."""
    memo = _memo["transforms"]
    key = (id(w), w.__array_interface__["data"][0], w.shape, w.dtype.str, flip)
    if memo is not None and key in memo:
        return memo[key][1]
    k = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)) if flip else w
    o, c = k.shape[:2]
    u = (G_KRON.astype(k.dtype) @ k.reshape(o * c, 9).T).reshape(16, o, c)
    if memo is not None:
        memo[key] = (w, u)  # w kept alive: its id cannot be reused by another array meanwhile
    return u


def row_slots(out_channels, tw):
    """Slots per tile row of tw tiles: tw + 1 with the filler slot, while out_channels <=
    FILLER_CHANNELS * (tw + 1); else tw (see the module docstring)."""
    return tw + (out_channels <= FILLER_CHANNELS * (tw + 1))


def conv3x3(x, w, b, pad, flip=False):
    """3x3 stride-1 convolution of x (N, C, H, W) with w (O, C, 3, 3), bias b, pads (t, b, l, r)
    (flip: with the flipped, transposed kernel of w (O, C, 3, 3) -> (C, O, 3, 3)).

    The tile rows of the whole batch are cut into equal chunks, as many per core; each core
    takes its chunks and runs transform, GEMMs and inverse transform on its own
    (engine/parallel.py).
    """
    n, c, h, wd = x.shape
    o = w.shape[1] if flip else w.shape[0]
    pt, pb, pl, pr = pad
    ho, wo = h + pt + pb - 2, wd + pl + pr - 2
    th, tw = (ho + 1) // 2, (wo + 1) // 2
    u = transform_weights(w, flip)
    y = np.empty((n, o, ho, wo), x.dtype)
    slots = row_slots(o, tw)
    total, cores = n * th, num_threads()
    rows = CHUNK_BYTES // (16 * (c + o) * slots * x.itemsize)
    rows = max(1, -(-MIN_TILES // slots), rows)
    chunks = -(-total // rows)                        # each small enough for the cache
    chunks = min(total, -(-chunks // cores) * cores)  # and as many per core
    bounds = [total * k // chunks for k in range(chunks + 1)]
    x = np.ascontiguousarray(x)

    def work(lo, hi):
        for g0, g1 in zip(bounds[lo:hi], bounds[lo + 1:hi + 1]):
            t = (g1 - g0) * slots
            v = workspace("wino_v", 16 * c * t, x.dtype).reshape(16, c, t)
            m = workspace("wino_m", 16 * o * t, x.dtype).reshape(16, o, t)
            input_transform(x, pt, pl, g0, g1, th, tw, slots, v)
            np.matmul(u, v, out=m)
            output_transform(m, b, g0, g1, th, tw, slots, y)

    split(chunks, work)
    return y


def applies(w_shape, stride, pad):
    """True when conv3x3 computes this convolution (kernel shape (O, C, KH, KW), undilated,
    ungrouped) and its input gradient (pads <= 2)."""
    return tuple(w_shape[2:]) == (3, 3) and tuple(stride) == (1, 1) and max(pad) <= 2


def input_gradient(g, w, pad):
    """dx of a 3x3 stride-1 conv: the 'full' correlation of g with the flipped, transposed kernel.

    dx[c] = sum_o g[o] ⋆ rot180(w[o, c]) with pads (2 - pt, 2 - pb, 2 - pl, 2 - pr).
    """
    zero = np.zeros(w.shape[1], g.dtype)
    return conv3x3(g, w, zero, tuple(2 - p for p in pad), flip=True)

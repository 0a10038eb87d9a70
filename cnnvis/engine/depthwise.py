"""Depthwise convolution (groups == C): a direct Numba kernel, no GEMM.

Output channel o = c*k + m (channel multiplier k = O // C) sees input channel c only:
    y[n, o, p, q] = b[o] + sum_{i,j} w[o, 0, i, j] * xpad[n, c, p*sh + i*dh, q*sw + j*dw].
There is no sum over channels to hand to BLAS: im2col would copy the input KH*KW times for
GEMMs of KH*KW terms per output (PERF_NOTES: memory-bound). A direct loop is the right
tool, if its inner loop is long and contiguous. So the planes x[n, c] of a stack of nb
images are first copied once into zero-padded "phase planes": padded entry (r, s) of
image n goes to phase f = (r % sh) * sw + s % sw, at
    (f * nb + n) * S + (r // sh) * Wph + s // sw,    S = Hph * Wph (one phase of one image).
Laid out the same way (output (n, p, q) at n*S + p*Wph + q), the outputs of the whole stack
read, for tap (i, j), one contiguous run of one phase, starting at
    offset(i, j) = phase(i, j) * nb*S + ((i*dh) // sh) * Wph + (j*dw) // sw,
    phase(i, j) = ((i*dh) % sh) * sw + (j*dw) % sw,
so stride, dilation and padding cost no branch in the inner loop:
    run[t] = b[o] + sum_{taps} w[o, tap] * phases[offset(tap) + t],  y[n, o, p, q] = run[n*S + p*Wph + q]
(the entries between are computed and dropped, as winograd.py does with its filler; by
the output size, offset(tap) - phase(tap)*nb*S + (Ho - 1) * Wph + Wo <= S, so a kept output
never reads past its image). Stacking images makes the runs of small planes long; the run
is cut into blocks of BLOCK that stay in L1 while three taps at a time add into them.

The input gradient is the same sum read the other way: within phase f, the padded input
gradient is dphases[f][u] = sum_{taps of phase f} w[o, tap] * G[u - (offset(tap) - f*nb*S)],
with G the run of g (zero between the outputs), zero-padded in front so that the shifted
reads stay inside (a read before an image's outputs lands in the zero tail of the one
before); then the phases are copied back without the padding. The weight gradient is one
dot product per tap: dw[o, tap] = sum_t G[t] phases[offset(tap) + t]. All three split the
channels over the cores, so that each core owns its rows of dw and sums over the batch alone.
"""
import numpy as np
from numba import njit

from .parallel import split, workspace

BLOCK = 1024               # run entries per block: the block and its taps' source runs stay in L1
STACK_BYTES = 64 << 10     # phase planes of one stack of images: a fraction of the L2 cache
CHANNEL_MIN = 1 << 16      # input entries per thread below which splitting does not pay


def phase_shape(h, w, stride, pad):
    """(Hph, Wph): one stride phase of the padded (H + pt + pb, W + pl + pr) plane."""
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    return -(-(h + pt + pb) // sh), -(-(w + pl + pr) // sw)


def tap_offsets(kernel, stride, dilation, phases, nb):
    """(phase(i, j), offset(i, j)) of every tap, in row-major order: two int64 (KH*KW,) arrays."""
    (kh, kw), (sh, sw), (dh, dw), (hph, wph) = kernel, stride, dilation, phases
    a, b = np.arange(kh).repeat(kw) * dh, np.tile(np.arange(kw), kh) * dw
    phase = (a % sh) * sw + b % sw
    return phase, phase * nb * hph * wph + (a // sh) * wph + b // sw


@njit(cache=True, nogil=True)
def to_phases(src, sh, sw, pt, pl, wph, fs, P):
    """P[f * fs + (r // sh) * wph + s // sw] = src[h, w], padded (r, s) = (h + pt, w + pl) in
    phase f = (r % sh) * sw + s % sw (fs: the distance between phases).

    src: (H, W) one plane; P: from the image's first entry on; padding entries left as they are.
    """
    H, W = src.shape
    for h in range(H):
        r = h + pt
        row = src[h]
        base = (r % sh) * sw * fs + (r // sh) * wph
        if sw == 1:
            dst = P[base + pl:base + pl + W]
            for t in range(W):
                dst[t] = row[t]
        elif sw == 2:   # both column phases in one loop of constant stride (it vectorizes)
            even = P[base + (pl % 2) * fs + pl // 2:]
            odd = P[base + ((pl + 1) % 2) * fs + (pl + 1) // 2:]
            for t in range(W // 2):
                even[t] = row[2 * t]
                odd[t] = row[2 * t + 1]
            if W % 2:
                even[W // 2] = row[W - 1]
        else:
            for cph in range(sw):
                w0 = (cph - pl) % sw                      # first column of this phase
                dst = P[base + cph * fs + (w0 + pl) // sw:]
                for t in range((W - w0 + sw - 1) // sw):
                    dst[t] = row[w0 + t * sw]


@njit(cache=True, nogil=True)
def from_phases(P, sh, sw, pt, pl, wph, fs, dst):
    """The inverse of to_phases: dst[h, w] = the phase entry of padded (h + pt, w + pl)."""
    H, W = dst.shape
    for h in range(H):
        r = h + pt
        row = dst[h]
        base = (r % sh) * sw * fs + (r // sh) * wph
        if sw == 1:
            src = P[base + pl:base + pl + W]
            for t in range(W):
                row[t] = src[t]
        elif sw == 2:
            even = P[base + (pl % 2) * fs + pl // 2:]
            odd = P[base + ((pl + 1) % 2) * fs + (pl + 1) // 2:]
            for t in range(W // 2):
                row[2 * t] = even[t]
                row[2 * t + 1] = odd[t]
            if W % 2:
                row[W - 1] = even[W // 2]
        else:
            for cph in range(sw):
                w0 = (cph - pl) % sw
                src = P[base + cph * fs + (w0 + pl) // sw:]
                for t in range((W - w0 + sw - 1) // sw):
                    row[w0 + t * sw] = src[t]


@njit(cache=True, nogil=True)
def accumulate(acc, src, base, offsets, weights):
    """acc[t] += sum_k weights[k] * src[base + offsets[k] + t], three taps per pass over acc
    (one load and store of acc per three multiply-adds)."""
    size, taps = acc.shape[0], offsets.shape[0]
    k = 0
    while k + 3 <= taps:
        s0 = src[base + offsets[k]:base + offsets[k] + size]
        s1 = src[base + offsets[k + 1]:base + offsets[k + 1] + size]
        s2 = src[base + offsets[k + 2]:base + offsets[k + 2] + size]
        w0, w1, w2 = weights[k], weights[k + 1], weights[k + 2]
        for t in range(size):
            acc[t] += w0 * s0[t] + w1 * s1[t] + w2 * s2[t]
        k += 3
    if taps - k == 2:
        s0 = src[base + offsets[k]:base + offsets[k] + size]
        s1 = src[base + offsets[k + 1]:base + offsets[k + 1] + size]
        w0, w1 = weights[k], weights[k + 1]
        for t in range(size):
            acc[t] += w0 * s0[t] + w1 * s1[t]
    elif taps - k == 1:
        s0 = src[base + offsets[k]:base + offsets[k] + size]
        w0 = weights[k]
        for t in range(size):
            acc[t] += w0 * s0[t]


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def dot(a, b):
    """sum_t a[t] * b[t]. Reassociation lets the sum run in SIMD lanes (added pairwise at the
    end) instead of one serial chain, 10x faster; it changes only the order of the additions."""
    s = a.dtype.type(0)
    for t in range(a.shape[0]):
        s += a[t] * b[t]
    return s


@njit(cache=True, nogil=True)
def spread_rows(g, wph, G):
    """G[p * wph + q] = g[p, q] for q < Wo; G's filler entries are left as they are (zero)."""
    ho, wo = g.shape
    for p in range(ho):
        dst, src = G[p * wph:p * wph + wo], g[p]
        for q in range(wo):
            dst[q] = src[q]


@njit(cache=True, nogil=True)
def forward_channels(x, w, b, sh, sw, pt, pl, hph, wph, nb, offsets, P, A, y, lo, hi):
    """y[:, o] for o = c*k + m, m < k, of the channels lo <= c < hi (the module's sum).

    w: (O, KH*KW); offsets: the taps'; P: (sh*sw*nb*S,) and A: ((nb - 1) * S + (Ho - 1) * Wph + Wo,)
    scratch (A: the run).
    """
    N, C = x.shape[0], x.shape[1]
    ho, wo = y.shape[2], y.shape[3]
    mult = w.shape[0] // C
    size = hph * wph
    P[:] = 0
    for c in range(lo, hi):
        for n0 in range(0, N, nb):
            count = min(nb, N - n0)
            for n in range(count):
                to_phases(x[n0 + n, c], sh, sw, pt, pl, wph, nb * size, P[n * size:])
            length = (count - 1) * size + (ho - 1) * wph + wo
            for m in range(mult):
                o = c * mult + m
                for b0 in range(0, length, BLOCK):
                    acc = A[b0:min(length, b0 + BLOCK)]
                    acc[:] = b[o]
                    accumulate(acc, P, b0, offsets, w[o])
                for n in range(count):
                    for p in range(ho):
                        dst, src = y[n0 + n, o, p], A[n * size + p * wph:n * size + p * wph + wo]
                        for q in range(wo):
                            dst[q] = src[q]


@njit(cache=True, nogil=True)
def input_grad_channels(g, w, sh, sw, pt, pl, hph, wph, nb, shifts, bounds, P, G, dx, lo, hi):
    """dx[:, c] = sum_m (the transposed depthwise conv of g[:, c*k + m]) for the channels
    lo <= c < hi.

    w: (O, KH*KW) with its taps sorted by phase, the taps of phase f being
    bounds[f] <= k < bounds[f + 1]; shifts[k]: where tap k's read starts in G, i.e.
    front - (offset(k) - f*nb*S) for G's zero front of length front = len(G) - nb*S.
    P: (sh*sw*nb*S,) scratch, G: scratch of front + nb*S entries.
    """
    N, C = dx.shape[0], dx.shape[1]
    mult = w.shape[0] // C
    size = hph * wph
    front = G.shape[0] - nb * size
    G[:] = 0
    for c in range(lo, hi):
        for n0 in range(0, N, nb):
            count = min(nb, N - n0)
            P[:] = 0
            for m in range(mult):
                o = c * mult + m
                for n in range(count):
                    spread_rows(g[n0 + n, o], wph, G[front + n * size:])
                for f in range(sh * sw):
                    k0, k1 = bounds[f], bounds[f + 1]
                    for b0 in range(0, count * size, BLOCK):
                        acc = P[f * nb * size + b0:f * nb * size + min(count * size, b0 + BLOCK)]
                        accumulate(acc, G, b0, shifts[k0:k1], w[o, k0:k1])
            for n in range(count):
                from_phases(P[n * size:], sh, sw, pt, pl, wph, nb * size, dx[n0 + n, c])


@njit(cache=True, nogil=True)
def weight_grad_channels(g, x, sh, sw, pt, pl, hph, wph, nb, offsets, P, G, gw, lo, hi):
    """gw[o, tap] = sum_t G[t] * P[offset(tap) + t] over all stacks, for the outputs o = c*k + m
    of the channels lo <= c < hi (G: the run of g[:, o]; P: the phase planes of x[:, c]).

    gw: (O, KH*KW); P: (sh*sw*nb*S,) and G: ((nb - 1) * S + (Ho - 1) * Wph + Wo,) scratch.
    """
    N, C = x.shape[0], x.shape[1]
    ho, wo = g.shape[2], g.shape[3]
    mult = gw.shape[0] // C
    size = hph * wph
    taps = offsets.shape[0]
    P[:] = 0
    G[:] = 0
    for c in range(lo, hi):
        for m in range(mult):
            gw[c * mult + m] = 0
        for n0 in range(0, N, nb):
            count = min(nb, N - n0)
            for n in range(count):
                to_phases(x[n0 + n, c], sh, sw, pt, pl, wph, nb * size, P[n * size:])
            length = (count - 1) * size + (ho - 1) * wph + wo
            for m in range(mult):
                o = c * mult + m
                for n in range(count):
                    spread_rows(g[n0 + n, o], wph, G[n * size:])
                for b0 in range(0, length, BLOCK):
                    run = G[b0:min(length, b0 + BLOCK)]
                    for k in range(taps):
                        gw[o, k] += dot(run, P[b0 + offsets[k]:b0 + offsets[k] + run.shape[0]])


def _plan(x_shape, w_shape, stride, pad, dilation, out_shape, itemsize):
    """The kernels' geometry (sh, sw, pt, pl, Hph, Wph, nb), the taps' (phase, offset), the
    sizes of the phase planes and of the run (for nb images a stack)."""
    (sh, sw), (pt, _, pl, _) = stride, pad
    hph, wph = phase_shape(x_shape[2], x_shape[3], stride, pad)
    size = hph * wph
    nb = int(max(1, min(x_shape[0], STACK_BYTES // (sh * sw * size * itemsize))))
    phase, offset = tap_offsets(w_shape[2:], stride, dilation, (hph, wph), nb)
    ho, wo = out_shape
    return (sh, sw, pt, pl, hph, wph, nb), phase, offset, sh * sw * nb * size, (nb - 1) * size + (ho - 1) * wph + wo


def _scratch(name, size, dtype):
    """This thread's scratch array (parallel.workspace: no allocation per call)."""
    return workspace("depthwise_" + name, size, dtype)


def _split_channels(n_img, c, h, wd, work):
    split(c, work, min_items=max(1, CHANNEL_MIN // (n_img * h * wd)))


def forward(x, w, b, stride, pad, dilation, out_shape):
    """y (N, O, Ho, Wo) of x (N, C, H, W), w (O, 1, KH, KW), b (O,); O = k*C."""
    o = w.shape[0]
    y = np.empty((x.shape[0], o, *out_shape), x.dtype)
    geometry, _, offsets, p_size, length = _plan(x.shape, w.shape, stride, pad, dilation, out_shape, x.itemsize)
    w2 = np.ascontiguousarray(w.reshape(o, -1), x.dtype)

    def work(lo, hi):
        forward_channels(x, w2, b, *geometry, offsets, _scratch("phases", p_size, x.dtype),
                         _scratch("run", length, x.dtype), y, lo, hi)

    _split_channels(*x.shape, work)
    return y


def input_grad(g, x_shape, w, stride, pad, dilation):
    """dx (N, C, H, W) of g (N, O, Ho, Wo) and w (O, 1, KH, KW)."""
    o = w.shape[0]
    dx = np.empty(x_shape, g.dtype)
    geometry, phase, offset, p_size, _ = _plan(x_shape, w.shape, stride, pad, dilation, g.shape[2:], g.itemsize)
    (sh, sw), stack = stride, geometry[6] * geometry[4] * geometry[5]
    order = np.argsort(phase, kind="stable")
    start = offset[order] - phase[order] * stack   # where each tap's run starts in its phase
    front = int(start.max())
    bounds = np.searchsorted(phase[order], np.arange(sh * sw + 1))
    w2 = np.ascontiguousarray(w.reshape(o, -1)[:, order], g.dtype)

    def work(lo, hi):
        input_grad_channels(g, w2, *geometry, front - start, bounds, _scratch("phases", p_size, g.dtype),
                            _scratch("run", front + stack, g.dtype), dx, lo, hi)

    _split_channels(*x_shape, work)
    return dx


def weight_grad(g, x, w_shape, stride, pad, dilation):
    """dw (O, 1, KH, KW) of g (N, O, Ho, Wo) and x (N, C, H, W)."""
    gw = np.empty((w_shape[0], w_shape[2] * w_shape[3]), g.dtype)
    geometry, _, offsets, p_size, length = _plan(x.shape, w_shape, stride, pad, dilation, g.shape[2:], g.itemsize)

    def work(lo, hi):
        weight_grad_channels(g, x, *geometry, offsets, _scratch("phases", p_size, g.dtype),
                             _scratch("run", length, g.dtype), gw, lo, hi)

    _split_channels(*x.shape, work)
    return gw.reshape(w_shape)

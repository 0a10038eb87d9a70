"""The array operations layers are made of, one function each, for NumPy and CuPy arrays.

On the CPU a convolution is computed one of four ways:
  * Winograd (3x3 kernels, stride 1, no dilation, one group): F(2x2, 3x3), see winograd.py;
    2.25x fewer multiplications, used by every conv of VGG16;
  * depthwise (groups == C, O = k*C): a direct Numba kernel, see depthwise.py;
  * pointwise (1x1, stride 1, no padding, one group): x[n] viewed as (C, H*W) is its own
    column matrix, so one BLAS GEMM per image, written in place, and no im2col;
  * im2col: copy each receptive field into a column, then one BLAS GEMM per group and chunk
    of output rows (the chunk of columns stays in cache); any kernel, stride, padding,
    dilation and grouping.
settings["conv"] = 'im2col' sends every convolution down the last path (tests compare both).
Pooling and ReLU are Numba kernels. Work is split over the cores by engine/parallel.py.
On the GPU the same functions call engine/gpu_kernels.py. Layers call only these
functions; nothing above the engine touches a kernel.

Padding is (top, bottom, left, right); stride (sh, sw); dilation (dh, dw). A grouped conv
has w (O, C // groups, KH, KW): output channel o sees the input channels of its group
g = o // (O // groups), namely g*C/groups .. (g+1)*C/groups - 1, as in PyTorch.
"""
import math

import numpy as np

from . import cpu_kernels as K
from . import depthwise, winograd
from .backend import array_module, is_gpu_array
from .shapes import avgpool_divisors, conv_output_shape, conv_output_size, pool_output_size
from .parallel import num_threads, split, workspace
from ..errors import InputError

CONV_ALGORITHMS = ("auto", "im2col")
settings = {"conv": "auto"}  # 'im2col' forces the textbook path (tests compare both)
COLS_BYTES = 4 << 20         # one im2col chunk: fits the L3 cache with room for the GEMM
ELEMENTWISE_MIN = 1 << 16    # elements per thread below which splitting does not pay
MATMUL_MIN = 1 << 18         # multiply-adds per thread below which a GEMM is not split


def set_conv_algorithm(name):
    """'auto' (the fastest path that applies) or 'im2col' everywhere."""
    if name not in CONV_ALGORITHMS:
        raise InputError(f"conv algorithm must be one of {CONV_ALGORITHMS}, got {name!r}")
    settings["conv"] = name


def _gpu():
    from . import gpu_kernels
    return gpu_kernels


def _conv_path(c, w_shape, stride, pad, dilation, groups):
    """'winograd', 'depthwise', 'pointwise' or 'im2col': how the CPU computes this conv."""
    if settings["conv"] == "im2col":
        return "im2col"
    if groups == c > 1:
        return "depthwise"
    if groups > 1:
        return "im2col"
    if tuple(dilation) == (1, 1) and winograd.applies(w_shape, stride, pad):
        return "winograd"
    if tuple(w_shape[2:]) == (1, 1) and tuple(stride) == (1, 1) and not any(pad):
        return "pointwise"
    return "im2col"


def _row_chunks(n_img, groups, ho, k, wo, itemsize, budget=COLS_BYTES):
    """(image, group, first row, last row + 1) chunks whose k columns of wo entries per row
    take about ``budget`` bytes each."""
    rows = int(max(1, min(ho, budget // max(1, k * wo * itemsize))))
    return [(n, g, r0, min(ho, r0 + rows))
            for n in range(n_img) for g in range(groups) for r0 in range(0, ho, rows)]


def conv2d_forward(x, w, b, stride, pad, dilation=(1, 1), groups=1):
    """y[n, o] = b[o] + sum_{c',i,j} w[o, c', i, j] * xpad[n, g*C/G + c', p*sh + i*dh, q*sw + j*dw]
    with g the group of o (G = groups).

    x (N, C, H, W), w (O, C // groups, KH, KW), b (O,) or None (no bias) -> y (N, O, Ho, Wo),
    Ho = floor((H + pt + pb - dh*(KH - 1) - 1) / sh) + 1, likewise Wo.
    """
    if is_gpu_array(x):
        return _gpu().conv2d_forward(x, w, b, stride, pad, dilation, groups)
    x = np.ascontiguousarray(x)
    bias = np.zeros(w.shape[0], x.dtype) if b is None else b
    path = _conv_path(x.shape[1], w.shape, stride, pad, dilation, groups)
    if path == "winograd":
        return winograd.conv3x3(x, w, bias, pad)
    out_shape = conv_output_shape(x.shape, w.shape, stride, pad, dilation)
    if path == "depthwise":
        return depthwise.forward(x, w, bias, stride, pad, dilation, out_shape)
    if path == "pointwise":
        return _pointwise_forward(x, w, b)
    return _im2col_forward(x, w, bias, stride, pad, dilation, groups, out_shape)


def conv2d_input_grad(g, x_shape, w, stride, pad, dilation=(1, 1), groups=1):
    """dx of conv2d_forward given g = dL/dy (N, O, Ho, Wo): the transposed convolution,
    dx[n, c, h, w] = sum_{o in c's group, i, j} w[o, c', i, j] g[n, o, p, q]
    over p*sh - pt + i*dh = h, q*sw - pl + j*dw = w  (c' = c's index in its group).

    x_shape (N, C, H, W) -> dx (N, C, H, W).
    """
    if is_gpu_array(g):
        return _gpu().conv2d_input_grad(g, x_shape, w, stride, pad, dilation, groups)
    g = np.ascontiguousarray(g)
    x_shape = tuple(x_shape)
    path = _conv_path(x_shape[1], w.shape, stride, pad, dilation, groups)
    if path == "winograd":
        return winograd.input_gradient(g, w, pad)
    if path == "depthwise":
        return depthwise.input_grad(g, x_shape, w, stride, pad, dilation)
    if path == "pointwise":
        return _pointwise_input_grad(g, x_shape, w)
    return _im2col_input_grad(g, x_shape, w, stride, pad, dilation, groups)


def conv2d_param_grads(g, x, w_shape, stride, pad, dilation=(1, 1), groups=1, bias=True):
    """dw[o, c', i, j] = sum_{n,p,q} g[n, o, p, q] xpad[n, g*C/G + c', p*sh + i*dh, q*sw + j*dw],
    db[o] = sum_{n,p,q} g[n, o, p, q].

    g (N, O, Ho, Wo), x (N, C, H, W) -> (dw of shape w_shape, db (O,) or None when bias=False).
    """
    if is_gpu_array(g):
        return _gpu().conv2d_param_grads(g, x, w_shape, stride, pad, dilation, groups, bias)
    g = np.ascontiguousarray(g)
    x = np.ascontiguousarray(x)
    w_shape = tuple(w_shape)
    path = _conv_path(x.shape[1], w_shape, stride, pad, dilation, groups)
    if path == "depthwise":
        dw = depthwise.weight_grad(g, x, w_shape, stride, pad, dilation)
    elif path == "pointwise":
        dw = _pointwise_weight_grad(g, x, w_shape)
    else:  # Winograd's input-gradient trick does not apply to dw: im2col
        dw = _im2col_weight_grad(g, x, w_shape, stride, pad, dilation, groups)
    return dw, (g.sum(axis=(0, 2, 3)) if bias else None)


def _im2col_forward(x, w, bias, stride, pad, dilation, groups, out_shape):
    """y[n, group g] = w_g (O/G, C/G*KH*KW) @ im2col(x[n, group g]) + b_g, by chunks of rows."""
    n_img, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    og, k = o // groups, cg * kh * kw
    (sh, sw), (pt, _, pl, _), (dh, dw), (ho, wo) = stride, pad, dilation, out_shape
    wm = w.reshape(groups, og, k)
    y = np.empty((n_img, o, ho, wo), x.dtype)
    chunks = _row_chunks(n_img, groups, ho, k, wo, x.itemsize)

    def work(lo, hi):
        for n, gi, r0, r1 in chunks[lo:hi]:
            span = (r1 - r0) * wo
            cols = workspace("cols", k * span, x.dtype).reshape(k, span)
            K.im2col_rows(x[n, gi * cg:(gi + 1) * cg], kh, kw, sh, sw, dh, dw, pt, pl, r0, r1, wo, cols)
            part = workspace("gemm", og * span, x.dtype).reshape(og, span)
            np.dot(wm[gi], cols, out=part)
            outs = slice(gi * og, (gi + 1) * og)
            K.copy_add_bias(part, bias[outs], y[n, outs].reshape(og, ho * wo), r0 * wo)

    split(len(chunks), work)
    return y


def _im2col_input_grad(g, x_shape, w, stride, pad, dilation, groups):
    """dx[n, group g] = col2im(w_g^T @ g[n, group g]), by chunks of rows.

    Chunks of one image overlap in dx rows, so each thread adds into its own dx; they are summed.
    """
    o, cg, kh, kw = w.shape
    og, k = o // groups, cg * kh * kw
    (sh, sw), (pt, _, pl, _), (dh, dw) = stride, pad, dilation
    ho, wo = g.shape[2], g.shape[3]
    wt = w.reshape(groups, og, k).transpose(0, 2, 1)
    chunks = _row_chunks(x_shape[0], groups, ho, k, wo, g.itemsize)

    def work(lo, hi):
        dx = np.zeros(x_shape, g.dtype)
        for n, gi, r0, r1 in chunks[lo:hi]:
            span = (r1 - r0) * wo
            cols = workspace("cols", k * span, g.dtype).reshape(k, span)
            np.dot(wt[gi], g[n, gi * og:(gi + 1) * og].reshape(og, ho * wo)[:, r0 * wo:r1 * wo], out=cols)
            K.col2im_rows(cols, kh, kw, sh, sw, dh, dw, pt, pl, r0, r1, wo, dx[n, gi * cg:(gi + 1) * cg])
        return dx

    parts = split(len(chunks), work)
    dx = parts[0]
    for part in parts[1:]:
        dx += part
    return dx


def _im2col_weight_grad(g, x, w_shape, stride, pad, dilation, groups):
    """dw_g = sum over chunks of g[n, group g] @ im2col(x[n, group g])^T; one sum per thread."""
    o, cg, kh, kw = w_shape
    og, k = o // groups, cg * kh * kw
    (sh, sw), (pt, _, pl, _), (dh, dw) = stride, pad, dilation
    ho, wo = g.shape[2], g.shape[3]
    chunks = _row_chunks(x.shape[0], groups, ho, k, wo, g.itemsize)

    def work(lo, hi):
        dw_part = np.zeros((groups, og, k), g.dtype)
        for n, gi, r0, r1 in chunks[lo:hi]:
            span = (r1 - r0) * wo
            cols = workspace("cols", k * span, g.dtype).reshape(k, span)
            K.im2col_rows(x[n, gi * cg:(gi + 1) * cg], kh, kw, sh, sw, dh, dw, pt, pl, r0, r1, wo, cols)
            gpart = g[n, gi * og:(gi + 1) * og].reshape(og, ho * wo)[:, r0 * wo:r1 * wo]
            dw_part[gi] += np.dot(gpart, cols.T)
        return dw_part

    return sum(split(len(chunks), work)).reshape(w_shape)


def _pointwise_chunks(n_img, hw):
    """(image, first column, last column + 1): whole images (large GEMMs are the fast ones),
    cut into column pieces only as far as it takes for every thread to get an equal share."""
    pieces = num_threads() // math.gcd(n_img, num_threads())
    span = -(-hw // pieces)
    return [(n, l0, min(hw, l0 + span)) for n in range(n_img) for l0 in range(0, hw, span)]


def _pointwise_forward(x, w, b):
    """1x1 stride 1: y[n] (O, H*W) = w (O, C) @ x[n] (C, H*W) + b, one GEMM per image (or
    piece of one) written in place: x[n] is its own column matrix, no im2col."""
    n_img, c, h, wd = x.shape
    o = w.shape[0]
    wm, xm = w.reshape(o, c), x.reshape(n_img, c, h * wd)
    y = np.empty((n_img, o, h, wd), x.dtype)
    ym = y.reshape(n_img, o, h * wd)
    chunks = _pointwise_chunks(n_img, h * wd)

    def work(lo, hi):
        for n, l0, l1 in chunks[lo:hi]:
            np.matmul(wm, xm[n, :, l0:l1], out=ym[n, :, l0:l1])
            if b is not None:
                K.add_bias(ym[n, :, l0:l1], b)

    split(len(chunks), work)
    return y


def _pointwise_input_grad(g, x_shape, w):
    """dx[n] (C, H*W) = w^T (C, O) @ g[n] (O, H*W), one GEMM per image (or piece), no col2im."""
    n_img, c, h, wd = x_shape
    o = w.shape[0]
    wt, gm = w.reshape(o, c).T, g.reshape(n_img, o, h * wd)
    dx = np.empty(x_shape, g.dtype)
    dxm = dx.reshape(n_img, c, h * wd)
    chunks = _pointwise_chunks(n_img, h * wd)

    def work(lo, hi):
        for n, l0, l1 in chunks[lo:hi]:
            np.matmul(wt, gm[n, :, l0:l1], out=dxm[n, :, l0:l1])

    split(len(chunks), work)
    return dx


def _pointwise_weight_grad(g, x, w_shape):
    """dw (O, C) = sum_n g[n] (O, H*W) @ x[n]^T (H*W, C), summed per thread over its chunks."""
    n_img, c, h, wd = x.shape
    o = w_shape[0]
    gm, xm = g.reshape(n_img, o, h * wd), x.reshape(n_img, c, h * wd)
    chunks = _pointwise_chunks(n_img, h * wd)

    def work(lo, hi):
        dw = np.zeros((o, c), g.dtype)
        for n, l0, l1 in chunks[lo:hi]:
            dw += np.dot(gm[n, :, l0:l1], xm[n, :, l0:l1].T)
        return dw

    return sum(split(len(chunks), work)).reshape(w_shape)


def maxpool2d_forward(x, kernel, stride, pad):
    """y = max over each window; switches = flat index h*W + w of the max in its input plane.

    x (N, C, H, W) -> y (N, C, Ho, Wo), switches int32 (N, C, Ho, Wo).
    """
    if is_gpu_array(x):
        return _gpu().maxpool2d_forward(x, kernel, stride, pad)
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    n, c, h, wd = x.shape
    ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(wd, kw, sw, pl, pr)
    x = np.ascontiguousarray(x)
    y = np.empty((n, c, ho, wo), x.dtype)
    switches = np.empty((n, c, ho, wo), np.int32)
    if (kh, kw, sh, sw, pt, pb, pl, pr) == (2, 2, 2, 2, 0, 0, 0, 0):
        work = lambda lo, hi: K.maxpool2x2_forward(x, y, switches, lo, hi)  # noqa: E731
    else:
        work = lambda lo, hi: K.maxpool_forward(x, kh, kw, sh, sw, pt, pl, y, switches, lo, hi)  # noqa: E731
    split(n * c, work, min_items=max(1, ELEMENTWISE_MIN // (h * wd)))
    return y, switches


def maxpool2d_backward(g, switches, input_shape):
    """dx[n, c] at switches[n, c, i, j] += g[n, c, i, j]; zero elsewhere."""
    if is_gpu_array(g):
        return _gpu().maxpool2d_backward(g, switches, input_shape)
    g = np.ascontiguousarray(g)
    dx = np.zeros(input_shape, g.dtype)
    n, c, h, wd = input_shape
    split(n * c, lambda lo, hi: K.maxpool_backward(g, switches, dx, lo, hi),
          min_items=max(1, ELEMENTWISE_MIN // (h * wd)))
    return dx


def _avgpool_plan(input_shape, out_shape, kernel, stride, pad, count_include_pad, dtype):
    """The kernels' scalar arguments and divisor factors (rows, cols)."""
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    h, wd = input_shape[2:]
    ho, wo = out_shape
    rows = avgpool_divisors(h, ho, kh, sh, pt, pb, count_include_pad).astype(dtype)
    cols = avgpool_divisors(wd, wo, kw, sw, pl, pr, count_include_pad).astype(dtype)
    return (kh, kw, sh, sw, pt, pl, rows, cols)


def avgpool2d_forward(x, kernel, stride, pad, count_include_pad=True, ceil_mode=False):
    """y[n, c, p, q] = sum of x[n, c] over window (p, q) / its divisor (avgpool_divisors), as
    PyTorch's AvgPool2d with asymmetric padding.

    x (N, C, H, W) -> y (N, C, Ho, Wo), Ho = pool_output_size(H, KH, sh, pt, pb, ceil_mode).
    """
    if is_gpu_array(x):
        return _gpu().avgpool2d_forward(x, kernel, stride, pad, count_include_pad, ceil_mode)
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    n, c, h, wd = x.shape
    ho, wo = pool_output_size(h, kh, sh, pt, pb, ceil_mode), pool_output_size(wd, kw, sw, pl, pr, ceil_mode)
    x = np.ascontiguousarray(x)
    y = np.empty((n, c, ho, wo), x.dtype)
    plan = _avgpool_plan(x.shape, (ho, wo), kernel, stride, pad, count_include_pad, x.dtype)
    split(n * c, lambda lo, hi: K.avgpool_forward(x, *plan, y, lo, hi),
          min_items=max(1, ELEMENTWISE_MIN // (h * wd)))
    return y


def avgpool2d_backward(g, input_shape, kernel, stride, pad, count_include_pad=True):
    """dx[n, c, h, w] = sum over the windows (p, q) holding (h, w) of g[n, c, p, q] / divisor(p, q).

    g (N, C, Ho, Wo) -> dx of input_shape (N, C, H, W) (ceil mode is in g's shape).
    """
    if is_gpu_array(g):
        return _gpu().avgpool2d_backward(g, input_shape, kernel, stride, pad, count_include_pad)
    g = np.ascontiguousarray(g)
    n, c, h, wd = input_shape
    dx = np.zeros(input_shape, g.dtype)
    plan = _avgpool_plan(input_shape, g.shape[2:], kernel, stride, pad, count_include_pad, g.dtype)
    split(n * c, lambda lo, hi: K.avgpool_backward(g, *plan, dx, lo, hi),
          min_items=max(1, ELEMENTWISE_MIN // (h * wd)))
    return dx


def global_avgpool_forward(x):
    """y[n, c] = mean over (h, w) of x[n, c]: (N, C, H, W) -> (N, C). NumPy or CuPy alike."""
    return x.mean(axis=(2, 3))


def global_avgpool_backward(g, input_shape):
    """dx[n, c, h, w] = g[n, c] / (H W): (N, C) -> input_shape (N, C, H, W), a new array."""
    xp = array_module(g)
    h, wd = input_shape[2:]
    return xp.broadcast_to((g / (h * wd))[:, :, None, None], tuple(input_shape)).copy()


def channel_affine(x, scale, shift):
    """y[n, c] = x[n, c] * scale[c] + shift[c] for x (N, C, H, W): one pass, over the cores."""
    if is_gpu_array(x):
        return _gpu().channel_affine(x, scale, shift)
    n, c, h, w = x.shape
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    xf, yf = x.reshape(n * c, h * w), y.reshape(n * c, h * w)
    scale, shift = np.ascontiguousarray(scale, x.dtype), np.ascontiguousarray(shift, x.dtype)
    split(n * c, lambda lo, hi: K.channel_affine(xf, scale, shift, yf, lo, hi),
          min_items=max(1, ELEMENTWISE_MIN // (h * w)))
    return y


def matmul(a, b):
    """y = a (M, K) @ b (K, N), the columns of y split over the cores: y[:, lo:hi] = a @ b[:, lo:hi]
    (a dense layer's GEMM; BLAS itself stays on one thread during a pass, engine/parallel.py)."""
    if is_gpu_array(a):
        return a @ b
    y = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))

    def work(lo, hi):
        np.matmul(a, b[:, lo:hi], out=y[:, lo:hi])

    split(b.shape[1], work, min_items=max(1, MATMUL_MIN // max(1, a.shape[0] * a.shape[1])))
    return y


def add(xs):
    """y = x_1 + x_2 + ... for arrays of one shape: one pass per term, over the cores."""
    if is_gpu_array(xs[0]):
        return sum(xs[1:], xs[0])
    y = np.empty(xs[0].shape, np.result_type(*xs))
    a, yf = np.ascontiguousarray(xs[0], y.dtype).reshape(-1), y.reshape(-1)
    for x in xs[1:]:
        b = np.ascontiguousarray(x, y.dtype).reshape(-1)
        split(yf.size, lambda lo, hi, a=a, b=b: K.add(a, b, yf, lo, hi), min_items=ELEMENTWISE_MIN)
        a = yf
    return y


def relu_forward(x, top=np.inf):
    """y = min(max(x, 0), top): ReLU (top = inf) or ReLU6 (top = 6)."""
    if is_gpu_array(x):
        return _gpu().relu_forward(x, top)
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    xf, yf = x.reshape(-1), y.reshape(-1)
    split(xf.size, lambda lo, hi: K.relu_forward(xf, yf, top, lo, hi), min_items=ELEMENTWISE_MIN)
    return y


def relu_backward(g, y, rule, top=np.inf):
    """g * on | g * (g > 0) | g * on * (g > 0) for rule gradient | deconvnet | guided, with
    on = 0 < y < top, the units the forward let through (y its output)."""
    if is_gpu_array(g):
        return _gpu().relu_backward(g, y, rule, top)
    g = np.ascontiguousarray(g)
    y = np.ascontiguousarray(y)
    out = np.empty_like(g)
    gf, yf, of = g.reshape(-1), y.reshape(-1), out.reshape(-1)
    code = K.RULE_CODES[rule]
    split(gf.size, lambda lo, hi: K.relu_backward(gf, yf, of, code, top, lo, hi), min_items=ELEMENTWISE_MIN)
    return out

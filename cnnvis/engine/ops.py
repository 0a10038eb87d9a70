"""The array operations layers are made of, one function each, for NumPy and CuPy arrays.

On the CPU a convolution is computed one of three ways:
  * direct (stride 1, C*KH*KW <= 27, e.g. a first layer on RGB pixels): the plain sum,
    row by row, see cpu_kernels.conv_direct_stride1;
  * Winograd (3x3 kernels, stride 1): F(2x2, 3x3), see winograd.py; 2.25x fewer
    multiplications, used by every conv of VGG16 but the first;
  * 'im2col': copy each receptive field into a column, then one BLAS GEMM per chunk of
    output rows (the chunk of columns stays in cache); any kernel, stride and padding.
Pooling and ReLU are Numba kernels. On the GPU the same functions call
engine/gpu_kernels.py. Layers call only these functions; nothing above the engine
touches a kernel.

Padding is (top, bottom, left, right); stride is (sh, sw).
"""
import numpy as np

from . import cpu_kernels as K
from . import winograd
from .backend import is_gpu_array
from ..errors import InputError

CONV_ALGORITHMS = ("auto", "im2col")
settings = {"conv": "auto"}  # 'im2col' forces the textbook path (tests compare both)


def set_conv_algorithm(name):
    """'auto' (Winograd where it applies, else im2col) or 'im2col' everywhere."""
    if name not in CONV_ALGORITHMS:
        raise InputError(f"conv algorithm must be one of {CONV_ALGORITHMS}, got {name!r}")
    settings["conv"] = name


def _use_winograd(w, stride, pad):
    return settings["conv"] == "auto" and winograd.applies(w, stride, pad)

DIRECT_MAX_K = 27  # C*KH*KW up to which the direct kernel beats a GEMM (a 3x3 conv on RGB)
COLS_BUDGET_BYTES = 4 << 20  # size of one im2col chunk: fits the 32 MiB L3 with room for the GEMM
_workspace = {}


def _buffer(slot, size, dtype):
    """A reusable flat scratch array (avoids page faults from fresh large allocations)."""
    key = (slot, np.dtype(dtype).str)
    buf = _workspace.get(key)
    if buf is None or buf.size < size:
        buf = np.empty(size, dtype)
        _workspace[key] = buf
    return buf[:size]


def _gpu():
    from . import gpu_kernels
    return gpu_kernels


def conv_output_size(size, kernel, stride, pad_before, pad_after):
    """floor((size + pads - kernel) / stride) + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def _rows_per_chunk(k, wo, ho, itemsize):
    return int(max(1, min(ho, COLS_BUDGET_BYTES // max(1, k * wo * itemsize))))


def conv2d_forward(x, w, b, stride, pad):
    """y[n, o] = sum_{c,i,j} w[o, c, i, j] * xpad[n, c, sh*p + i, sw*q + j] + b[o].

    x (N, C, H, W), w (O, C, KH, KW), b (O,) -> y (N, O, Ho, Wo).
    """
    if is_gpu_array(x):
        return _gpu().conv2d_forward(x, w, b, stride, pad)
    n_img, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(wd, kw, sw, pl, pr)
    k = c * kh * kw
    if settings["conv"] == "auto" and k <= DIRECT_MAX_K and stride == (1, 1):
        y = np.empty((n_img, o, ho, wo), x.dtype)
        K.conv_direct_stride1(np.ascontiguousarray(x), w, b, pt, pl, y)
        return y
    if _use_winograd(w, stride, pad):
        return winograd.conv3x3(x, w, b, pad, _buffer)
    wm = w.reshape(o, k)
    y = np.empty((n_img, o, ho, wo), x.dtype)
    rows = _rows_per_chunk(k, wo, ho, x.itemsize)
    for n in range(n_img):
        xn = np.ascontiguousarray(x[n])
        yn = y[n].reshape(o, ho * wo)
        for r0 in range(0, ho, rows):
            r1 = min(ho, r0 + rows)
            span = (r1 - r0) * wo
            cols = _buffer("cols", k * span, x.dtype).reshape(k, span)
            K.im2col_rows(xn, kh, kw, sh, sw, pt, pl, r0, r1, wo, cols)
            if rows >= ho:
                np.dot(wm, cols, out=yn)
                K.add_bias(yn, b)
            else:
                part = _buffer("gemm", o * span, x.dtype).reshape(o, span)
                np.dot(wm, cols, out=part)
                K.copy_add_bias(part, b, yn, r0 * wo)
    return y


def conv2d_backward(g, x, w, stride, pad, input_grad=True, param_grads=False):
    """Gradients of conv2d_forward given g = dL/dy (N, O, Ho, Wo).

    dx = col2im(w^T g)  (the transposed convolution), dw = g im2col(x)^T, db = sum_{n,p,q} g.
    Returns (dx or None, dw or None, db or None).
    """
    if is_gpu_array(g):
        return _gpu().conv2d_backward(g, x, w, stride, pad, input_grad, param_grads)
    dx = None
    if input_grad and _use_winograd(w, stride, pad):
        dx = winograd.input_gradient(g, w, pad, _buffer)
        input_grad = False
    if not (input_grad or param_grads):
        return dx, None, None
    n_img, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (pt, _, pl, _) = stride, pad
    ho, wo = g.shape[2], g.shape[3]
    k = c * kh * kw
    wm = w.reshape(o, k)
    if input_grad:
        dx = np.zeros(x.shape, g.dtype)
    dw = np.zeros((o, k), g.dtype) if param_grads else None
    rows = _rows_per_chunk(k, wo, ho, g.itemsize)
    for n in range(n_img):
        gn = np.ascontiguousarray(g[n]).reshape(o, ho * wo)
        xn = np.ascontiguousarray(x[n]) if param_grads else None
        for r0 in range(0, ho, rows):
            r1 = min(ho, r0 + rows)
            span = (r1 - r0) * wo
            gpart = gn[:, r0 * wo:r1 * wo]
            cols = _buffer("cols", k * span, g.dtype).reshape(k, span)
            if param_grads:
                K.im2col_rows(xn, kh, kw, sh, sw, pt, pl, r0, r1, wo, cols)
                dw += np.dot(gpart, cols.T)
            if input_grad:
                np.dot(wm.T, gpart, out=cols)
                K.col2im_rows(cols, kh, kw, sh, sw, pt, pl, r0, r1, wo, dx[n])
    db = g.sum(axis=(0, 2, 3)) if param_grads else None
    return dx, (dw.reshape(w.shape) if param_grads else None), db


def maxpool2d_forward(x, kernel, stride, pad):
    """y = max over each window; switches = flat index h*W + w of the max in its input plane.

    x (N, C, H, W) -> y (N, C, Ho, Wo), switches int32 (N, C, Ho, Wo).
    """
    if is_gpu_array(x):
        return _gpu().maxpool2d_forward(x, kernel, stride, pad)
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    if (kh, kw, sh, sw, pt, pb, pl, pr) == (2, 2, 2, 2, 0, 0, 0, 0):
        return K.maxpool2x2_forward(np.ascontiguousarray(x))
    ho = conv_output_size(x.shape[2], kh, sh, pt, pb)
    wo = conv_output_size(x.shape[3], kw, sw, pl, pr)
    return K.maxpool_forward(np.ascontiguousarray(x), kh, kw, sh, sw, pt, pl, ho, wo)


def maxpool2d_backward(g, switches, input_shape):
    """dx[n, c] at switches[n, c, i, j] += g[n, c, i, j]; zero elsewhere."""
    if is_gpu_array(g):
        return _gpu().maxpool2d_backward(g, switches, input_shape)
    return K.maxpool_backward(np.ascontiguousarray(g), switches, input_shape[2], input_shape[3])


def relu_forward(x):
    """y = max(x, 0)."""
    if is_gpu_array(x):
        return _gpu().relu_forward(x)
    x = np.ascontiguousarray(x)
    return K.relu_forward(x.reshape(-1)).reshape(x.shape)


def relu_backward(g, y, rule):
    """g * (y > 0) | g * (g > 0) | g * (y > 0) * (g > 0) for rule gradient | deconvnet | guided."""
    if is_gpu_array(g):
        return _gpu().relu_backward(g, y, rule)
    g = np.ascontiguousarray(g)
    y = np.ascontiguousarray(y)
    return K.relu_backward(g.reshape(-1), y.reshape(-1), K.RULE_CODES[rule]).reshape(g.shape)

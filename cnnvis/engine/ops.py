"""The array operations layers are made of, one function each, for NumPy and CuPy arrays.

On the CPU a convolution is computed one of two ways:
  * Winograd (3x3 kernels, stride 1): F(2x2, 3x3), see winograd.py; 2.25x fewer
    multiplications, used by every conv of VGG16;
  * im2col: copy each receptive field into a column, then one BLAS GEMM per chunk of
    output rows (the chunk of columns stays in cache); any kernel, stride and padding.
Pooling and ReLU are Numba kernels. Work is split over the cores by engine/parallel.py.
On the GPU the same functions call engine/gpu_kernels.py. Layers call only these
functions; nothing above the engine touches a kernel.

Padding is (top, bottom, left, right); stride is (sh, sw).
"""
import numpy as np

from . import cpu_kernels as K
from . import winograd
from .backend import array_module, is_gpu_array
from .parallel import split, workspace
from ..errors import InputError

CONV_ALGORITHMS = ("auto", "im2col")
settings = {"conv": "auto"}  # 'im2col' forces the textbook path (tests compare both)
COLS_BYTES = 4 << 20         # one im2col chunk: fits the L3 cache with room for the GEMM
ELEMENTWISE_MIN = 1 << 16    # elements per thread below which splitting does not pay


def set_conv_algorithm(name):
    """'auto' (Winograd where it applies, else im2col) or 'im2col' everywhere."""
    if name not in CONV_ALGORITHMS:
        raise InputError(f"conv algorithm must be one of {CONV_ALGORITHMS}, got {name!r}")
    settings["conv"] = name


def _gpu():
    from . import gpu_kernels
    return gpu_kernels


def conv_output_size(size, kernel, stride, pad_before, pad_after):
    """floor((size + pads - kernel) / stride) + 1."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def _row_chunks(n_img, ho, k, wo, itemsize):
    """(image, first row, last row + 1) chunks whose im2col columns take ~COLS_BYTES each."""
    rows = int(max(1, min(ho, COLS_BYTES // max(1, k * wo * itemsize))))
    return [(n, r0, min(ho, r0 + rows)) for n in range(n_img) for r0 in range(0, ho, rows)]


def conv2d_forward(x, w, b, stride, pad, dilation=(1, 1), groups=1):
    """y[n, o] = sum_{c,i,j} w[o, c, i, j] * xpad[n, c, sh*p + i, sw*q + j] + b[o].

    x (N, C, H, W), w (O, C, KH, KW), b (O,) or None -> y (N, O, Ho, Wo).
    """
    _plain(dilation, groups)
    if b is None:
        b = array_module(x).zeros(w.shape[0], x.dtype)
    if is_gpu_array(x):
        return _gpu().conv2d_forward(x, w, b, stride, pad)
    n_img, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(wd, kw, sw, pl, pr)
    k = c * kh * kw
    x = np.ascontiguousarray(x)
    if settings["conv"] == "auto" and winograd.applies(w, stride, pad):
        return winograd.conv3x3(x, w, b, pad)
    wm = w.reshape(o, k)
    y = np.empty((n_img, o, ho, wo), x.dtype)
    chunks = _row_chunks(n_img, ho, k, wo, x.itemsize)

    def work(lo, hi):
        for n, r0, r1 in chunks[lo:hi]:
            span = (r1 - r0) * wo
            cols = workspace("cols", k * span, x.dtype).reshape(k, span)
            K.im2col_rows(x[n], kh, kw, sh, sw, pt, pl, r0, r1, wo, cols)
            part = workspace("gemm", o * span, x.dtype).reshape(o, span)
            np.dot(wm, cols, out=part)
            K.copy_add_bias(part, b, y[n].reshape(o, ho * wo), r0 * wo)

    split(len(chunks), work)
    return y


def conv2d_input_grad(g, x_shape, w, stride, pad, dilation=(1, 1), groups=1):
    """dx = col2im(w^T g), the transposed convolution (see conv2d_backward)."""
    _plain(dilation, groups)
    return conv2d_backward(g, np.empty(x_shape, g.dtype), w, stride, pad, True, False)[0]


def conv2d_param_grads(g, x, w_shape, stride, pad, dilation=(1, 1), groups=1, bias=True):
    """(dw, db or None): dw = g im2col(x)^T, db = sum_{n,p,q} g."""
    _plain(dilation, groups)
    _, dw, db = conv2d_backward(g, x, np.empty(w_shape, g.dtype), stride, pad, False, True)
    return dw, db if bias else None


def _plain(dilation, groups):  # replaced by the grouped, dilated kernels (branch convops)
    if tuple(dilation) != (1, 1) or groups != 1:
        raise InputError("grouped and dilated convolutions are not implemented yet")


def conv2d_backward(g, x, w, stride, pad, input_grad=True, param_grads=False):
    """Gradients of conv2d_forward given g = dL/dy (N, O, Ho, Wo).

    dx = col2im(w^T g)  (the transposed convolution), dw = g im2col(x)^T, db = sum_{n,p,q} g.
    Returns (dx or None, dw or None, db or None).
    """
    if is_gpu_array(g):
        return _gpu().conv2d_backward(g, x, w, stride, pad, input_grad, param_grads)
    dx = None
    if input_grad and settings["conv"] == "auto" and winograd.applies(w, stride, pad):
        dx = winograd.input_gradient(g, w, pad)
        input_grad = False
    if not (input_grad or param_grads):
        return dx, None, None
    n_img, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (pt, _, pl, _) = stride, pad
    ho, wo = g.shape[2], g.shape[3]
    k = c * kh * kw
    wm = w.reshape(o, k)
    g = np.ascontiguousarray(g)
    x = np.ascontiguousarray(x)
    chunks = _row_chunks(n_img, ho, k, wo, g.itemsize)

    def work(lo, hi):
        """This thread's share: its own dx and dw (chunks of one image overlap in dx rows)."""
        dx_part = np.zeros(x.shape, g.dtype) if input_grad else None
        dw_part = np.zeros((o, k), g.dtype) if param_grads else None
        for n, r0, r1 in chunks[lo:hi]:
            span = (r1 - r0) * wo
            gpart = g[n].reshape(o, ho * wo)[:, r0 * wo:r1 * wo]
            cols = workspace("cols", k * span, g.dtype).reshape(k, span)
            if param_grads:
                K.im2col_rows(x[n], kh, kw, sh, sw, pt, pl, r0, r1, wo, cols)
                dw_part += np.dot(gpart, cols.T)
            if input_grad:
                np.dot(wm.T, gpart, out=cols)
                K.col2im_rows(cols, kh, kw, sh, sw, pt, pl, r0, r1, wo, dx_part[n])
        return dx_part, dw_part

    parts = split(len(chunks), work)
    if input_grad:
        dx = parts[0][0]
        for part in parts[1:]:
            dx += part[0]
    dw = db = None
    if param_grads:
        dw = parts[0][1]
        for part in parts[1:]:
            dw += part[1]
        dw = dw.reshape(w.shape)
        db = g.sum(axis=(0, 2, 3))
    return dx, dw, db


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


def relu_forward(x):
    """y = max(x, 0)."""
    if is_gpu_array(x):
        return _gpu().relu_forward(x)
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    xf, yf = x.reshape(-1), y.reshape(-1)
    split(xf.size, lambda lo, hi: K.relu_forward(xf, yf, lo, hi), min_items=ELEMENTWISE_MIN)
    return y


def relu_backward(g, y, rule):
    """g * (y > 0) | g * (g > 0) | g * (y > 0) * (g > 0) for rule gradient | deconvnet | guided."""
    if is_gpu_array(g):
        return _gpu().relu_backward(g, y, rule)
    g = np.ascontiguousarray(g)
    y = np.ascontiguousarray(y)
    out = np.empty_like(g)
    gf, yf, of = g.reshape(-1), y.reshape(-1), out.reshape(-1)
    code = K.RULE_CODES[rule]
    split(gf.size, lambda lo, hi: K.relu_backward(gf, yf, of, code, lo, hi), min_items=ELEMENTWISE_MIN)
    return out

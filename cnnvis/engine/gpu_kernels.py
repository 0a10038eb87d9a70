"""The GPU backend's operations, written once against the array API shared by CuPy and NumPy.

On a GPU they run on cupy arrays: convolution is im2col by strided views + one batched
cuBLAS GEMM over the groups, pooling records switches with an arg max over window views,
col2im, average-pool gradients and unpooling are strided or scatter adds. Because they never
call CUDA directly, the CPU test suite runs the very same functions on NumPy arrays
(tests/test_gpu_kernels_on_cpu.py, tests/test_conv_ops.py) against the CPU kernels and
PyTorch; tests/test_gpu.py runs them on a GPU when there is one.

Padding is (top, bottom, left, right); stride (sh, sw); dilation (dh, dw); as in engine/ops.py.
"""
from .backend import array_module, is_gpu_array
from .shapes import avgpool_divisors, conv_output_shape, conv_output_size, pool_output_size


def _windows(xpad, kh, kw, stride, ho, wo, dilation=(1, 1)):
    """View (N, C, Ho, Wo, KH, KW) of the windows of a padded input (no copy):
    [n, c, p, q, i, j] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]."""
    xp = array_module(xpad)
    (sh, sw), (dh, dw) = stride, dilation
    n, c, _, _ = xpad.shape
    s = xpad.strides
    return xp.lib.stride_tricks.as_strided(
        xpad, (n, c, ho, wo, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw))


def _pad(x, pad, value=0.0):
    xp = array_module(x)
    pt, pb, pl, pr = pad
    return xp.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def _columns(x, kernel, stride, pad, dilation, groups, out_shape):
    """im2col of x per group: (G, N*Ho*Wo, C/G*KH*KW), row (n, p, q), column (c', i, j)."""
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = kernel, out_shape
    win = _windows(_pad(x, pad), kh, kw, stride, ho, wo, dilation)
    win = win.reshape(n, groups, c // groups, ho, wo, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6)
    return win.reshape(groups, n * ho * wo, -1)


def _grouped(g, groups):
    """g (N, O, Ho, Wo) as (G, N*Ho*Wo, O/G), the GEMM layout of _columns."""
    n, o, ho, wo = g.shape
    return g.reshape(n, groups, o // groups, ho, wo).transpose(1, 0, 3, 4, 2).reshape(groups, n * ho * wo, -1)


def conv2d_forward(x, w, b, stride, pad, dilation=(1, 1), groups=1):
    """y[n,o,p,q] = b[o] + sum_{c',i,j} w[o,c',i,j] xpad[n, g*C/G + c', p*sh + i*dh, q*sw + j*dw]
    (g: o's group), as one GEMM per group: y_g = im2col(x_g) @ w_g^T + b_g.

    x (N, C, H, W), w (O, C // groups, KH, KW), b (O,) or None -> y (N, O, Ho, Wo).
    """
    xp = array_module(x)
    n = x.shape[0]
    o = w.shape[0]
    ho, wo = conv_output_shape(x.shape, w.shape, stride, pad, dilation)
    cols = _columns(x, w.shape[2:], stride, pad, dilation, groups, (ho, wo))
    y = cols @ w.reshape(groups, o // groups, -1).transpose(0, 2, 1)  # (G, N*Ho*Wo, O/G)
    if b is not None:
        y = y + b.reshape(groups, 1, -1)
    return xp.ascontiguousarray(y.reshape(groups, n, ho, wo, -1).transpose(1, 0, 4, 2, 3).reshape(n, o, ho, wo))


def conv2d_input_grad(g, x_shape, w, stride, pad, dilation=(1, 1), groups=1):
    """dx = col2im(g_g @ w_g) per group, the col2im as KH*KW strided adds into the padded dx."""
    xp = array_module(g)
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = stride, pad, dilation
    ho, wo = g.shape[2:]
    dcols = _grouped(g, groups) @ w.reshape(groups, o // groups, -1)  # (G, N*Ho*Wo, C/G*KH*KW)
    dcols = dcols.reshape(groups, n, ho, wo, cg, kh, kw).transpose(1, 0, 4, 2, 3, 5, 6)
    dxpad = xp.zeros((n, groups, cg, h + pt + pb, wd + pl + pr), g.dtype)
    for i in range(kh):
        for j in range(kw):
            dxpad[:, :, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw] += \
                dcols[..., i, j]
    return dxpad.reshape(n, c, h + pt + pb, wd + pl + pr)[:, :, pt:pt + h, pl:pl + wd].copy()


def conv2d_param_grads(g, x, w_shape, stride, pad, dilation=(1, 1), groups=1, bias=True):
    """dw_g = g_g^T @ im2col(x_g) per group, db = sum_{n,p,q} g (None when bias=False)."""
    cols = _columns(x, w_shape[2:], stride, pad, dilation, groups, g.shape[2:])
    dw = (_grouped(g, groups).transpose(0, 2, 1) @ cols).reshape(w_shape)
    return dw, (g.sum(axis=(0, 2, 3)) if bias else None)


def _avgpool_divisor(xp, input_shape, out_shape, kernel, stride, pad, count_include_pad, dtype):
    """(Ho, Wo): what each window's sum is divided by (shapes.avgpool_divisors, per axis)."""
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (ho, wo) = kernel, stride, pad, out_shape
    rows = avgpool_divisors(input_shape[2], ho, kh, sh, pt, pb, count_include_pad)
    cols = avgpool_divisors(input_shape[3], wo, kw, sw, pl, pr, count_include_pad)
    return xp.asarray(rows[:, None] * cols[None, :], dtype=dtype)


def _pool_pad(input_shape, out_shape, kernel, stride, pad):
    """The padding that holds every window: pad, widened at the end for ceil-mode windows."""
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (ho, wo) = kernel, stride, pad, out_shape
    h, wd = input_shape[2:]
    return (pt, max(pb, (ho - 1) * sh + kh - h - pt), pl, max(pr, (wo - 1) * sw + kw - wd - pl))


def avgpool2d_forward(x, kernel, stride, pad, count_include_pad=True, ceil_mode=False):
    """y[n, c, p, q] = (sum of window (p, q) of the zero-padded x) / divisor(p, q)."""
    xp = array_module(x)
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    h, wd = x.shape[2:]
    out = (pool_output_size(h, kh, sh, pt, pb, ceil_mode), pool_output_size(wd, kw, sw, pl, pr, ceil_mode))
    win = _windows(_pad(x, _pool_pad(x.shape, out, kernel, stride, pad)), kh, kw, stride, *out)
    return win.sum(axis=(4, 5)) / _avgpool_divisor(xp, x.shape, out, kernel, stride, pad, count_include_pad, x.dtype)


def avgpool2d_backward(g, input_shape, kernel, stride, pad, count_include_pad=True):
    """dx = sum over the windows holding each entry of g / divisor: KH*KW strided adds."""
    xp = array_module(g)
    n, c, h, wd = input_shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = g.shape[2:]
    share = g / _avgpool_divisor(xp, input_shape, (ho, wo), kernel, stride, pad, count_include_pad, g.dtype)
    pt, pb, pl, pr = _pool_pad(input_shape, (ho, wo), kernel, stride, pad)
    dxpad = xp.zeros((n, c, h + pt + pb, wd + pl + pr), g.dtype)
    for i in range(kh):
        for j in range(kw):
            dxpad[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += share
    return dxpad[:, :, pt:pt + h, pl:pl + wd].copy()


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
    win = _windows(_pad(x, pad, -xp.inf), kh, kw, stride, ho, wo).reshape(n, c, ho, wo, kh * kw)
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


def channel_affine(x, scale, shift):
    """y[n, c] = x[n, c] * scale[c] + shift[c]."""
    return x * scale.reshape(1, -1, 1, 1).astype(x.dtype) + shift.reshape(1, -1, 1, 1).astype(x.dtype)


def relu_forward(x, top=float("inf")):
    """y = min(max(x, 0), top) (NaN stays NaN)."""
    xp = array_module(x)
    return xp.where(x > 0, xp.minimum(x, top), xp.where(xp.isnan(x), x, 0)).astype(x.dtype)


def relu_backward(g, y, rule, top=float("inf")):
    """gradient: g on; deconvnet: g (g > 0); guided: g on (g > 0); on = 0 < y < top."""
    xp = array_module(g)
    on = (y > 0) & ((y < top) | (top == float("inf")))
    keep = {"gradient": on, "deconvnet": g > 0, "guided": on & (g > 0)}[rule]
    return xp.where(keep, g, 0).astype(g.dtype)

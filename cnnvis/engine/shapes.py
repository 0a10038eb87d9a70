"""Sizes of the sliding-window operations: output sizes and average-pooling divisors.

A leaf of the engine (NumPy only): ops.py, gpu_kernels.py and the layers all ask it.
"""
import numpy as np


def conv_output_size(size, kernel, stride, pad_before, pad_after, dilation=1):
    """floor((size + pads - dilation*(kernel - 1) - 1) / stride) + 1."""
    return (size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1


def conv_output_shape(x_shape, w_shape, stride, pad, dilation=(1, 1)):
    """(Ho, Wo) of a conv of an (N, C, H, W) input with an (O, I, KH, KW) kernel."""
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = stride, pad, dilation
    return (conv_output_size(x_shape[2], w_shape[2], sh, pt, pb, dh),
            conv_output_size(x_shape[3], w_shape[3], sw, pl, pr, dw))


def pool_output_size(size, kernel, stride, pad_before, pad_after, ceil_mode=False):
    """floor (or ceil) of (size + pads - kernel) / stride, plus 1; in ceil mode the last window
    must start inside the input or its leading padding (PyTorch's rule)."""
    if not ceil_mode:
        return conv_output_size(size, kernel, stride, pad_before, pad_after)
    out = -(-(size + pad_before + pad_after - kernel) // stride) + 1
    return out - 1 if (out - 1) * stride >= size + pad_before else out


def avgpool_divisors(size, out, kernel, stride, pad_before, pad_after, count_include_pad):
    """Per output position along one axis, what its window's sum is divided by (int array):
    the window's entries inside input and padding (count_include_pad), else inside the input
    only; a window reaching past the padding (ceil mode) counts up to its end, as in PyTorch."""
    start = np.arange(out) * stride - pad_before
    end = np.minimum(start + kernel, size + pad_after)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start

"""Conv2D: 2-D cross-correlation, as in PyTorch and Keras (the kernel is not flipped)."""
import numpy as np

from ..engine import ops
from ..errors import InputError
from .base import SlidingWindow, initial_weights, pair, padding4


class Conv2D(SlidingWindow):
    """y[n,o,p,q] = b[o] + sum_{c,i,j} W[o,c,i,j] * x_pad[n, c, p*sh + i, q*sw + j]

    Backward, with g = dL/dy:
        dx = W^T g, scattered back (col2im): dx[n,c,h,w] = sum_{o,i,j} W[o,c,i,j] g[n,o,p,q]
             over (p, q) with p*sh + i - pt = h and q*sw + j - pl = w   (the transposed conv)
        dW[o,c,i,j] = sum_{n,p,q} g[n,o,p,q] * x_pad[n, c, p*sh + i, q*sw + j]
        db[o]       = sum_{n,p,q} g[n,o,p,q]
    The backward rule (gradient / deconvnet / guided) does not change a conv.

    Shapes: x (N, C, H, W), W (O, C, KH, KW), b (O,), y (N, O, Ho, Wo) with
    Ho = floor((H + pt + pb - KH) / sh) + 1 (likewise Wo).
    padding: int, (ph, pw), (top, bottom, left, right), 'valid' or 'same'.
    init: 'he' (random, for training; seeded by rng) or 'zeros' (cheap, for weights about to be loaded).
    """

    window_name = "kernel"

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=0,
                 name=None, rng=None, dtype=np.float32, init="he"):
        super().__init__(name)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = padding4(padding, self.kernel_size, self.stride)
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        self.params = {"weight": initial_weights(shape, self.in_channels * kh * kw, init, rng, dtype),
                       "bias": np.zeros(self.out_channels, dtype)}

    def output_shape(self, input_shape):
        c, h, w = input_shape
        if c != self.in_channels:
            raise InputError(f"layer {self.name!r} expects {self.in_channels} input channels, got {c}")
        return (self.out_channels, *self.spatial_output(h, w))

    def forward(self, x):
        self.check_input(x)
        self.input = x
        return ops.conv2d_forward(x, self.params["weight"], self.params["bias"],
                                  self.stride, self.padding)

    def backward(self, g, rule="gradient", param_grads=False):
        dx, dw, db = ops.conv2d_backward(g, self.input, self.params["weight"], self.stride,
                                         self.padding, input_grad=True, param_grads=param_grads)
        if param_grads:
            self.grads = {"weight": dw, "bias": db}
        return dx

    def config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": list(self.padding)}

"""MaxPool2D, which remembers where each maximum came from (the switches)."""
import numpy as np

from ..engine import ops, to_host
from ..errors import InputError
from .base import SlidingWindow, pair, padding4


class MaxPool2D(SlidingWindow):
    """y[n,c,p,q] = max_{i<KH, j<KW} x_pad[n, c, p*sh + i, q*sw + j]

    Switches: switches[n,c,p,q] = h * W + w, the flat position in the input plane of
    the maximum that produced y[n,c,p,q] (ties: the first in row-major order, as PyTorch).
    Backward, under every rule: route each g[n,c,p,q] to its switch:
        dx[n, c, h, w] = sum_{(p,q): switches[n,c,p,q] = h*W + w} g[n,c,p,q]
    Zeiler & Fergus's deconvnet "unpools" exactly this way.

    Shapes: x (N, C, H, W) -> y, switches (N, C, Ho, Wo), Ho = floor((H + pt + pb - KH)/sh) + 1.
    Padding counts as -inf (never a maximum); it may be at most half the kernel, as in PyTorch.
    """

    def __init__(self, kernel_size=2, stride=None, padding=0, name=None):
        super().__init__(name)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride if stride is not None else kernel_size, "stride")
        self.padding = padding4(padding, self.kernel_size, self.stride)
        kh, kw = self.kernel_size
        pt, pb, pl, pr = self.padding
        if max(pt, pb) > kh // 2 or max(pl, pr) > kw // 2:
            raise InputError(f"max-pool padding {self.padding} is more than half the kernel "
                             f"{self.kernel_size}; a window could hold only padding")

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, *self.spatial_output(h, w))

    def forward(self, x):
        self.check_input(x)
        self.input_shape = x.shape
        y, self.switches = ops.maxpool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return y

    def backward(self, g, rule="gradient", param_grads=False):
        return ops.maxpool2d_backward(g, self.switches, self.input_shape)

    def switch_positions(self):
        """The switches as (row, col) in the input plane: int array (N, C, Ho, Wo, 2), on the host."""
        s = to_host(self.switches)
        width = self.input_shape[3]
        return np.stack([s // width, s % width], axis=-1)

    def config(self):
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": list(self.padding)}

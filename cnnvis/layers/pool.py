"""MaxPool2D, which remembers where each maximum came from (the switches)."""
import numpy as np

from ..engine import ops, to_host
from ..errors import InputError
from .base import SlidingWindow, pair, padding_spec
from .torch_counterparts import same_pad


class MaxPool2D(SlidingWindow):
    """y[n,c,p,q] = max_{i<KH, j<KW} x_pad[n, c, p*sh + i, q*sw + j]

    Switches: switches[n,c,p,q] = h * W + w, the flat position in the input plane of
    the maximum that produced y[n,c,p,q] (ties: the first in row-major order, as PyTorch).
    Backward, under every rule: route each g[n,c,p,q] to its switch:
        dx[n, c, h, w] = sum_{(p,q): switches[n,c,p,q] = h*W + w} g[n,c,p,q]
    Zeiler & Fergus's deconvnet "unpools" exactly this way.

    Shapes: x (N, C, H, W) -> y, switches (N, C, Ho, Wo), Ho = floor((H + pt + pb - KH)/sh) + 1.
    Padding counts as -inf (never a maximum); it may be at most half the kernel, as in PyTorch
    ('same' padding, TensorFlow's, too).
    """

    pad_value = -np.inf

    def __init__(self, kernel_size=2, stride=None, padding=0, name=None, inputs=None):
        super().__init__(name, inputs)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride if stride is not None else kernel_size, "stride")
        self.padding = padding_spec(padding)
        kh, kw = self.kernel_size
        if self.padding != "same":
            pt, pb, pl, pr = self.padding
            if max(pt, pb) > kh // 2 or max(pl, pr) > kw // 2:
                raise InputError(f"max-pool padding {self.padding} is more than half the kernel "
                                 f"{self.kernel_size}; a window could hold only padding")

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, *self.spatial_output(h, w))

    def forward(self, x):
        pads = self.check_input(x)
        y, switches = ops.maxpool2d_forward(x, self.kernel_size, self.stride, pads)
        return y, (switches, x.shape)

    def forward_padded(self, x):
        return ops.maxpool2d_forward(x, self.kernel_size, self.stride, (0, 0, 0, 0))[0]

    def backward(self, g, cache, rule="gradient"):
        switches, input_shape = cache
        return (ops.maxpool2d_backward(g, switches, input_shape),)

    def torch_module(self, torch):
        pads = self.padding
        if pads != "same" and (pads[0], pads[2]) == (pads[1], pads[3]):
            return torch.nn.MaxPool2d(self.kernel_size, self.stride, padding=(pads[0], pads[2]))
        return torch.nn.Sequential(same_pad(torch, self), torch.nn.MaxPool2d(self.kernel_size, self.stride))

    @classmethod
    def example(cls, rng):
        return cls(2)

    def config(self):
        return self.window_config()


def switch_positions(cache):
    """A max-pool pass's switches as (row, col) in the input plane: int array (N, C, Ho, Wo, 2),
    on the host. cache: the pool's cache from a forward (net.cache(name))."""
    switches, input_shape = cache
    s = to_host(switches)
    width = input_shape[3]
    return np.stack([s // width, s % width], axis=-1)

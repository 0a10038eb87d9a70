"""Conv2D: 2-D cross-correlation, as in PyTorch and Keras (the kernel is not flipped)."""
import numpy as np

from ..engine import ops
from ..errors import InputError
from .base import SlidingWindow, initial_weights, pair, padding_spec
from .torch_counterparts import copy_params, same_pad


class Conv2D(SlidingWindow):
    """y[n,o,p,q] = b[o] + sum_{c,i,j} W[o,c,i,j] * x_pad[n, g(o)*Cg + c, p*sh + i*dh, q*sw + j*dw]

    groups G splits the C input and O output channels into G groups (Cg = C / G each); output
    channel o reads only its group g(o) = o // (O / G). Depthwise convolution: G = C.
    Backward, with g = dL/dy (for G = 1, D = 1; groups and dilation index the same way):
        dx = W^T g, scattered back (col2im): dx[n,c,h,w] = sum_{o,i,j} W[o,c,i,j] g[n,o,p,q]
             over (p, q) with p*sh + i - pt = h and q*sw + j - pl = w   (the transposed conv)
        dW[o,c,i,j] = sum_{n,p,q} g[n,o,p,q] * x_pad[n, c, p*sh + i, q*sw + j]
        db[o]       = sum_{n,p,q} g[n,o,p,q]
    The backward rule (gradient / deconvnet / guided) does not change a conv.

    Shapes: x (N, C, H, W), W (O, C / G, KH, KW), b (O,) (bias=False: none), y (N, O, Ho, Wo)
    with Ho = floor((H + pt + pb - (KH - 1) * dh - 1) / sh) + 1 (likewise Wo).
    padding: int, (ph, pw), (top, bottom, left, right), 'valid' or 'same' (TensorFlow's).
    init: 'he' (random, for training; seeded by rng) or 'zeros' (cheap, for weights about to be loaded).
    """

    window_name = "kernel"
    layouts = {"weight": "OIHW", "bias": "O"}

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, name=None, inputs=None, rng=None, dtype=np.float32, init="he"):
        super().__init__(name, inputs)
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:
            raise InputError(f"groups={groups} must divide both in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        self.padding = padding_spec(padding)
        kh, kw = self.kernel_size
        fan_in = self.in_channels // self.groups * kh * kw
        shape = (self.out_channels, self.in_channels // self.groups, kh, kw)
        self.params = {"weight": initial_weights(shape, fan_in, init, rng, dtype)}
        if bias:
            self.params["bias"] = np.zeros(self.out_channels, dtype)

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != self.in_channels:
            raise InputError(f"layer {self.name!r} expects {self.in_channels} input channels "
                             f"(C, H, W), got {tuple(input_shape)}")
        return (self.out_channels, *self.spatial_output(*input_shape[1:]))

    def _args(self, pads):
        return self.stride, pads, self.dilation, self.groups

    def forward(self, x):
        pads = self.check_input(x)
        y = ops.conv2d_forward(x, self.params["weight"], self.params.get("bias"), *self._args(pads))
        return y, (x, pads)

    def forward_padded(self, x):
        return ops.conv2d_forward(x, self.params["weight"], self.params.get("bias"),
                                  *self._args((0, 0, 0, 0)))

    def backward(self, g, cache, rule="gradient"):
        x, pads = cache
        return (ops.conv2d_input_grad(g, x.shape, self.params["weight"], *self._args(pads)),)

    def param_grads(self, g, cache):
        x, pads = cache
        dw, db = ops.conv2d_param_grads(g, x, self.params["weight"].shape, *self._args(pads),
                                        bias="bias" in self.params)
        return {"weight": dw, "bias": db} if db is not None else {"weight": dw}

    def macs(self, input_shape):
        _, ho, wo = self.output_shape(input_shape)
        return self.params["weight"].size * ho * wo

    def torch_module(self, torch):
        pads = self.padding
        symmetric = pads != "same" and pads[0] == pads[1] and pads[2] == pads[3]
        conv = torch.nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, self.stride,
                               padding=(pads[0], pads[2]) if symmetric else 0, dilation=self.dilation,
                               groups=self.groups, bias="bias" in self.params)
        copy_params(torch, conv, self.params)
        if symmetric:
            return conv
        return torch.nn.Sequential(same_pad(torch, self), conv)

    @classmethod
    def example(cls, rng):
        return cls(3, 4, 3, padding=1, rng=rng)

    def config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                **self.window_config(), "dilation": list(self.dilation), "groups": self.groups,
                "bias": "bias" in self.params}


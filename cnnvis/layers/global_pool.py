"""GlobalAveragePool2D: each channel's mean over the whole map (ResNet's and MobileNet's head)."""
from ..engine import array_module
from ..errors import InputError
from .base import Layer


class GlobalAveragePool2D(Layer):
    """y[n, c] = (1 / (H W)) sum_{h,w} x[n, c, h, w]

    Backward, under every rule: dx[n, c, h, w] = g[n, c] / (H W), spread evenly (linear).
    Shapes: x (N, C, H, W) -> y (N, C), or (N, C, 1, 1) with keepdims (squeeze-and-excitation).
    """

    extent = "global"

    def __init__(self, keepdims=False, name=None, inputs=None):
        super().__init__(name, inputs)
        self.keepdims = bool(keepdims)

    def output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise InputError(f"layer {self.name!r} pools (C, H, W) maps, got {tuple(input_shape)}")
        return (input_shape[0], 1, 1) if self.keepdims else (input_shape[0],)

    def forward(self, x):
        self.output_shape(x.shape[1:])
        y = x.mean(axis=(2, 3), keepdims=self.keepdims)
        return y, x.shape

    def backward(self, g, input_shape, rule="gradient"):
        n, c, h, w = input_shape
        spread = g.reshape(n, c, 1, 1) / (h * w)
        return (array_module(g).broadcast_to(spread, input_shape).copy(),)

    def torch_module(self, torch):
        pool = torch.nn.AdaptiveAvgPool2d(1)
        return pool if self.keepdims else torch.nn.Sequential(pool, torch.nn.Flatten())

    def config(self):
        return {"keepdims": self.keepdims}

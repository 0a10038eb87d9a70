"""Flatten: (N, C, H, W) -> (N, C*H*W) in C order (channel-major, as PyTorch)."""
import numpy as np

from .base import Layer


class Flatten(Layer):
    """y[n, c*H*W + h*W + w] = x[n, c, h, w];  backward: dx = g reshaped to x's shape.

    Keras flattens NHWC instead, (h*W + w)*C + c; weights/ permutes such dense rows at load.
    """

    extent = "global"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x):
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, g, input_shape, rule="gradient"):
        return (g.reshape(input_shape),)

    def torch_module(self, torch):
        return torch.nn.Flatten()

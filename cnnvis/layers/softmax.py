"""Softmax over classes."""
from ..engine import array_module
from .base import Layer


class Softmax(Layer):
    """y[n, k] = exp(x[n, k] - m) / sum_j exp(x[n, j] - m), m = max_j x[n, j]

    Backward (the Jacobian diag(y) - y y^T applied to g):  dx = y * (g - sum_k g[k] y[k]).
    Shapes: x, y, g, dx (N, K).
    """

    extent = "global"

    def forward(self, x):
        xp = array_module(x)
        e = xp.exp(x - x.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
        return y, y

    def backward(self, g, y, rule="gradient"):
        return (y * (g - (g * y).sum(axis=1, keepdims=True)),)

    def example_shapes(self):
        return [(2, 6)]

    def torch_module(self, torch):
        return torch.nn.Softmax(dim=1)

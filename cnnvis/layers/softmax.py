"""Softmax over classes."""
from ..engine import array_module
from .base import Layer


class Softmax(Layer):
    """y[n, k] = exp(x[n, k] - m) / sum_j exp(x[n, j] - m), m = max_j x[n, j]

    Backward (the Jacobian diag(y) - y y^T applied to g):  dx = y * (g - sum_k g[k] y[k]).
    Shapes: x, y, g, dx (N, K).
    """

    def forward(self, x):
        xp = array_module(x)
        e = xp.exp(x - x.max(axis=1, keepdims=True))
        self.output = e / e.sum(axis=1, keepdims=True)
        return self.output

    def backward(self, g, rule="gradient", param_grads=False):
        y = self.output
        return y * (g - (g * y).sum(axis=1, keepdims=True))

"""Smooth and bounded activations: ReLU6 (a rectifier), SiLU and Sigmoid (smooth).

ReLU6 rectifies like ReLU, so the three rules apply to it with its own forward mask
0 < x < 6. SiLU and Sigmoid are smooth: under every rule they pass their plain gradient,
as Captum's hooks do (its deconvnet and guided backprop hook nn.ReLU modules only).
"""
from ..engine import array_module, ops
from .base import Layer, check_rule


class ReLU6(Layer):
    """y = min(max(x, 0), 6)

    Backward of g = dL/dy, by rule (the ReLU table with the mask 0 < x < 6):
        gradient:  dx = g * (0 < x < 6)
        deconvnet: dx = g * (g > 0)
        guided:    dx = g * (0 < x < 6) * (g > 0)
    (0 < x < 6 is read off the cached output: 0 < y < 6 exactly then.)
    """

    rectifier = True

    @staticmethod
    def active(x):
        """Where the forward pass let the input through: 0 < x < 6."""
        return (x > 0) & (x < 6)

    def forward(self, x):
        y = ops.relu_forward(x, top=6)
        return y, y

    def backward(self, g, y, rule="gradient"):
        return (ops.relu_backward(g, y, check_rule(rule), top=6),)

    def torch_module(self, torch):
        return torch.nn.ReLU6()


class Sigmoid(Layer):
    """y = 1 / (1 + exp(-x));  backward (every rule): dx = g * y * (1 - y)."""

    def forward(self, x):
        y = sigmoid(x)
        return y, y

    def backward(self, g, y, rule="gradient"):
        return (g * y * (1 - y),)

    def torch_module(self, torch):
        return torch.nn.Sigmoid()


class SiLU(Layer):
    """y = x * s(x), s the sigmoid (swish);  backward (every rule): dx = g * s * (1 + x (1 - s))."""

    def forward(self, x):
        s = sigmoid(x)
        return x * s, (x, s)

    def backward(self, g, cache, rule="gradient"):
        x, s = cache
        return (g * s * (1 + x * (1 - s)),)

    def torch_module(self, torch):
        return torch.nn.SiLU()


def sigmoid(x):
    """1 / (1 + exp(-x)) without overflow: e = exp(-|x|), 1 / (1 + e) or e / (1 + e) by sign."""
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

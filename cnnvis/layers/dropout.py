"""Dropout: identity at inference, a random mask while training."""
import numpy as np

from ..engine import array_module
from ..errors import InputError
from .base import Layer


class Dropout(Layer):
    """Inverted dropout with drop probability p.

    Training: m ~ Bernoulli(1 - p) per element, y = x * m / (1 - p), dx = g * m / (1 - p).
    Inference: y = x, dx = g.
    Shapes: any; y has the shape of x.
    """

    def __init__(self, p=0.5, name=None, seed=0):
        super().__init__(name)
        if not 0 <= p < 1:
            raise InputError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        if not self.training or self.p == 0:
            self.mask = None
            return x
        xp = array_module(x)
        keep = self.rng.random(x.shape) >= self.p
        self.mask = xp.asarray(keep.astype(x.dtype) / (1.0 - self.p))
        return x * self.mask

    def backward(self, g, rule="gradient", param_grads=False):
        return g if self.mask is None else g * self.mask

    def config(self):
        return {"p": self.p}

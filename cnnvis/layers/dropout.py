"""Dropout: identity at inference, a random mask while training."""
from ..engine import array_module
from ..errors import InputError
from .base import Layer


class Dropout(Layer):
    """Inverted dropout with drop probability p.

    Training: m ~ Bernoulli(1 - p) per element (drawn from the pass's rng), y = x * m / (1 - p),
    dx = g * m / (1 - p).  Inference: y = x, dx = g.
    Shapes: any; y has the shape of x.
    """

    def __init__(self, p=0.5, name=None, inputs=None):
        super().__init__(name, inputs)
        if not 0 <= p < 1:
            raise InputError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)

    def forward(self, x):
        return x, None

    def forward_train(self, x, rng):
        if self.p == 0:
            return x, None
        keep = rng.random(x.shape) >= self.p
        mask = array_module(x).asarray(keep.astype(x.dtype) / (1.0 - self.p))
        return x * mask, mask

    def backward(self, g, mask, rule="gradient"):
        return (g if mask is None else g * mask,)

    def torch_module(self, torch):
        return torch.nn.Dropout(self.p)

    def config(self):
        return {"p": self.p}

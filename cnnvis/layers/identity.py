"""Identity: y = x, a named place in the graph (an exporter's Identity node, a no-op)."""
from .base import Layer


class Identity(Layer):
    """y = x;  backward: dx = g.  Shapes: any."""

    def forward(self, x):
        return x, None

    def backward(self, g, cache, rule="gradient"):
        return (g,)

    def torch_module(self, torch):
        return torch.nn.Identity()

"""ReLU and the three ways of sending a gradient back through it."""
from ..engine import ops
from .base import Layer, check_rule


class ReLU(Layer):
    """y = max(x, 0)

    Backward of an incoming g = dL/dy, by rule (DESIGN.md's table):
        gradient  (saliency, Simonyan et al. 2014):      dx = g * (x > 0)
        deconvnet (Zeiler & Fergus 2014):                 dx = g * (g > 0)
        guided    (guided backprop, Springenberg 2015):   dx = g * (x > 0) * (g > 0)
    The gradient rule asks "was this unit on in the forward pass?", deconvnet asks
    "is the signal coming back positive?", guided asks both.
    (x > 0 is read off the cached output: y > 0 exactly when x > 0.)
    Shapes: any; y and dx have the shape of x.
    """

    rectifier = True

    @staticmethod
    def active(x):
        """Where the forward pass let the input through: x > 0 (the gradient rule's mask)."""
        return x > 0

    def forward(self, x):
        y = ops.relu_forward(x)
        return y, y

    def backward(self, g, y, rule="gradient"):
        return (ops.relu_backward(g, y, check_rule(rule)),)

    def torch_module(self, torch):
        return torch.nn.ReLU()

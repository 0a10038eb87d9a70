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

    def forward(self, x):
        self.output = ops.relu_forward(x)
        return self.output

    def backward(self, g, rule="gradient", param_grads=False):
        return ops.relu_backward(g, self.output, check_rule(rule))

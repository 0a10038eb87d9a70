"""Dense (fully connected) layer."""
import numpy as np

from ..engine import ops
from ..errors import InputError
from .base import Layer, initial_weights
from .torch_counterparts import copy_params


class Dense(Layer):
    """y = x W^T + b

    Backward, with g = dL/dy:  dx = g W,  dW = g^T x,  db = sum_n g[n].
    The backward rule does not change a dense layer.
    Shapes: x (N, D_in), W (D_out, D_in) as PyTorch, b (D_out,), y (N, D_out).
    init: 'he' (random, seeded by rng) or 'zeros' (for weights about to be loaded).
    """

    extent = "global"
    layouts = {"weight": "(out, in)", "bias": "(out,)"}

    def __init__(self, in_features, out_features, bias=True, name=None, inputs=None, rng=None,
                 dtype=np.float32, init="he"):
        super().__init__(name, inputs)
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (self.out_features, self.in_features)
        self.params = {"weight": initial_weights(shape, self.in_features, init, rng, dtype)}
        if bias:
            self.params["bias"] = np.zeros(self.out_features, dtype)

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise InputError(f"layer {self.name!r} expects {self.in_features} input features, "
                             f"got shape {tuple(input_shape)}; is the image the size the "
                             "network was built for?")
        return (self.out_features,)

    def forward(self, x):
        self.output_shape(x.shape[1:])
        y = ops.matmul(x, self.params["weight"].T)
        return (y + self.params["bias"] if "bias" in self.params else y), x

    def backward(self, g, x, rule="gradient"):
        return (ops.matmul(g, self.params["weight"]),)

    def param_grads(self, g, x):
        grads = {"weight": ops.matmul(g.T, x)}
        if "bias" in self.params:
            grads["bias"] = g.sum(axis=0)
        return grads

    def macs(self, input_shape):
        return self.in_features * self.out_features

    def torch_module(self, torch):
        return copy_params(torch, torch.nn.Linear(self.in_features, self.out_features,
                                                  bias="bias" in self.params), self.params)

    @classmethod
    def example(cls, rng):
        return cls(8, 5, rng=rng)

    def example_shapes(self):
        return [(2, self.in_features)]

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": "bias" in self.params}

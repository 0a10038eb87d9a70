"""Dense (fully connected) layer."""
import numpy as np

from ..errors import InputError
from .base import Layer, initial_weights


class Dense(Layer):
    """y = x W^T + b

    Backward, with g = dL/dy:  dx = g W,  dW = g^T x,  db = sum_n g[n].
    The backward rule does not change a dense layer.
    Shapes: x (N, D_in), W (D_out, D_in) as PyTorch, b (D_out,), y (N, D_out).
    init: 'he' (random, seeded by rng) or 'zeros' (for weights about to be loaded).
    """

    def __init__(self, in_features, out_features, name=None, rng=None, dtype=np.float32, init="he"):
        super().__init__(name)
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (self.out_features, self.in_features)
        self.params = {"weight": initial_weights(shape, self.in_features, init, rng, dtype),
                       "bias": np.zeros(self.out_features, dtype)}

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise InputError(f"layer {self.name!r} expects {self.in_features} input features, "
                             f"got shape {tuple(input_shape)}; is the image the size the "
                             "network was built for?")
        return (self.out_features,)

    def forward(self, x):
        self.output_shape(x.shape[1:])
        self.input = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, g, rule="gradient", param_grads=False):
        if param_grads:
            self.grads = {"weight": g.T @ self.input, "bias": g.sum(axis=0)}
        return g @ self.params["weight"]

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features}

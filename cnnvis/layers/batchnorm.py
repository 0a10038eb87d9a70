"""BatchNorm2d: per-channel normalisation (Ioffe & Szegedy 2015), as PyTorch's nn.BatchNorm2d."""
import numpy as np

from ..engine import ops
from ..errors import InputError
from .base import Layer
from .torch_counterparts import copy_params


class BatchNorm2d(Layer):
    """y[n,c,h,w] = gamma[c] * (x[n,c,h,w] - mu[c]) / sqrt(var[c] + eps) + beta[c]

    Inference: mu, var are the running statistics (buffers), so y = x * s[c] + t[c] is affine,
    s = gamma / sqrt(var + eps), and backward is dx = g * s[c] under every rule (linear).
    Training: mu, var are the batch's (over N, H, W; var biased, /M with M = N H W), and the
    running statistics move towards them, as PyTorch's: running = (1 - momentum) running +
    momentum * batch (the variance unbiased, * M / (M - 1)) -- the one change a layer makes
    to itself, as an optimizer step changes weights. The full backward with xh = (x - mu) / sd:
        dx = (1 / sd) * (dxh - mean(dxh) - xh * mean(dxh * xh)),   dxh = g * gamma[c]
    (means over N, H, W per channel). Parameter gradients in both modes:
        dgamma[c] = sum g * xh,   dbeta[c] = sum g.
    Shapes: x, y, g (N, C, H, W); gamma, beta, running_mean, running_var (C,).
    """

    layouts = {"weight": "(C,)", "bias": "(C,)"}

    def __init__(self, num_features, eps=1e-5, momentum=0.1, name=None, inputs=None, dtype=np.float32):
        super().__init__(name, inputs)
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        if not (self.eps > 0 and 0 <= self.momentum <= 1):
            raise InputError(f"batch norm needs eps > 0 and 0 <= momentum <= 1, got {eps}, {momentum}")
        c = self.num_features
        self.params = {"weight": np.ones(c, dtype), "bias": np.zeros(c, dtype)}
        self.buffers = {"running_mean": np.zeros(c, dtype), "running_var": np.ones(c, dtype)}

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != self.num_features:
            raise InputError(f"layer {self.name!r} normalises {self.num_features} channels (C, H, W), "
                             f"got {tuple(input_shape)}")
        return tuple(input_shape)

    def scale_shift(self):
        """(s, t) of the inference map y = x * s + t, per channel."""
        s = self.params["weight"] / (self.buffers["running_var"] + self.eps) ** 0.5
        return s, self.params["bias"] - self.buffers["running_mean"] * s

    def forward(self, x):  # cache (x, None): inference; forward_train's is (xh, 1 / sd)
        self.output_shape(x.shape[1:])
        s, t = self.scale_shift()
        return ops.channel_affine(x, s, t), (x, None)

    def forward_train(self, x, rng):
        self.output_shape(x.shape[1:])
        m = x.shape[0] * x.shape[2] * x.shape[3]
        if m < 2:
            raise InputError(f"layer {self.name!r}: training batch statistics need more than one "
                             f"value per channel, got input {tuple(x.shape)}")
        mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        inv = 1 / (var + self.eps) ** 0.5
        xh = (x - mu[:, None, None]) * inv[:, None, None]
        momentum = self.momentum
        self.buffers["running_mean"] = (1 - momentum) * self.buffers["running_mean"] + momentum * mu
        self.buffers["running_var"] = (1 - momentum) * self.buffers["running_var"] + momentum * var * m / (m - 1)
        y = xh * self.params["weight"][:, None, None] + self.params["bias"][:, None, None]
        return y, (xh, inv)

    def _normalised(self, cache):
        x, inv = cache
        if inv is not None:
            return x
        mu, var = self.buffers["running_mean"], self.buffers["running_var"]
        return (x - mu[:, None, None]) / ((var + self.eps) ** 0.5)[:, None, None]

    def backward(self, g, cache, rule="gradient"):
        xh, inv = cache
        if inv is None:  # inference: affine
            s = self.scale_shift()[0]
            return (ops.channel_affine(g, s, s * 0),)
        dxh = g * self.params["weight"][:, None, None]
        mean = lambda z: z.mean(axis=(0, 2, 3))[:, None, None]  # noqa: E731
        return (inv[:, None, None] * (dxh - mean(dxh) - xh * mean(dxh * xh)),)

    def param_grads(self, g, cache):
        return {"weight": (g * self._normalised(cache)).sum(axis=(0, 2, 3)), "bias": g.sum(axis=(0, 2, 3))}

    def macs(self, input_shape):
        return int(np.prod(input_shape))

    def torch_module(self, torch):
        bn = torch.nn.BatchNorm2d(self.num_features, eps=self.eps, momentum=self.momentum)
        return copy_params(torch, bn, self.arrays())

    @classmethod
    def example(cls, rng):
        layer = cls(3)
        layer.params = {"weight": rng.uniform(0.5, 2, 3), "bias": rng.uniform(-1, 1, 3)}
        layer.buffers = {"running_mean": rng.uniform(-1, 1, 3), "running_var": rng.uniform(0.5, 2, 3)}
        return layer.astype(np.float32)

    def example_shapes(self):
        return [(2, self.num_features, 4, 4)]

    def config(self):
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

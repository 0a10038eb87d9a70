"""Where branches meet: Add (residual connections), Concat (channels), Multiply (gating).

All three are linear in each input, so they pass g back unchanged in kind under every rule
(gradient, deconvnet, guided): the rules act at rectifiers only, as Captum's hooks do.
"""
from ..engine import array_module, ops
from ..errors import InputError
from .base import Layer
from .torch_counterparts import function_module


class Add(Layer):
    """y = x_1 + x_2 + ... + x_k  (a residual connection: y = F(x) + x)

    Backward: dx_i = g for every i -- the gradient is copied to each branch, and summed
    again where the branches started (the Network adds the gradients arriving at a node).
    Shapes: every x_i and y alike, (N, C, H, W) or (N, D).
    """

    arity = None

    def output_shape(self, *shapes):
        if len(shapes) < 2 or len(set(map(tuple, shapes))) != 1:
            raise InputError(f"layer {self.name!r} adds inputs of one shape, got {shapes}")
        return tuple(shapes[0])

    def forward(self, *xs):
        return ops.add(xs), len(xs)

    def backward(self, g, n, rule="gradient"):
        return (g,) * n

    def torch_module(self, torch):
        return function_module(torch, lambda *xs: sum(xs[1:], xs[0]), "add")


class Concat(Layer):
    """y = [x_1, x_2, ...] along the channels: y[:, o_i:o_i + C_i] = x_i, o_i = C_1 + ... + C_{i-1}

    Backward: dx_i = g[:, o_i:o_i + C_i], the slice each input filled.
    Shapes: x_i (N, C_i, H, W) with one H, W -> y (N, sum C_i, H, W); or (N, D_i) -> (N, sum D_i).
    """

    arity = None

    def output_shape(self, *shapes):
        if len(shapes) < 2 or len({tuple(s[1:]) for s in shapes}) != 1:
            raise InputError(f"layer {self.name!r} concatenates channels of inputs whose other "
                             f"axes agree, got {shapes}")
        return (sum(s[0] for s in shapes),) + tuple(shapes[0][1:])

    def forward(self, *xs):
        return array_module(xs[0]).concatenate(xs, axis=1), [x.shape[1] for x in xs]

    def backward(self, g, widths, rule="gradient"):
        edges = [sum(widths[:k]) for k in range(len(widths) + 1)]
        return tuple(g[:, a:b] for a, b in zip(edges, edges[1:]))

    def torch_module(self, torch):
        return function_module(torch, lambda *xs: torch.cat(xs, dim=1), "concat")


class Multiply(Layer):
    """y = a * b, elementwise with broadcasting (squeeze-and-excitation: b is (N, C, 1, 1))

    Backward: da = g * b, db = g * a, each summed over the axes its input was broadcast along.
    Shapes: a, b broadcastable, y of the broadcast shape.
    """

    arity = 2

    def output_shape(self, a, b):
        if len(a) != len(b) or any(p != q and 1 not in (p, q) for p, q in zip(a, b)):
            raise InputError(f"layer {self.name!r} multiplies inputs of shapes {a} and {b}, "
                             "which do not broadcast")
        return tuple(max(p, q) for p, q in zip(a, b))

    def forward(self, a, b):
        return a * b, (a, b)

    def backward(self, g, cache, rule="gradient"):
        a, b = cache
        return _unbroadcast(g * b, a.shape), _unbroadcast(g * a, b.shape)

    def torch_module(self, torch):
        return function_module(torch, lambda a, b: a * b, "multiply")

    def example_shapes(self):
        return [(2, 3, 4, 4), (2, 3, 1, 1)]  # a squeeze-and-excitation gate


def _unbroadcast(g, shape):
    """g summed over the axes where ``shape`` has 1 and g does not."""
    axes = tuple(k for k, (m, n) in enumerate(zip(g.shape, shape)) if n == 1 and m != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g

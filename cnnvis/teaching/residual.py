"""The tiny residual block of `cnnvis trace --residual`: ResNet's skip connection with small
integer weights, drawn from a seed until the example teaches something.

    input x (C, S, S) -> conv1 3x3 (padding 1) -> relu1 -> conv2 3x3 (padding 1)
                      -> add = conv2 + x -> relu2 -> gap (global average pool) -> dense to 2 logits -> softmax

The Add reads the input a second time (the skip connection). Backward, the Add copies its
gradient to both of its inputs, and Network.backward sums, at the input, what comes back
along the branch (conv2, relu1, conv1) and along the skip.

Weights and pixels are small integers held in float64: the forward pass is integers up to
the global average pool, which divides by S * S (16 for the default 4x4 input), so every
later number, and every number of the backward pass, is a multiple of 1 / (S * S).
Draws are rejected until, for the explained class c: each ReLU kills some units and keeps
others, the two logits differ by 1 to 3, a live unit of relu1 gets a negative gradient and a
dead one a positive gradient (gradient rule), at some pixel of the input both the branch and
the skip bring a nonzero gradient under every rule (so the sum there is a real sum), and the
three input gradients are pairwise different.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..graph import Network
from ..layers import RULES, Add, Conv2D, Dense, GlobalAveragePool2D, ReLU, Softmax
from .tiny import CONV_BIAS, DENSE_BIAS, MAX_LOGIT_GAP, PIXELS, first_teaching_draw, integers

CONV_WEIGHTS = (-1, 1)     # conv weights: -1, 0 or 1 (many zero terms to skip by hand)
DENSE_WEIGHTS = (-2, 2)


@dataclass(frozen=True)
class ResidualSpec:
    """Sizes of the tiny residual block: input (channels, size, size); both convs keep the
    channels and the size (3x3, padding 1), so the Add can add the input back."""
    size: int = 4
    channels: int = 1

    def __post_init__(self):
        for name in ("size", "channels"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise InputError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not 3 <= self.size <= 6 or self.channels > 2:
            raise InputError("a residual trace is meant to be read: keep 3 <= --size <= 6 and "
                             "--channels <= 2")

    @property
    def pixels(self):
        """H * W, the global average pool's divisor."""
        return self.size * self.size


def residual_network(spec):
    """The tiny residual Network (float64; nodes conv1, relu1, conv2, add, relu2, gap, dense,
    softmax; add reads conv2 and the input); its weights are overwritten by draw()."""
    c = spec.channels
    layers = [Conv2D(c, c, 3, padding=1, name="conv1", init="zeros"), ReLU(name="relu1"),
              Conv2D(c, c, 3, padding=1, name="conv2", init="zeros"),
              Add(name="add", inputs=("conv2", "input")), ReLU(name="relu2"),
              GlobalAveragePool2D(name="gap"), Dense(c, 2, name="dense", init="zeros"), Softmax(name="softmax")]
    net = Network(layers, (c, spec.size, spec.size), name="tiny-residual", backend="cpu")
    return net.astype(np.float64)


def draw(net, spec, rng):
    """Fill net's parameters with small integers from rng and return an input (1, C, S, S)."""
    c = spec.channels
    for name in ("conv1", "conv2"):
        net[name].params = {"weight": integers(rng, CONV_WEIGHTS, (c, c, 3, 3)),
                            "bias": integers(rng, CONV_BIAS, (c,))}
    net["dense"].params = {"weight": integers(rng, DENSE_WEIGHTS, (2, c)),
                           "bias": integers(rng, DENSE_BIAS, (2,))}
    return integers(rng, PIXELS, (1, c, spec.size, spec.size))


def paths(net, seed, rule):
    """(branch term, skip term) of dS/dx at the input under ``rule``, from the last forward:
    the Add's own backward copies g to both inputs, the branch is then sent down to the input."""
    g = net.backward(seed, start="dense", until="add", rule=rule)
    branch, skip = net["add"].backward(g, net.caches["add"], rule)
    return net.backward(branch, start="conv2", rule=rule), skip


def teaches(net, x, target=None):
    """The explained class when (net, x) makes a good example (module docstring), else None."""
    logits = net.forward(x, until="dense")[0]
    if not 0 < abs(logits[0] - logits[1]) <= MAX_LOGIT_GAP:
        return None
    c = int(np.argmax(logits)) if target is None else target
    inner, outer = net.activations["conv1"], net.activations["add"]
    if not (0.25 <= (inner > 0).mean() <= 0.75 and (outer < 0).any() and (outer > 0).any()):
        return None
    seed = np.zeros((1, 2))
    seed[0, c] = 1
    g = net.backward(seed, start="dense", until="relu1")  # dS/d(relu1 output), gradient rule
    if not (((inner > 0) & (g < 0)).any() and ((inner < 0) & (g > 0)).any()):
        return None
    terms = [paths(net, seed, rule) for rule in RULES]
    if not np.logical_and.reduce([(branch != 0) & (skip != 0) for branch, skip in terms]).any():
        return None  # no pixel where, under every rule, both paths bring a gradient
    inputs = [branch + skip for branch, skip in terms]
    if any(np.array_equal(a, b) for k, a in enumerate(inputs) for b in inputs[k + 1:]):
        return None
    return c


def residual_example(spec=None, seed=0, target=None):
    """(net, x, c): the tiny residual block of ``spec`` (default ResidualSpec()) with integer
    weights, an integer input (1, C, S, S) and the class c explained (the predicted one unless
    ``target`` is 0 or 1), from the first draw of ``seed`` that teaches (see ``teaches``)."""
    spec = spec or ResidualSpec()
    net = residual_network(spec)
    return (net,) + first_teaching_draw(net, spec, seed, target, draw, teaches)

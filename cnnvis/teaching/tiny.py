"""The tiny network of `cnnvis trace`: small integer weights and input, drawn from a seed
until the example teaches something.

    input (C, S, S) -> conv KxK (F filters, stride 1, no padding) -> ReLU -> max-pool 2x2
    -> flatten -> dense to 2 logits -> softmax

Weights and pixels are small integers held in float64, so every number of the forward
and backward passes (except the softmax) is an integer a student can check by hand.
Draws are rejected until, for the explained class c, the three backward rules visibly
differ (see ``teaches``): ReLU kills a quarter to three quarters of the units, the two
logits differ by 1 to 3, each pool window with a positive maximum has a single winner, a
live winner gets a negative gradient (the gradient rule passes it, deconvnet and guided
block it), a dead winner gets a positive one (only deconvnet passes it), and the three
input gradients are pairwise different.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax
from ..graph import Network

PIXELS = (0, 3)            # input values: integers 0 .. 3
CONV_WEIGHTS = (-2, 2)     # conv and dense weights: integers -2 .. 2
CONV_BIAS = (-2, 1)
DENSE_BIAS = (-1, 1)
MAX_LOGIT_GAP = 3          # so that the softmax probabilities are readable
MAX_DRAWS = 5000


@dataclass(frozen=True)
class TinySpec:
    """Sizes of the tiny network: input (in_channels, size, size), ``channels`` conv filters
    of kernel x kernel."""
    size: int = 6
    in_channels: int = 1
    channels: int = 1
    kernel: int = 3

    def __post_init__(self):
        for name in ("size", "in_channels", "channels", "kernel"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise InputError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.conv_size < 2:
            raise InputError(f"a {self.kernel}x{self.kernel} conv on a {self.size}x{self.size} input "
                             f"leaves {self.conv_size}x{self.conv_size} maps, too small for a 2x2 "
                             "max-pool; use a larger --size or a smaller --kernel")
        if self.channels * (self.conv_size // 2) ** 2 < 3:
            raise InputError(f"{self.channels} channel(s) of {self.conv_size // 2}x{self.conv_size // 2} "
                             "pooled maps give fewer than 3 pool windows; the example needs a "
                             "dead, a negative and a positive one: use a larger --size or more --channels")
        if self.size > 10 or self.channels > 3 or self.in_channels > 3 or self.kernel > 5:
            raise InputError("a trace is meant to be read: keep --size <= 10, --channels <= 3, "
                             "--in-channels <= 3 and --kernel <= 5")

    @property
    def conv_size(self):
        return self.size - self.kernel + 1

    @property
    def features(self):
        return self.channels * (self.conv_size // 2) ** 2


def tiny_network(spec):
    """The tiny Network (float64, layers named conv, relu, pool, flatten, dense, softmax);
    its weights are overwritten by draw()."""
    layers = [Conv2D(spec.in_channels, spec.channels, spec.kernel, name="conv", init="zeros"),
              ReLU(name="relu"), MaxPool2D(2, name="pool"), Flatten(name="flatten"),
              Dense(spec.features, 2, name="dense", init="zeros"), Softmax(name="softmax")]
    net = Network(layers, (spec.in_channels, spec.size, spec.size), name="tiny", backend="cpu")
    return net.astype(np.float64)


def integers(rng, bounds, shape):
    lo, hi = bounds
    return rng.integers(lo, hi + 1, size=shape).astype(np.float64)


def draw(net, spec, rng):
    """Fill net's parameters with small integers from rng and return an input (1, C, S, S)."""
    net["conv"].params = {"weight": integers(rng, CONV_WEIGHTS, (spec.channels, spec.in_channels,
                                                                 spec.kernel, spec.kernel)),
                          "bias": integers(rng, CONV_BIAS, (spec.channels,))}
    net["dense"].params = {"weight": integers(rng, CONV_WEIGHTS, (2, spec.features)),
                           "bias": integers(rng, DENSE_BIAS, (2,))}
    return integers(rng, PIXELS, (1, spec.in_channels, spec.size, spec.size))


def teaches(net, x, target=None):
    """The explained class when (net, x) makes a good example (module docstring), else None.

    target: the class explained, or None for the predicted one (the logits must differ).
    """
    logits = net.forward(x, until="dense")[0]
    if not 0 < abs(logits[0] - logits[1]) <= MAX_LOGIT_GAP:
        return None
    c = int(np.argmax(logits)) if target is None else target
    pre = net.activations["conv"]
    relu = net.activations["relu"]
    if not 0.25 <= (pre > 0).mean() <= 0.75:
        return None  # a quarter to three quarters of the units alive
    windows = _windows(relu[0])
    top = windows.max(axis=-1)
    if ((windows == top[..., None]).sum(axis=-1)[top > 0] > 1).any():
        return None  # a window with a positive maximum but two winners
    seed = np.zeros((1, 2))
    seed[0, c] = 1
    g = net.backward(seed, start="dense", until="relu")  # dS/d(ReLU output): the unpooled seed
    live, routed = pre > 0, g != 0
    if not ((routed & live & (g < 0)).any() and (routed & ~live & (g > 0)).any()
            and (routed & live & (g > 0)).any()):
        return None
    inputs = [net.backward(seed, start="dense", rule=rule) for rule in ("gradient", "deconvnet", "guided")]
    if any(np.array_equal(a, b) for k, a in enumerate(inputs) for b in inputs[k + 1:]):
        return None
    return c


def _windows(maps):
    """The 2x2 pool windows of maps (C, H, W): (C, H//2, W//2, 4), row-major in each window."""
    c, h, w = maps.shape
    h2, w2 = h // 2, w // 2
    cut = maps[:, :2 * h2, :2 * w2].reshape(c, h2, 2, w2, 2)
    return cut.transpose(0, 1, 3, 2, 4).reshape(c, h2, w2, 4)


def tiny_example(spec=None, seed=0, target=None):
    """(net, x, c): the tiny network of ``spec`` (default TinySpec()) with integer weights, an
    integer input (1, C, S, S) and the class c explained (the predicted one unless ``target``
    is 0 or 1), from the first draw of ``seed`` that teaches (see ``teaches``)."""
    spec = spec or TinySpec()
    net = tiny_network(spec)
    return (net,) + first_teaching_draw(net, spec, seed, target, draw, teaches)


def first_teaching_draw(net, spec, seed, target, draw, teaches):
    """(x, c) of the first of MAX_DRAWS draws ``draw(net, spec, rng)`` from ``seed`` for which
    ``teaches(net, x, target)`` gives a class c; a clear error if none does."""
    if target is not None and target not in (0, 1):
        raise InputError(f"the tiny network has 2 classes; target must be 0 or 1, got {target!r}")
    rng = np.random.default_rng(seed)
    for _ in range(MAX_DRAWS):
        x = draw(net, spec, rng)
        c = teaches(net, x, target)
        if c is not None:
            return x, c
    raise InputError(f"no draw of seed {seed} out of {MAX_DRAWS} makes a good example for {spec} "
                     f"(target {target}); try another --seed or other sizes")

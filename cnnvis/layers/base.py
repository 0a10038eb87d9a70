"""The layer contract: a named step with an explicit forward and backward pass."""
import numpy as np

from ..engine import to_device
from ..engine.ops import conv_output_size
from ..errors import InputError

RULES = ("gradient", "deconvnet", "guided")


def check_rule(rule):
    if rule not in RULES:
        raise InputError(f"unknown backward rule {rule!r}; choose one of {RULES}")
    return rule


def pair(value, what):
    """(a, b) from an int or a pair of positive ints."""
    try:
        a, b = (value, value) if np.isscalar(value) else tuple(value)
        ok = int(a) == a and int(b) == b and a >= 1 and b >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"{what} must be a positive integer or a pair of them, got {value!r}")
    return int(a), int(b)


def padding4(value, kernel, stride=(1, 1)):
    """(top, bottom, left, right) from an int, (ph, pw), a 4-tuple, 'valid' or 'same' (stride 1)."""
    if value == "valid":
        return (0, 0, 0, 0)
    if value == "same":  # as TensorFlow: the extra row/column goes to the bottom/right
        if tuple(stride) != (1, 1):
            raise InputError(f"padding='same' is only defined here for stride 1 (got {tuple(stride)}): "
                             "for other strides it depends on the input size; give the pads")
        (kh, kw) = kernel
        return ((kh - 1) // 2, kh // 2, (kw - 1) // 2, kw // 2)
    if np.isscalar(value):
        pads = (value,) * 4
    elif len(value) == 2:
        pads = (value[0], value[0], value[1], value[1])
    elif len(value) == 4:
        pads = tuple(value)
    else:
        raise InputError(f"padding must be an int, (ph, pw), (top, bottom, left, right), "
                         f"'same' or 'valid'; got {value!r}")
    if any(int(p) != p or p < 0 for p in pads):
        raise InputError(f"padding must be non-negative integers, got {value!r}")
    return tuple(int(p) for p in pads)


def initial_weights(shape, fan_in, init, rng, dtype):
    """'he': N(0, 2 / fan_in) (He et al. 2015), seeded by rng; 'zeros': placeholders to load into."""
    if init == "zeros":
        return np.zeros(shape, dtype)
    if init != "he":
        raise InputError(f"init must be 'he' or 'zeros', got {init!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class Layer:
    """Base class. Subclasses define forward(x) and backward(g, rule, param_grads).

    forward caches what backward needs (the input, switches, the output); backward
    returns dL/dx given g = dL/dy and, when param_grads is true, stores dL/dparam in
    self.grads. ``params`` maps a name ('weight', 'bias') to its array.
    """

    #: (kernel, stride, pad_before) per axis for conv and pool layers, used by receptive.py
    geometry = None

    def __init__(self, name=None):
        self.name = name
        self.params = {}
        self.grads = {}
        self.training = False

    def forward(self, x):
        raise NotImplementedError

    def backward(self, g, rule="gradient", param_grads=False):
        raise NotImplementedError

    def output_shape(self, input_shape):
        """Shape of one output sample given the shape of one input sample (no batch axis)."""
        return tuple(input_shape)

    def config(self):
        """JSON-able constructor arguments (saved in our HDF5 format)."""
        return {}

    def param_count(self):
        return int(sum(p.size for p in self.params.values()))

    def to(self, backend):
        """Move parameters to 'cpu' or 'gpu'."""
        self.params = {k: to_device(v, backend) for k, v in self.params.items()}
        self.grads = {}
        return self

    def astype(self, dtype):
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}
        return self

    def __repr__(self):
        args = [f"{k}={v!r}" for k, v in self.config().items()] + [f"name={self.name!r}"]
        return f"{type(self).__name__}({', '.join(args)})"


class SlidingWindow(Layer):
    """A layer that slides a kernel_size window with stride over padding (top, bottom, left,
    right): Conv2D and MaxPool2D. Output size per axis: floor((H + pads - K) / S) + 1."""

    window_name = "window"

    @property
    def geometry(self):
        """(kernel, stride, leading pad) per axis, for receptive.py."""
        (kh, kw), (sh, sw), (pt, _, pl, _) = self.kernel_size, self.stride, self.padding
        return ((kh, sh, pt), (kw, sw, pl))

    def spatial_output(self, h, w):
        """(Ho, Wo) for an (h, w) input; an InputError when the window does not fit."""
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = self.kernel_size, self.stride, self.padding
        ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(w, kw, sw, pl, pr)
        if ho < 1 or wo < 1:
            raise InputError(f"layer {self.name!r}: input {h}x{w} is smaller than its {kh}x{kw} "
                             f"{self.window_name}; use a larger image")
        return ho, wo

    def check_input(self, x):
        """The (N, C, H, W) check and the output shape of one sample."""
        if x.ndim != 4:
            raise InputError(f"layer {self.name!r} expects (N, C, H, W) input, got shape {x.shape}")
        return self.output_shape(x.shape[1:])


"""The layer contract: a named operation with an explicit forward and backward pass, and traits.

A layer holds its parameters and nothing else between calls (the cs231n habit):

    y, cache = layer.forward(*inputs)            # cache: what backward needs, owned by the pass
    grads = layer.backward(g, cache, rule)       # one dL/d(input) per input, g = dL/dy
    pgrads = layer.param_grads(g, cache)         # {'weight': dL/dW, ...}, only when asked

Traits, declared once per layer type, answer what other parts ask (receptive fields, the
occlusion plan, the PyTorch mirror, weight readers), so that a new layer type touches one file:
    extent        'window' (a sliding window: window() gives its geometry), 'pointwise' (output
                  (c, i, j) reads input position (i, j) only), or 'global' (every output reads
                  the whole input: Flatten, Dense, global pooling)
    rectifier     True where the deconvnet and guided rules apply (ReLU, ReLU6)
    arity         number of inputs (None: any number, e.g. Add, Concat)
    layouts       {param: layout} of the parameter arrays, e.g. {'weight': 'OIHW'}
    macs()        multiply-adds per sample;  torch_module(torch): the PyTorch counterpart
"""
from dataclasses import dataclass

import numpy as np

from ..engine import to_device
from ..engine.shapes import conv_output_size
from ..errors import InputError

RULES = ("gradient", "deconvnet", "guided")
EXTENTS = ("window", "pointwise", "global")


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


def padding_spec(value):
    """'same', or (top, bottom, left, right) from an int, (ph, pw), a 4-tuple or 'valid'."""
    if value == "same":
        return "same"
    if value == "valid":
        return (0, 0, 0, 0)
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


def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding of one axis: the output has ceil(size / stride) positions;
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0), the extra one at
    the end (bottom/right). For stride 1 it does not depend on the size."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def initial_weights(shape, fan_in, init, rng, dtype):
    """'he': N(0, 2 / fan_in) (He et al. 2015), seeded by rng; 'zeros': placeholders to load into."""
    if init == "zeros":
        return np.zeros(shape, dtype)
    if init != "he":
        raise InputError(f"init must be 'he' or 'zeros', got {init!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


@dataclass(frozen=True)
class Window:
    """A sliding window's geometry on one input size: kernel, stride, dilation (rows, cols) and
    pads (top, bottom, left, right). span: the input extent one output reads, (k - 1) * d + 1."""
    kernel: tuple
    stride: tuple
    pads: tuple
    dilation: tuple = (1, 1)

    @property
    def span(self):
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel, self.dilation))

    def axis(self, ax):
        """(span, stride, leading pad) of axis 0 (rows) or 1 (cols)."""
        return self.span[ax], self.stride[ax], self.pads[2 * ax]


class Layer:
    """Base class of every layer; see the module docstring for the contract."""

    extent = "pointwise"
    rectifier = False
    arity = 1
    layouts = {}

    def __init__(self, name=None, inputs=None):
        self.name = name
        self.inputs = None if inputs is None else tuple([inputs] if isinstance(inputs, str) else inputs)
        self.params = {}   # learned: trained by the optimizers, saved with the weights
        self.buffers = {}  # not learned but saved with the weights (BatchNorm's running statistics)

    # ---- the passes ----------------------------------------------------------------------
    def forward(self, *inputs):
        """(output, cache) at inference."""
        raise NotImplementedError

    def forward_train(self, *inputs, rng):
        """(output, cache) in training mode (dropout masks from rng, batch statistics)."""
        return self.forward(*inputs)

    def backward(self, g, cache, rule="gradient"):
        """Tuple of dL/d(input), one per input, from g = dL/d(output) and the forward's cache."""
        raise NotImplementedError

    def param_grads(self, g, cache):
        """{param name: dL/dparam} from g = dL/d(output); empty for layers without parameters."""
        return {}

    # ---- traits --------------------------------------------------------------------------
    def output_shape(self, *input_shapes):
        """Shape of one output sample given the shapes of one sample of each input."""
        return tuple(input_shapes[0])

    def window(self, h, w):
        """The Window on an (h, w) input for extent 'window' layers, else None."""
        return None

    def macs(self, *input_shapes):
        """Multiply-adds of one sample's forward."""
        return 0

    def torch_module(self, torch):
        """The torch.nn module computing the same function, with the same parameters."""
        raise InputError(f"layer {self.name!r}: no PyTorch counterpart for {type(self).__name__}")

    def config(self):
        """JSON-able constructor arguments (saved in our HDF5 format)."""
        return {}

    @classmethod
    def example(cls, rng):
        """A small layer of this type, for checks (gradcheck's default)."""
        return cls()

    def example_shapes(self):
        """Small batch-of-2 input shapes this layer accepts, one per input."""
        return [(2, 3, 4, 4)] * (self.arity or 2)

    # ---- parameters ------------------------------------------------------------------------
    def arrays(self):
        """Every stored array, parameters and buffers: {name: array}."""
        return {**self.params, **self.buffers}

    def param_count(self):
        return int(sum(p.size for p in self.params.values()))

    def to(self, backend):
        """Move parameters and buffers to 'cpu' or 'gpu'."""
        self.params = {k: to_device(v, backend) for k, v in self.params.items()}
        self.buffers = {k: to_device(v, backend) for k, v in self.buffers.items()}
        return self

    def astype(self, dtype):
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}
        self.buffers = {k: v.astype(dtype) for k, v in self.buffers.items()}
        return self

    def __repr__(self):
        args = [f"{k}={v!r}" for k, v in self.config().items()] + [f"name={self.name!r}"]
        return f"{type(self).__name__}({', '.join(args)})"


class SlidingWindow(Layer):
    """A layer that slides a kernel_size window with stride (and dilation) over padding:
    Conv2D, MaxPool2D, AvgPool2D. padding: (top, bottom, left, right) or 'same' (TensorFlow's,
    resolved per input size by same_pads). Output size per axis:
    floor((H + pads - (K - 1) * D - 1) / S) + 1."""

    extent = "window"
    window_name = "window"
    forward_padded = None  # layers that can define forward_padded(x): the output for an input
    #                        that already carries its padding (incremental occlusion's slabs)
    pad_value = 0.0  # what the padding holds (max-pooling: -inf)
    dilation = (1, 1)

    def pads(self, h, w):
        """(top, bottom, left, right) on an (h, w) input."""
        if self.padding != "same":
            return self.padding
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        return same_pads(h, kh, sh, dh) + same_pads(w, kw, sw, dw)

    def window(self, h, w):
        return Window(self.kernel_size, self.stride, self.pads(h, w), self.dilation)

    def spatial_output(self, h, w):
        """(Ho, Wo) for an (h, w) input; an InputError when the window does not fit."""
        win = self.window(h, w)
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = win.span, win.stride, win.pads
        ho, wo = conv_output_size(h, kh, sh, pt, pb), conv_output_size(w, kw, sw, pl, pr)
        if ho < 1 or wo < 1:
            raise InputError(f"layer {self.name!r}: input {h}x{w} is smaller than its {kh}x{kw} "
                             f"{self.window_name}; use a larger image")
        return ho, wo

    def check_input(self, x):
        """The (N, C, H, W) check; returns the pads for x."""
        if x.ndim != 4:
            raise InputError(f"layer {self.name!r} expects (N, C, H, W) input, got shape {x.shape}")
        self.output_shape(x.shape[1:])
        return self.pads(*x.shape[2:])

    def example_shapes(self):
        (kh, kw), (sh, sw) = self.window(8, 8).span, self.stride
        return [(2, getattr(self, "in_channels", 3), kh + 2 * sh, kw + 2 * sw)]

    def window_config(self):
        padding = self.padding if self.padding == "same" else list(self.padding)
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": padding}

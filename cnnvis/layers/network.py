"""Network: named layers in sequence, with forward and backward from and to any of them."""
import numpy as np

from ..engine import array_module, get_backend, to_device, to_host
from ..engine.backend import check_backend
from ..errors import InputError, LayerNotFoundError
from ..preprocessing import Preprocessing
from .base import check_rule


class Network:
    """A sequence of uniquely named layers (the Network contract of DESIGN.md).

    forward(x, start, until): run layers start..until (both included); x is the input of
    ``start`` (default the first layer), the result the output of ``until`` (default the last).
    backward(grad, start, until, rule): grad is dL/d(output of ``start``) (default the last
    layer); it is sent back through start, ..., down to the layer after ``until`` and the
    result is dL/d(output of ``until``), or dL/d(input) when until is None.
    activations[name] holds each layer's output from the last forward.

    input_shape: one sample's (C, H, W); preprocessing: the input transform of the weights;
    class_names: labels of the output units, if any.
    """

    def __init__(self, layers, input_shape, preprocessing=None, class_names=None,
                 name="network", backend=None):
        self.layers = list(layers)
        self.name = name
        self.input_shape = tuple(int(v) for v in input_shape)
        self.preprocessing = preprocessing or Preprocessing("RGB" if self.input_shape[0] == 3 else "L")
        self.class_names = list(class_names) if class_names is not None else None
        self._index = {}
        for i, layer in enumerate(self.layers):
            if layer.name is None:
                layer.name = f"{type(layer).__name__.lower()}_{i}"
            if layer.name in self._index:
                raise InputError(f"two layers are named {layer.name!r}; names must be unique")
            self._index[layer.name] = i
        self.activations = {}
        self.training = False
        self.dtype = np.dtype(np.float32)
        self.output_shapes()  # fails now, with the layer's name, if the shapes do not chain
        self.backend = "cpu"
        self.to(backend or get_backend())

    # ---- lookup -------------------------------------------------------------------------
    def index(self, name):
        """Position of layer ``name``; a LayerNotFoundError listing the names if absent."""
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise LayerNotFoundError(
                f"no layer {name!r} in {self.name}; its layers are: {', '.join(self._index)}") from None

    def __getitem__(self, key):
        return self.layers[key] if isinstance(key, int) else self.layers[self.index(key)]

    def __contains__(self, name):
        return name in self._index

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    @property
    def layer_names(self):
        return [layer.name for layer in self.layers]

    def class_name(self, k):
        """The name of output class k ('class k' when the network has no class names)."""
        return self.class_names[k] if self.class_names else f"class {k}"

    def layers_of_type(self, *types):
        """Names of the layers whose class is one of ``types`` (classes or class names)."""
        names = {t if isinstance(t, str) else t.__name__ for t in types}
        return [layer.name for layer in self.layers if type(layer).__name__ in names]

    # ---- passes -------------------------------------------------------------------------
    def _span(self, first, last, default_first, default_last):
        i = default_first if first is None else self.index(first)
        j = default_last if last is None else self.index(last)
        return i, j

    def forward(self, x, start=None, until=None):
        """Output of layer ``until`` for input x of layer ``start``; caches for backward."""
        i, j = self._span(start, until, 0, len(self.layers) - 1)
        if j < i:
            raise InputError(f"forward from {self.layers[i].name!r} cannot stop at the earlier "
                             f"layer {self.layers[j].name!r}")
        if i == 0:
            x = self._check_input(x)
        else:
            x = to_device(x, self.backend).astype(self.dtype, copy=False)
        for layer in self.layers[i:j + 1]:
            x = layer.forward(x)
            self.activations[layer.name] = x
        return x

    def _check_input(self, x):
        x = to_device(x, self.backend)
        if x.ndim != 4 or x.shape[1] != self.input_shape[0]:
            raise InputError(f"{self.name} expects input (N, {self.input_shape[0]}, H, W), got shape "
                             f"{tuple(x.shape)}; turn images into input with net.preprocess(image)")
        if not bool(array_module(x).isfinite(x).all()):
            raise InputError("the input contains NaN or infinite values")
        return x.astype(self.dtype, copy=False)

    def backward(self, grad, start=None, until=None, rule="gradient", param_grads=None):
        """dL/d(output of ``until``) (or of the input) from grad = dL/d(output of ``start``).

        rule: 'gradient', 'deconvnet' or 'guided' (applies at ReLUs; see layers/relu.py).
        param_grads: also store dL/dparam on each layer (default: when training).
        """
        check_rule(rule)
        i, j = self._span(start, until, len(self.layers) - 1, -1)
        if j >= i:
            raise InputError(f"backward from {self.layers[i].name!r} cannot stop at "
                             f"{self.layers[j].name!r}, which is not before it")
        param_grads = self.training if param_grads is None else param_grads
        g = to_device(grad, self.backend).astype(self.dtype, copy=False)
        self._check_grad(g, self.layers[i].name)
        for layer in reversed(self.layers[j + 1:i + 1]):
            g = layer.backward(g, rule=rule, param_grads=param_grads)
        return g

    def _check_grad(self, g, name):
        """grad must have the shape of layer ``name``'s output in the last forward pass."""
        out = self.activations.get(name)
        if out is None:
            raise InputError(f"backward from {name!r} needs a forward pass through it first: "
                             f"call net.forward(x) (with until={name!r} or later)")
        if tuple(g.shape) != tuple(out.shape):
            raise InputError(f"grad has shape {tuple(g.shape)}, but the output of {name!r} in the last "
                             f"forward pass has shape {tuple(out.shape)}; give dL/d(that output)")

    def predict(self, x, batch_size=32):
        """Output of the last layer for input x (N, C, H, W), on the host, in batches."""
        outs = [to_host(self.forward(x[k:k + batch_size])) for k in range(0, len(x), batch_size)]
        return np.concatenate(outs)

    # ---- shapes, parameters, modes ------------------------------------------------------
    def output_shapes(self, input_shape=None):
        """{layer name: output shape of one sample} for input_shape (C, H, W)."""
        shape = tuple(input_shape or self.input_shape)
        shapes = {}
        for layer in self.layers:
            shape = layer.output_shape(shape)
            shapes[layer.name] = shape
        return shapes

    def parameters(self):
        """[(layer name, param name, array)] for every parameter, in layer order."""
        return [(layer.name, k, v) for layer in self.layers for k, v in layer.params.items()]

    def param_count(self):
        return sum(layer.param_count() for layer in self.layers)

    def train(self, mode=True):
        """Training mode: dropout masks on, parameter gradients kept by backward."""
        self.training = bool(mode)
        for layer in self.layers:
            layer.training = self.training
        return self

    def eval(self):
        return self.train(False)

    def to(self, backend):
        """Move every parameter to 'cpu' or 'gpu' (numpy or cupy arrays)."""
        check_backend(backend)
        for layer in self.layers:
            layer.to(backend)
        self.backend = backend
        self.activations = {}
        return self

    def astype(self, dtype):
        """Cast every parameter (and future inputs) to dtype, e.g. np.float64 for gradient checks."""
        self.dtype = np.dtype(dtype)
        for layer in self.layers:
            layer.astype(self.dtype)
        return self

    # ---- input transform, fields, summary -----------------------------------------------
    def preprocess(self, image):
        """Image(s) (H, W, C) or (N, H, W, C) in [0, 255] -> network input (N, C, H, W)."""
        x = self.preprocessing(image)
        has_dense = bool(self.layers_of_type("Dense"))
        if has_dense and x.shape[2:] != self.input_shape[1:]:
            h, w = self.input_shape[1:]
            raise InputError(f"{self.name} takes {h}x{w} images, got {x.shape[2]}x{x.shape[3]}; "
                             f"resize it, e.g. cnnvis.load_image(path, size=({h}, {w}))")
        return x

    def deprocess(self, x):
        """Network input (N, C, H, W) -> images (N, H, W, C) in [0, 255], float."""
        return self.preprocessing.invert(to_host(x))

    def receptive_field(self, name):
        """Field(size, jump, start) of layer ``name``'s units, per axis; see receptive.py."""
        from ..receptive import receptive_field
        return receptive_field(self, name)

    def summary(self, input_shape=None):
        """A table of layer, type, output shape, parameters and receptive field (size/jump)."""
        from ..receptive import receptive_fields
        shapes = self.output_shapes(input_shape)
        fields = receptive_fields(self)
        rows = [("layer", "type", "output shape", "params", "receptive field")]
        for layer in self.layers:
            f = fields.get(layer.name)
            rf = f"{f.size[0]}x{f.size[1]} / {f.jump[0]}" if f else "whole image"
            rows.append((layer.name, type(layer).__name__, str(shapes[layer.name]),
                         f"{layer.param_count():,}", rf))
        widths = [max(len(r[k]) for r in rows) for k in range(5)]
        lines = ["  ".join(c.ljust(w) if k != 3 else c.rjust(w) for k, (c, w) in
                           enumerate(zip(r, widths))) for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"{self.name}: {self.param_count():,} parameters, input {self.input_shape}, "
                     f"receptive field 'size / jump' in input pixels")
        return "\n".join(lines)

    def __repr__(self):
        return f"Network({self.name!r}, {len(self.layers)} layers, input {self.input_shape})"

"""Network: a graph of named nodes (layers with named inputs), walked once in topological order.

Each node is a layer whose ``inputs`` name the nodes it reads ("input" is the network's
input); a layer without inputs reads the node before it in the list given, so a plain list
of layers is a chain. Every pass is one walk (torch.fx's Interpreter, micrograd's backward):

    forward:   values[node] = node.forward(*values[inputs])           in topological order
    backward:  grads[input] += node.backward(grads[node])             in reverse order

(a node read by several others receives the sum of their gradients: the residual Add copies
its gradient to both branches, and they are summed where they meet again). The same walk
gives output shapes, receptive fields (receptive.py) and the occlusion plan.
"""
import numpy as np

from .engine import array_module, get_backend, to_device, to_host
from .engine.backend import check_backend
from .engine.parallel import single_threaded_blas
from .errors import InputError, LayerNotFoundError
from .layers.base import check_rule
from .preprocessing import Preprocessing

INPUT = "input"


class Network:
    """Uniquely named layers with named inputs (the Network contract of DESIGN.md).

    forward(x, until, feeds): the output of node ``until`` (default: the output node); only
    the nodes it needs run; feeds {name: array} resumes from given activations.
    backward(grad, start, until, rule): grad = dL/d(output of ``start``) (default the output
    node) sent back to dL/d(output of ``until``), or dL/d(input) when until is None.
    activations[name] holds each node's output from the last forward; caches[name] its cache.

    input_shape: one sample's (C, H, W); preprocessing: the input transform of the weights;
    class_names: labels of the output units, if any; naming: 'keras' when the node names are
    those of Keras weights, where a conv's name means its activation (methods.targets.layer_node).
    """

    def __init__(self, layers, input_shape, preprocessing=None, class_names=None,
                 name="network", backend=None, naming=None):
        self.nodes = _topological(_named(list(layers)))
        self.name = name
        self.input_shape = tuple(int(v) for v in input_shape)
        self.preprocessing = preprocessing or Preprocessing("RGB" if self.input_shape[0] == 3 else "L")
        self.class_names = list(class_names) if class_names is not None else None
        self.naming = naming
        self._index = {node.name: i for i, node in enumerate(self.nodes)}
        self._ancestors = _ancestors(self.nodes)
        self.activations, self.caches = {}, {}
        self.training, self.rng = False, None
        self.dtype = np.dtype(np.float32)
        self.output_shapes()  # fails now, with the node's name, if the shapes do not fit
        self.backend = "cpu"
        self.to(backend or get_backend())

    # ---- lookup -------------------------------------------------------------------------
    def index(self, name):
        """Position of node ``name`` in topological order; a LayerNotFoundError listing the names."""
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise LayerNotFoundError(
                f"no layer {name!r} in {self.name}; its layers are: {', '.join(self._index)}") from None

    def __getitem__(self, name):
        return self.nodes[self.index(name)]

    def __contains__(self, name):
        return name in self._index

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    @property
    def names(self):
        return [node.name for node in self.nodes]

    @property
    def output(self):
        """Name of the output node (the last in topological order)."""
        return self.nodes[-1].name

    def inputs_of(self, name):
        """Names of the nodes ``name`` reads ('input' for the network's input)."""
        return self[name].inputs

    def consumers(self, name):
        """Names of the nodes that read ``name``'s output, in topological order."""
        if name != INPUT:
            self.index(name)
        return [node.name for node in self.nodes if name in node.inputs]

    def is_ancestor(self, a, b):
        """True when the output of ``a`` ('input' included) reaches node ``b``; a node is not its own."""
        if a != INPUT:
            self.index(a)
        return b != INPUT and a in self._ancestors[self[b].name]

    def is_chain(self):
        """True when every node reads only the node before it."""
        return all(node.inputs == ((self.nodes[i - 1].name if i else INPUT),)
                   for i, node in enumerate(self.nodes))

    def class_name(self, k):
        """The name of output class k ('class k' when the network has no class names)."""
        return self.class_names[k] if self.class_names else f"class {k}"

    # ---- the walk -------------------------------------------------------------------------
    def walk(self, visit, start_value, until=None, given=None):
        """values[node] = visit(node, *values of its inputs) for every node ``until`` (default:
        all) needs, in topological order, from values['input'] = start_value and the values
        ``given`` ({name: value}, not visited). Returns the dict of values."""
        values = {INPUT: start_value, **(given or {})}
        for node in self._needed(until, values):
            values[node.name] = visit(node, *(values[i] for i in node.inputs))
        return values

    def _needed(self, until, known):
        """The nodes to visit, in order, to get ``until`` from the ``known`` values."""
        last = len(self.nodes) - 1 if until is None else self.index(until)
        want, order = {self.nodes[last].name}, []
        for node in reversed(self.nodes[:last + 1]):
            if node.name in want and node.name not in known:
                order.append(node)
                want.update(node.inputs)
        if INPUT in want and known.get(INPUT) is None:
            missing = sorted(i for i in want if i not in known and i != INPUT)
            raise InputError(f"forward to {self.nodes[last].name!r} needs the network's input "
                             f"(or feeds for {', '.join(missing) or 'its inputs'})")
        return order[::-1]

    # ---- passes -------------------------------------------------------------------------
    def forward(self, x, until=None, feeds=None):
        """Output of node ``until`` (default the output node) for input x (N, C, H, W); x may be
        None when ``feeds`` ({node name: its output}) give everything ``until`` needs."""
        feeds = {self[k].name: to_device(v, self.backend).astype(self.dtype, copy=False)
                 for k, v in (feeds or {}).items()}
        if x is not None:
            x = self._check_input(x)
        caches = {}

        def run(node, *inputs):
            if self.training:
                y, caches[node.name] = node.forward_train(*inputs, rng=self.rng)
            else:
                y, caches[node.name] = node.forward(*inputs)
            return y

        with single_threaded_blas():  # the engine's splits own the cores (engine/parallel.py)
            values = self.walk(run, x, until, feeds)
        values.pop(INPUT)
        self.activations, self.caches = values, caches
        return values[until or self.output]

    def _check_input(self, x):
        x = to_device(x, self.backend)
        if x.ndim != 4 or x.shape[1] != self.input_shape[0]:
            raise InputError(f"{self.name} expects input (N, {self.input_shape[0]}, H, W), got shape "
                             f"{tuple(x.shape)}; turn images into input with net.preprocess(image)")
        if not bool(array_module(x).isfinite(x).all()):
            raise InputError("the input contains NaN or infinite values")
        return x.astype(self.dtype, copy=False)

    def backward(self, grad, start=None, until=None, rule="gradient"):
        """dL/d(output of ``until``) (or of the input, until=None) from grad = dL/d(output of
        ``start``) (default the output node), through the last forward pass.

        rule: 'gradient', 'deconvnet' or 'guided' (applies at rectifiers; see layers/relu.py).
        """
        check_rule(rule)
        start = self[start].name if start is not None else self.output
        stop = INPUT if until in (None, INPUT) else self[until].name
        if stop != INPUT and not self.is_ancestor(stop, start):
            raise InputError(f"backward from {start!r} cannot stop at {stop!r}, which it does not "
                             "depend on (it is not before it)")
        between = {n for n in self.names[:self.index(start) + 1] if self.is_ancestor(stop, n)}
        return self._backprop(grad, start, between, between | {stop}, rule, ())[0][stop]

    def param_gradients(self, grad, start=None, nodes=None):
        """{node: {param: dL/dparam}} for ``nodes`` (default: every node with parameters) from
        grad = dL/d(output of ``start``), through the last forward pass (a training step).
        Only the part of the graph between start and those nodes is visited."""
        start = self[start].name if start is not None else self.output
        owners = [self[n].name for n in nodes] if nodes is not None else \
            [node.name for node in self.nodes if node.params]
        owners = {n for n in owners if n == start or self.is_ancestor(n, start)}
        between = {n for n in self.names[:self.index(start) + 1]
                   if n in owners or any(self.is_ancestor(o, n) for o in owners)}
        return self._backprop(grad, start, between, between, "gradient", owners)[1]

    def _backprop(self, grad, start, through, targets, rule, owners):
        """The reverse walk from ``start`` through the nodes ``through``, summing gradients into
        the nodes ``targets``. Returns (their gradients, the parameter gradients of ``owners``)."""
        g = to_device(grad, self.backend).astype(self.dtype, copy=False)
        self._check_grad(g, start)
        grads, pgrads = {start: g}, {}
        with single_threaded_blas():  # the engine's splits own the cores (engine/parallel.py)
            for node in reversed(self.nodes[:self.index(start) + 1]):
                if node.name not in through or node.name not in grads:
                    continue
                cache = self.caches.get(node.name, _MISSING)
                if cache is _MISSING:
                    raise InputError(f"backward through {node.name!r} needs its cache, but the last "
                                     f"forward did not run it (it was given in feeds=)")
                g = grads.pop(node.name)
                if node.name in owners:
                    pgrads[node.name] = node.param_grads(g, cache)
                if not any(i in targets for i in node.inputs):
                    continue
                for source, dx in zip(node.inputs, node.backward(g, cache, rule)):
                    if source in targets:
                        grads[source] = dx if source not in grads else grads[source] + dx
        return grads, pgrads

    def _check_grad(self, g, name):
        """grad must have the shape of node ``name``'s output in the last forward pass."""
        out = self.activations.get(name)
        if out is None:
            raise InputError(f"backward from {name!r} needs a forward pass through it first: "
                             f"call net.forward(x) (with until={name!r} or later)")
        if tuple(g.shape) != tuple(out.shape):
            raise InputError(f"grad has shape {tuple(g.shape)}, but the output of {name!r} in the last "
                             f"forward pass has shape {tuple(out.shape)}; give dL/d(that output)")

    def predict(self, x, batch_size=32):
        """Output of the output node for input x (N, C, H, W), on the host, in batches."""
        outs = [to_host(self.forward(x[k:k + batch_size])) for k in range(0, len(x), batch_size)]
        return np.concatenate(outs)

    # ---- shapes, parameters, modes ------------------------------------------------------
    def output_shapes(self, input_shape=None, until=None):
        """{node name: output shape of one sample} for input_shape (C, H, W), up to ``until``."""
        def shape(node, *inputs):
            try:
                return tuple(node.output_shape(*inputs))
            except (ValueError, TypeError) as exc:
                if isinstance(exc, InputError):
                    raise
                raise InputError(f"layer {node.name!r} cannot take inputs of shapes {inputs} "
                                 f"({exc})") from None

        shapes = self.walk(shape, tuple(input_shape or self.input_shape), until)
        shapes.pop(INPUT)
        return shapes

    def takes_size(self, hw, until=None):
        """Whether (H, W) images run through the nodes ``until`` needs (a Dense after Flatten
        fixes the size; global pooling does not)."""
        try:
            self.output_shapes((self.input_shape[0],) + tuple(hw), until)
        except InputError:
            return False
        return True

    def parameters(self):
        """[(node name, param name, array)] for every parameter, in topological order."""
        return [(node.name, k, v) for node in self.nodes for k, v in node.params.items()]

    def param_count(self):
        return sum(node.param_count() for node in self.nodes)

    def macs(self, input_shape=None):
        """Multiply-adds of one sample's forward: {node name: count}."""
        shapes = {INPUT: tuple(input_shape or self.input_shape), **self.output_shapes(input_shape)}
        return {node.name: int(node.macs(*(shapes[i] for i in node.inputs))) for node in self.nodes}

    def train(self, mode=True, seed=0):
        """Training mode: dropout masks (drawn from a generator seeded by ``seed``) and batch
        statistics; eval() goes back to inference."""
        self.training = bool(mode)
        self.rng = np.random.default_rng(seed) if self.training else None
        return self

    def eval(self):
        return self.train(False)

    def to(self, backend):
        """Move every parameter to 'cpu' or 'gpu' (numpy or cupy arrays)."""
        check_backend(backend)
        for node in self.nodes:
            node.to(backend)
        self.backend = backend
        self.activations, self.caches = {}, {}
        return self

    def astype(self, dtype):
        """Cast every parameter (and future inputs) to dtype, e.g. np.float64 for gradient checks."""
        self.dtype = np.dtype(dtype)
        for node in self.nodes:
            node.astype(self.dtype)
        return self

    # ---- input transform, fields, summary -----------------------------------------------
    def preprocess(self, image):
        """Image(s) (H, W, C) or (N, H, W, C) in [0, 255] -> network input (N, C, H, W)."""
        x = self.preprocessing(image)
        if x.shape[2:] != self.input_shape[1:] and not self.takes_size(x.shape[2:]):
            h, w = self.input_shape[1:]
            raise InputError(f"{self.name} takes {h}x{w} images, got {x.shape[2]}x{x.shape[3]}; "
                             f"resize it, e.g. cnnvis.load_image(path, size=({h}, {w}))")
        return x

    def deprocess(self, x):
        """Network input (N, C, H, W) -> images (N, H, W, C) in [0, 255], float."""
        return self.preprocessing.invert(to_host(x))

    def receptive_field(self, name):
        """Field(size, jump, start) of node ``name``'s units, per axis; see receptive.py."""
        from .receptive import receptive_field
        return receptive_field(self, name)

    def summary(self, input_shape=None):
        """A table of node, type, inputs (when not a chain), output shape, parameters and
        receptive field (size/jump)."""
        from .receptive import receptive_fields
        shapes = self.output_shapes(input_shape)
        fields = receptive_fields(self, (input_shape or self.input_shape)[1:])
        chain = self.is_chain()
        head = ("layer", "type") + (() if chain else ("inputs",)) + ("output shape", "params", "receptive field")
        rows = [head]
        for node in self.nodes:
            f = fields.get(node.name)
            rf = f"{f.size[0]}x{f.size[1]} / {f.jump[0]}" if f else "whole image"
            rows.append((node.name, type(node).__name__) + (() if chain else (", ".join(node.inputs),))
                        + (str(shapes[node.name]), f"{node.param_count():,}", rf))
        count = len(head) - 2  # the params column is right-aligned
        widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
        lines = ["  ".join(c.rjust(w) if k == count else c.ljust(w) for k, (c, w) in
                           enumerate(zip(r, widths))).rstrip() for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"{self.name}: {self.param_count():,} parameters, input {self.input_shape}, "
                     f"receptive field 'size / jump' in input pixels")
        return "\n".join(lines)

    def __repr__(self):
        return f"Network({self.name!r}, {len(self.nodes)} nodes, input {self.input_shape})"


_MISSING = object()


def _named(layers):
    """Give unnamed layers a name, the node before as default input; check names are unique."""
    seen = set()
    for i, layer in enumerate(layers):
        if layer.name is None:
            layer.name = f"{type(layer).__name__.lower()}_{i}"
        if layer.name in seen or layer.name == INPUT:
            raise InputError(f"two layers are named {layer.name!r}; names must be unique "
                             f"(and {INPUT!r} is the network's input)")
        seen.add(layer.name)
        if layer.inputs is None:
            layer.inputs = (layers[i - 1].name if i else INPUT,)
        if layer.arity is not None and len(layer.inputs) != layer.arity:
            raise InputError(f"layer {layer.name!r} takes {layer.arity} input(s), got {layer.inputs}")
        if not layer.inputs:
            raise InputError(f"layer {layer.name!r} has no inputs")
    return layers


def _topological(layers):
    """The layers in an order where each comes after its inputs (Kahn's algorithm; the given
    order wherever it already is one). Unknown inputs and cycles are errors."""
    names = {layer.name for layer in layers} | {INPUT}
    for layer in layers:
        unknown = [i for i in layer.inputs if i not in names]
        if unknown:
            raise InputError(f"layer {layer.name!r} reads {unknown[0]!r}, which is not a layer of "
                             f"the network (nor {INPUT!r})")
    done, order, pending = {INPUT}, [], list(layers)
    while pending:
        ready = next((layer for layer in pending if all(i in done for i in layer.inputs)), None)
        if ready is None:
            raise InputError(f"the layers {', '.join(repr(p.name) for p in pending)} form a cycle; "
                             "a network must be acyclic")
        pending.remove(ready)
        order.append(ready)
        done.add(ready.name)
    return order


def _ancestors(nodes):
    """{node name: set of the names whose output reaches it, 'input' included}."""
    found = {INPUT: set()}
    for node in nodes:
        found[node.name] = set().union(*({i} | found[i] for i in node.inputs))
    return found

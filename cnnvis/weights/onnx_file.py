"""ONNX files (.onnx), read with the onnx package (an optional extra: pip install onnx). The
graph's nodes become cnnvis layer descriptions, its initializers and Constant nodes their
arrays; nothing in the file is run (onnx's shape inference, which runs no kernels, gives the
tensors' shapes):

    graph input (N, C, H, W), float   ->  "input", input_shape (C, H, W)
    node (op, inputs, attributes)     ->  {"type", "name", "inputs", "config"} + its arrays
    initializers, Constant nodes      ->  weights, or what an op reads: Clip's bounds, Reshape's
                                          shape (Identity, Unsqueeze and Concat of constants
                                          are folded: the exporters' shape arithmetic)
    graph output (exactly one)        ->  the last node; nodes it does not need are dropped

The op table and what is refused are in docs/weights-format.md (and OPS below): each op
becomes one layer, except MatMul + a constant Add (one Dense). Conv and pool pads
[top, left, bottom, right] become (top, bottom, left, right); auto_pad SAME_UPPER is our
'same', SAME_LOWER is resolved on the file's input size.

Names: an exporter's node name '/layer4/layer4.1/conv1/Conv' is a scope path and the op.
The path, each part that extends the one before (layer4 -> layer4.1) replacing it, joined by
'.', is the PyTorch module's name: 'layer4.1.conv1'. A node is named by its path alone when
it is the only layer in that module and the module has no sub-modules, else by path and op:
'layer4.1.Add', a top-level '/Flatten' 'Flatten'. A node without a name is named by its
output tensor; '/' becomes '.', and a name taken (or 'input') gets a suffix _2, _3, ...
"""
import inspect
import os
import re
from collections import Counter

import numpy as np

from ..errors import BackendError, WeightsError
from ..graph import INPUT
from ..layers import LAYER_TYPES
from ..layers.base import same_pads
from ..preprocessing import Preprocessing
from .native import Stored

OPS = {}  # ONNX op type -> translate(graph, node, attributes), registered by @_op below
FLOAT_TYPES = (1, 11)  # TensorProto.FLOAT, DOUBLE


def _onnx():
    try:
        import onnx
    except ImportError:
        raise BackendError("reading ONNX files needs the onnx package: pip install onnx "
                           "(or pip install 'cnnvis[onnx]')") from None
    return onnx


def read_onnx(path):
    """The Stored contents (weights/native.Stored) of the ONNX file at ``path``: layer
    descriptions in topological order, their arrays, input shape, no preprocessing (an ONNX
    file does not record it: set net.preprocessing) and the file's stem as name."""
    onnx, source = _onnx(), os.fspath(path)
    model = _load(onnx, source)
    x, output = _network_input(model.graph, source), _network_output(model.graph, source)
    nodes = _needed(model.graph.node, output)
    _check_ops(nodes, source)
    graph = _Graph(source, _initializers(onnx, model.graph), _shapes(onnx, model, source), x.name,
                   Counter(t for node in nodes for t in node.input))
    for node in nodes:
        OPS[node.op_type](graph, node, _attributes(onnx, node))
    layers, arrays = graph.described(output)
    input_shape = tuple(d.dim_value for d in x.type.tensor_type.shape.dim[1:])
    preprocessing = Preprocessing("RGB" if input_shape[0] == 3 else "L")  # Network's default: none
    name = os.path.splitext(os.path.basename(source))[0]
    return Stored(name, input_shape, layers, arrays, preprocessing, None)


# ---- the file, its input and output -------------------------------------------------------
def _load(onnx, source):
    from google.protobuf.message import DecodeError
    try:
        model = onnx.load(source)
    except (DecodeError, onnx.checker.ValidationError, OSError) as exc:
        raise WeightsError(f"{source} is not a readable ONNX model ({exc}); export it again "
                           "(torch.onnx.export) or check the download") from None
    if not model.ir_version or not model.graph.node:
        raise WeightsError(f"{source} holds no ONNX graph (no IR version or no nodes); export "
                           "the model again (torch.onnx.export) or check the download")
    return model


def _network_input(graph, source):
    """The one graph input that is not an initializer: a float (N, C, H, W) of fixed C, H, W."""
    initializers = {t.name for t in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializers]
    if len(inputs) != 1:
        raise WeightsError(f"{source}: the ONNX graph has {len(inputs)} inputs "
                           f"({', '.join(v.name for v in inputs)}); cnnvis networks take one image batch")
    (x,) = inputs
    kind = x.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in kind.shape.dim]
    if kind.elem_type not in FLOAT_TYPES or len(dims) != 4 or \
            not all(isinstance(d, int) and d > 0 for d in dims[1:]):
        raise WeightsError(f"{source}: the ONNX input {x.name!r} is {dims} of TensorProto element "
                           f"type {kind.elem_type}; cnnvis needs a float (N, C, H, W) image batch with "
                           "fixed C, H, W: export with an example input of the size to explain")
    return x


def _network_output(graph, source):
    if len(graph.output) != 1:
        raise WeightsError(f"{source}: the ONNX graph has {len(graph.output)} outputs "
                           f"({', '.join(v.name for v in graph.output)}); cnnvis networks have one: "
                           "export a model that returns one tensor")
    return graph.output[0].name


def _needed(nodes, output):
    """The nodes the output depends on, in the file's (topological) order."""
    producer = {t: k for k, node in enumerate(nodes) for t in node.output if t}
    needed, todo = set(), [output]
    while todo:
        k = producer.get(todo.pop())
        if k is not None and k not in needed:
            needed.add(k)
            todo.extend(nodes[k].input)
    return [node for k, node in enumerate(nodes) if k in needed]


def _check_ops(nodes, source):
    for node in nodes:
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
            op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            raise WeightsError(f"{source}: ONNX node {node.name or node.output[0]!r} is a {op}, which "
                               f"cnnvis does not translate. It translates {', '.join(sorted(OPS))}; "
                               "export the model without that op (or replace it) and load it again")


def _initializers(onnx, graph):
    return {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}


def _shapes(onnx, model, source):
    """{tensor name: dims (an int, or None where symbolic)} from onnx's shape inference."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as exc:
        raise WeightsError(f"{source}: the ONNX graph is malformed (onnx's shape inference: "
                           f"{str(exc).strip()}); export the model again") from None
    values = [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]
    return {v.name: tuple(d.dim_value if d.HasField("dim_value") else None
                          for d in v.type.tensor_type.shape.dim)
            for v in values if v.type.tensor_type.HasField("shape")}


def _attributes(onnx, node):
    """{name: value}: floats as the float32 they are stored as (0.9, not 0.8999999761...),
    strings decoded, tensors as NumPy arrays."""
    kinds = onnx.AttributeProto
    values = {}
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if a.type == kinds.FLOAT:
            value = float(str(np.float32(value)))
        elif a.type == kinds.FLOATS:
            value = [float(str(np.float32(v))) for v in value]
        elif a.type == kinds.STRING:
            value = value.decode()
        elif a.type == kinds.TENSOR:
            value = onnx.numpy_helper.to_array(value)
        values[a.name] = value
    return values


# ---- the translation ------------------------------------------------------------------------
class _Graph:
    """The translation's state: constants {tensor: array}, shapes {tensor: dims}, producers
    {tensor: its layer entry, or INPUT}, uses {tensor: how many nodes read it}, the entries."""

    def __init__(self, source, constants, shapes, input_name, uses):
        self.source, self.constants, self.shapes, self.uses = source, constants, shapes, uses
        self.producers, self.entries = {input_name: INPUT}, []

    def refuse(self, node, why):
        return WeightsError(f"{self.source}: ONNX node {node.name or node.output[0]!r} ({node.op_type}): "
                            f"{why}")

    def is_constant(self, tensor):
        return tensor in self.constants

    def constant(self, node, k, what):
        """The constant array at input k of node."""
        if len(node.input) <= k or not node.input[k]:
            raise self.refuse(node, f"has no {what} (input {k})")
        if node.input[k] not in self.constants:
            raise self.refuse(node, f"its {what} {node.input[k]!r} is computed in the graph; cnnvis "
                              "reads it only from an initializer or a Constant node")
        return self.constants[node.input[k]]

    def weight(self, node, k, what):
        """The constant float array at input k, float32 unless stored as float64."""
        value = self.constant(node, k, what)
        if not np.issubdtype(value.dtype, np.floating):
            raise self.refuse(node, f"its {what} is {value.dtype}; quantized models are not supported")
        return np.ascontiguousarray(value if value.dtype == np.float64 else value.astype(np.float32))

    def has(self, node, k):
        return len(node.input) > k and bool(node.input[k])

    def shape(self, node, k=0):
        """The full shape of input k of node (ints); refused when onnx could not infer it."""
        dims = self.shapes.get(node.input[k])
        if dims is None or None in dims[1:]:
            raise self.refuse(node, f"the shape of its input {node.input[k]!r} is unknown ({dims}); "
                              "export with a fixed input size")
        return dims

    def layer(self, node, kind, config, inputs=None, arrays=None):
        """Add the layer entry for node (checked by constructing it) and return it."""
        inputs = list(inputs if inputs is not None else node.input[:1])
        for tensor in inputs:
            if tensor not in self.producers:
                raise self.refuse(node, f"its input {tensor!r} is a constant; cnnvis's {kind} reads "
                                  "tensors computed from the image")
        cls = LAYER_TYPES[kind]
        try:
            cls(**config, **({"init": "zeros"} if "init" in inspect.signature(cls).parameters else {}))
        except (TypeError, ValueError) as exc:
            raise self.refuse(node, f"cnnvis's {kind} cannot express it: {exc}") from None
        entry = {"node": node, "type": kind, "config": config, "inputs": inputs, "arrays": arrays or {}}
        self.entries.append(entry)
        self.producers[node.output[0]] = entry
        return entry

    def described(self, output):
        """(layer descriptions, arrays {name: {array name: array}}) of the entries, named."""
        if not isinstance(self.producers.get(output), dict):
            raise WeightsError(f"{self.source}: the ONNX graph's output {output!r} is not computed "
                               "by any layer (it is the input or a constant)")
        names = dict(zip(map(id, self.entries), layer_names([e["node"] for e in self.entries])))

        def name_of(tensor):
            entry = self.producers[tensor]
            return INPUT if entry is INPUT else names[id(entry)]

        layers = [{"type": e["type"], "name": names[id(e)], "inputs": [name_of(t) for t in e["inputs"]],
                   "config": e["config"]} for e in self.entries]
        return layers, {names[id(e)]: e["arrays"] for e in self.entries if e["arrays"]}


def _op(*names):
    def register(translate):
        OPS.update(dict.fromkeys(names, translate))
        return translate
    return register


def _ints(values):
    return [int(v) for v in values]


def _axis(graph, node, axis):
    """axis of node's first input, made non-negative."""
    return axis + len(graph.shape(node)) if axis < 0 else axis


def _window(graph, node, a, kernel=None):
    """Conv and pool geometry: kernel_size, stride, padding, dilation (ONNX's defaults: 1s)."""
    kernel = _ints(a.get("kernel_shape", kernel if kernel is not None else ()))
    if len(kernel) != 2:
        raise graph.refuse(node, f"only 2-D windows are supported, got kernel_shape {kernel}")
    stride, dilation = _ints(a.get("strides", [1, 1])), _ints(a.get("dilations", [1, 1]))
    padding = _padding(graph, node, a, kernel, stride, dilation)
    return {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation}


def _padding(graph, node, a, kernel, stride, dilation):
    """Our (top, bottom, left, right) or 'same' from auto_pad and pads [top, left, bottom, right]."""
    auto = a.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return [0, 0, 0, 0]
    if auto == "SAME_UPPER":
        return "same"  # TensorFlow's: the extra pad at the end, as ours
    if auto == "SAME_LOWER":  # the extra pad at the start: fixed for the file's input size
        h, w = graph.shape(node)[2:]
        return [*same_pads(h, kernel[0], stride[0], dilation[0])[::-1],
                *same_pads(w, kernel[1], stride[1], dilation[1])[::-1]]
    if auto != "NOTSET":
        raise graph.refuse(node, f"unknown auto_pad {auto!r}")
    top, left, bottom, right = _ints(a.get("pads", [0, 0, 0, 0]))
    return [top, bottom, left, right]


def _bias(graph, node, value, units):
    """A constant added to (N, units) outputs as a (units,) bias; refused if it is not one."""
    row = value.ndim < 2 or (value.ndim == 2 and value.shape[0] == 1)
    if not row or value.shape[-1:] not in ((), (1,), (units,)):
        raise graph.refuse(node, f"its constant of shape {value.shape} is not a bias of {units} units")
    return np.broadcast_to(value.reshape(-1), (units,)).copy()


@_op("Constant")
def _constant(graph, node, a):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in a:
            graph.constants[node.output[0]] = np.asarray(a[key])
            return
    raise graph.refuse(node, f"holds {', '.join(a)}; cnnvis reads numeric tensors only")


@_op("Identity", "Dropout")
def _identity(graph, node, a):
    """y = x (Dropout at inference); of a constant, that constant."""
    if any(graph.uses[t] for t in node.output[1:] if t):
        raise graph.refuse(node, "its dropout mask is used; export the model in eval mode")
    if graph.is_constant(node.input[0]):
        graph.constants[node.output[0]] = graph.constants[node.input[0]]
    else:
        graph.layer(node, "Identity", {})


@_op("Unsqueeze")
def _unsqueeze(graph, node, a):
    """Of a constant only (an exporter's shape arithmetic): new axes of size 1."""
    value = graph.constant(node, 0, "data")
    axes = a["axes"] if "axes" in a else graph.constant(node, 1, "axes").tolist()
    rank = value.ndim + len(axes)
    graph.constants[node.output[0]] = np.expand_dims(value, tuple(int(k) % rank for k in axes))


@_op("Conv")
def _conv(graph, node, a):
    w = graph.weight(node, 1, "weight")
    if w.ndim != 4:
        raise graph.refuse(node, f"only 2-D convolutions are supported, its weight has shape {w.shape}")
    if _ints(a.get("kernel_shape", w.shape[2:])) != list(w.shape[2:]):
        raise graph.refuse(node, f"kernel_shape {a['kernel_shape']} differs from its weight's {w.shape[2:]}")
    groups = int(a.get("group", 1))
    arrays = {"weight": w}
    if graph.has(node, 2):
        arrays["bias"] = graph.weight(node, 2, "bias")
    config = {"in_channels": w.shape[1] * groups, "out_channels": w.shape[0],
              **_window(graph, node, a, w.shape[2:]), "groups": groups, "bias": "bias" in arrays}
    graph.layer(node, "Conv2D", config, arrays=arrays)


def _pool_window(graph, node, a):
    window = _window(graph, node, a)
    if window.pop("dilation") != [1, 1]:
        raise graph.refuse(node, f"dilated pooling (dilations {a['dilations']}) is not supported")
    return window


@_op("MaxPool")
def _maxpool(graph, node, a):
    if int(a.get("ceil_mode", 0)):
        raise graph.refuse(node, "ceil_mode=1 is not supported (cnnvis's MaxPool2D rounds the output "
                           "size down); export with ceil_mode=False")
    if len(node.output) > 1 and node.output[1]:
        raise graph.refuse(node, "its Indices output is not supported")
    graph.layer(node, "MaxPool2D", _pool_window(graph, node, a))


@_op("AveragePool")
def _avgpool(graph, node, a):
    config = {**_pool_window(graph, node, a), "count_include_pad": bool(a.get("count_include_pad", 0)),
              "ceil_mode": bool(a.get("ceil_mode", 0))}
    graph.layer(node, "AvgPool2D", config)


@_op("GlobalAveragePool")
def _global_avgpool(graph, node, a):
    if len(graph.shape(node)) != 4:
        raise graph.refuse(node, f"pools a {len(graph.shape(node))}-D tensor; cnnvis pools (N, C, H, W)")
    graph.layer(node, "GlobalAveragePool2D", {"keepdims": True})


@_op("BatchNormalization")
def _batchnorm(graph, node, a):
    if int(a.get("training_mode", 0)) or any(graph.uses[t] for t in node.output[1:] if t):
        raise graph.refuse(node, "exported in training mode (batch statistics); export the model "
                           "after model.eval()")
    scale, shift, mean, var = (graph.weight(node, k, what) for k, what in
                               enumerate(("scale", "B", "input_mean", "input_var"), start=1))
    config = {"num_features": len(scale), "eps": a.get("epsilon", 1e-5),
              "momentum": round(1 - a.get("momentum", 0.9), 7)}  # ONNX's momentum keeps the old value
    graph.layer(node, "BatchNorm2d", config,
                arrays={"weight": scale, "bias": shift, "running_mean": mean, "running_var": var})


@_op("Relu")
def _relu(graph, node, a):
    graph.layer(node, "ReLU", {})


@_op("Sigmoid")
def _sigmoid(graph, node, a):
    graph.layer(node, "Sigmoid", {})


@_op("Clip")
def _clip(graph, node, a):
    """[0, 6] is ReLU6, [0, inf) ReLU; bounds from attributes (opset < 11) or constant inputs."""
    low, high = (float(graph.constant(node, k, what).reshape(-1)[0]) if graph.has(node, k) else a.get(what)
                 for k, what in ((1, "min"), (2, "max")))
    if low == 0 and high == 6:
        return graph.layer(node, "ReLU6", {})
    if low == 0 and (high is None or high >= np.finfo(np.float32).max):
        return graph.layer(node, "ReLU", {})
    raise graph.refuse(node, f"clips to [{low}, {high}]; cnnvis has Clip [0, 6] (ReLU6) and "
                       "[0, inf) (ReLU) only")


@_op("Add")
def _add(graph, node, a):
    """Two tensors of one shape (a residual); or a MatMul's output plus a constant: its bias."""
    constant = [k for k in (0, 1) if graph.is_constant(node.input[k])]
    if not constant:
        first, second = graph.shape(node, 0), graph.shape(node, 1)
        if first != second:
            raise graph.refuse(node, f"adds shapes {first} and {second}; cnnvis adds tensors of one "
                               "shape (residual connections), without broadcasting")
        return graph.layer(node, "Add", {}, inputs=node.input)
    if len(constant) == 1:
        other = node.input[1 - constant[0]]
        dense = graph.producers.get(other)
        if isinstance(dense, dict) and dense["node"].op_type == "MatMul" and graph.uses[other] == 1:
            units = dense["config"]["out_features"]
            dense["arrays"]["bias"] = _bias(graph, node, graph.weight(node, constant[0], "bias"), units)
            dense["config"]["bias"] = True
            graph.producers[node.output[0]] = dense
            return None
    raise graph.refuse(node, "adds a constant; cnnvis takes a constant Add only as the bias right "
                       "after a MatMul (MatMul + Add is a Dense layer)")


@_op("Mul")
def _mul(graph, node, a):
    """Two tensors, one broadcast along size-1 axes (gating: x * sigmoid(...))."""
    if any(graph.is_constant(t) for t in node.input):
        raise graph.refuse(node, "multiplies by a constant; cnnvis multiplies two computed tensors "
                           "(gating) only")
    first, second = graph.shape(node, 0), graph.shape(node, 1)
    if len(first) != len(second) or any(p != q and 1 not in (p, q) for p, q in zip(first[1:], second[1:])):
        raise graph.refuse(node, f"multiplies shapes {first} and {second}; cnnvis broadcasts only "
                           "along size-1 axes of equal rank")
    graph.layer(node, "Multiply", {}, inputs=node.input)


@_op("Concat")
def _concat(graph, node, a):
    """Channels of computed tensors; of constants only (shape arithmetic), folded."""
    if all(graph.is_constant(t) for t in node.input):
        values = [graph.constants[t] for t in node.input]
        graph.constants[node.output[0]] = np.concatenate(values, axis=int(a.get("axis", 0)))
        return
    if _axis(graph, node, int(a["axis"])) != 1:
        raise graph.refuse(node, f"concatenates along axis {a['axis']}; cnnvis concatenates channels "
                           "(axis 1)")
    graph.layer(node, "Concat", {}, inputs=node.input)


@_op("Flatten")
def _flatten(graph, node, a):
    if _axis(graph, node, int(a.get("axis", 1))) != 1:
        raise graph.refuse(node, f"flattens from axis {a.get('axis')}; cnnvis flattens from axis 1")
    graph.layer(node, "Flatten", {})


@_op("Reshape")
def _reshape(graph, node, a):
    """Only the reshape of a flatten: (N, ...) -> (N, -1), the shape [0 | N | -1, -1 | size]."""
    dims = graph.shape(node)
    shape = _ints(graph.constant(node, 1, "shape").reshape(-1))
    size = int(np.prod(dims[1:]))
    flattens = len(shape) == 2 and shape[1] in (-1, size) and \
        (shape[0] in (0, dims[0]) or (shape[0] == -1 and shape[1] == size))
    if not flattens:
        raise graph.refuse(node, f"reshapes {dims} to {shape}; cnnvis reads a Reshape only as a flatten "
                           "to (N, -1)")
    graph.layer(node, "Flatten", {})


def _dense_input(graph, node):
    if len(graph.shape(node)) != 2:
        raise graph.refuse(node, f"multiplies a {len(graph.shape(node))}-D tensor; cnnvis's Dense "
                           "takes (N, features): flatten first")


@_op("Gemm")
def _gemm(graph, node, a):
    """y = A B^T + C (transB=1) or A B + C (transB=0), alpha = beta = 1, transA = 0."""
    if int(a.get("transA", 0)) or a.get("alpha", 1.0) != 1 or a.get("beta", 1.0) != 1:
        raise graph.refuse(node, f"has transA={a.get('transA', 0)}, alpha={a.get('alpha', 1.0)}, "
                           f"beta={a.get('beta', 1.0)}; cnnvis reads Gemm with transA=0, alpha=beta=1")
    _dense_input(graph, node)
    w = graph.weight(node, 1, "B")
    w = np.ascontiguousarray(w if int(a.get("transB", 0)) else w.T)
    arrays = {"weight": w}
    if graph.has(node, 2):
        arrays["bias"] = _bias(graph, node, graph.weight(node, 2, "C"), w.shape[0])
    config = {"in_features": w.shape[1], "out_features": w.shape[0], "bias": "bias" in arrays}
    graph.layer(node, "Dense", config, arrays=arrays)


@_op("MatMul")
def _matmul(graph, node, a):
    """x (N, in) times a constant (in, out): a Dense layer without bias (a following Add gives it one)."""
    _dense_input(graph, node)
    w = graph.weight(node, 1, "B")
    if w.ndim != 2:
        raise graph.refuse(node, f"multiplies by a {w.ndim}-D constant; cnnvis's Dense takes (in, out)")
    config = {"in_features": w.shape[0], "out_features": w.shape[1], "bias": False}
    graph.layer(node, "Dense", config, arrays={"weight": np.ascontiguousarray(w.T)})


@_op("Softmax")
def _softmax(graph, node, a):
    if len(graph.shape(node)) != 2 or _axis(graph, node, int(a.get("axis", -1))) != 1:
        raise graph.refuse(node, f"takes the softmax of a {len(graph.shape(node))}-D tensor along "
                           f"axis {a.get('axis', -1)}; cnnvis's is over classes, (N, K) along axis 1")
    graph.layer(node, "Softmax", {})


# ---- names ------------------------------------------------------------------------------------
def module_path(node):
    """(the PyTorch module path, the op part or None) of an exporter's node name:
    '/layer4/layer4.1/conv1/Conv' -> ('layer4.1.conv1', 'Conv'), '/Mul_1' -> ('', 'Mul_1')."""
    parts = [p for p in (node.name or node.output[0]).split("/") if p]
    op = parts.pop() if parts and re.fullmatch(rf"{re.escape(node.op_type)}(_\d+)?", parts[-1]) else None
    path = []
    for part in parts:
        if path and part.startswith(path[-1] + "."):
            path[-1] = part
        else:
            path.append(part)
    return ".".join(path), op


def layer_names(nodes):
    """Our unique names for the ONNX nodes that became layers (the rule in the module docstring)."""
    split = [module_path(node) for node in nodes]
    counts = Counter(path for path, _ in split)
    names, taken = [], {INPUT}
    for node, (path, op) in zip(nodes, split):
        alone = counts[path] == 1 and not any(p.startswith(path + ".") for p in counts)
        name = path if path and (alone or op is None) else ".".join(p for p in (path, op) if p)
        name = name or node.op_type
        unique, k = name, 1
        while unique in taken:
            k += 1
            unique = f"{name}_{k}"
        taken.add(unique)
        names.append(unique)
    return names

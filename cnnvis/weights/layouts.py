"""Layout conversions from Keras to ours, done once, at load time.

Ours (as PyTorch): conv kernel OIHW, dense kernel (out, in), Flatten in NCHW order.
Keras (channels_last): conv kernel HWIO, dense kernel (in, out), Flatten in NHWC order.
"""
import numpy as np

from ..errors import WeightsError
from ..graph import INPUT
from ..layers import Flatten

KERAS = {"OIHW": "kernel (KH, KW, in, out)", "(out, in)": "kernel (in, out)"}  # by our layout


def keras_shape(layout, shape):
    """The Keras shape of one of our weights: OIHW -> HWIO, (out, in) -> (in, out)."""
    if layout == "OIHW":
        o, i, kh, kw = shape
        return (kh, kw, i, o)
    return tuple(reversed(shape))


def conv_kernel_from_hwio(k):
    """(KH, KW, I, O) -> (O, I, KH, KW):  ours[o, i, y, x] = keras[y, x, i, o]."""
    return np.ascontiguousarray(np.asarray(k).transpose(3, 2, 0, 1))


def dense_kernel_from_keras(k, flatten_shape=None):
    """(in, out) -> (out, in), rows reordered from NHWC to NCHW flatten order if needed.

    flatten_shape: (C, H, W) of the tensor a Flatten turned into this layer's input, or
    None when the input is already a vector. Keras flattens (H, W, C), we flatten (C, H, W):
        ours[o, c*H*W + h*W + w] = keras[(h*W + w)*C + c, o]
    """
    k = np.asarray(k)
    if flatten_shape is None:
        return np.ascontiguousarray(k.T)
    c, h, w = flatten_shape
    return np.ascontiguousarray(k.reshape(h, w, c, -1).transpose(3, 2, 0, 1).reshape(k.shape[1], -1))


def flatten_shape(net, name):
    """(C, H, W) flattened just before layer ``name``, or None if its input is not a Flatten of 3-D."""
    (source,) = net.inputs_of(name)
    if source == INPUT or not isinstance(net[source], Flatten):
        return None
    (before,) = net.inputs_of(source)
    shape = net.input_shape if before == INPUT else net.output_shapes()[before]
    return tuple(shape) if len(shape) == 3 else None


def from_keras(net, name, kernel, bias, source):
    """{'weight', 'bias'} of our layer ``name`` from a Keras (kernel, bias) pair, shapes checked."""
    layer = net[name]
    layout = layer.layouts.get("weight")
    if layout not in KERAS or "bias" not in layer.params:
        raise WeightsError(f"{source}: weights are mapped to layer {name!r}, a "
                           f"{type(layer).__name__} without a kernel and a bias; map them to a Conv2D or Dense layer")
    pairs = (("kernel", kernel, layer.params["weight"], layout), ("bias", bias, layer.params["bias"], "O"))
    for what, value, ours, kind in pairs:
        want = keras_shape(kind, ours.shape)
        if tuple(value.shape) != want:
            raise WeightsError(f"{source}: layer {name!r} {what} has shape {tuple(value.shape)} in the "
                               f"file, the network needs {want} (Keras layout: {KERAS[layout]}); "
                               "is the file for another architecture or number of classes?")
    if layout == "OIHW":
        weight = conv_kernel_from_hwio(kernel)
    else:
        weight = dense_kernel_from_keras(kernel, flatten_shape(net, name))
    return {"weight": weight, "bias": np.asarray(bias)}

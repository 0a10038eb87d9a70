"""Layout conversions from Keras to ours, done once, at load time.

Ours (as PyTorch): conv kernel OIHW, dense kernel (out, in), Flatten in NCHW order.
Keras (channels_last): conv kernel HWIO, dense kernel (in, out), Flatten in NHWC order.
"""
import numpy as np

from ..errors import WeightsError

LAYOUT = {"Conv2D": "kernel (KH, KW, in, out)", "Dense": "kernel (in, out)"}


def keras_shape(kind, shape):
    """The Keras shape of one of our parameters: OIHW -> HWIO, (out, in) -> (in, out)."""
    if kind == "Conv2D" and len(shape) == 4:
        o, i, kh, kw = shape
        return (kh, kw, i, o)
    if kind == "Dense" and len(shape) == 2:
        return tuple(reversed(shape))
    return tuple(shape)


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
    i = net.index(name)
    if i < 1 or type(net.layers[i - 1]).__name__ != "Flatten":
        return None
    shape = net.output_shapes()[net.layers[i - 2].name] if i >= 2 else net.input_shape
    return tuple(shape) if len(shape) == 3 else None


def from_keras(net, name, kernel, bias, source):
    """{'weight', 'bias'} of our layer ``name`` from a Keras (kernel, bias) pair, shapes checked."""
    layer = net[name]
    kind = type(layer).__name__
    if kind not in LAYOUT:
        raise WeightsError(f"{source}: weights are mapped to layer {name!r}, a {kind} without weights; "
                           "map them to a Conv2D or Dense layer")
    pairs = (("kernel", kernel, layer.params["weight"]), ("bias", bias, layer.params["bias"]))
    for what, value, ours in pairs:
        want = keras_shape(kind, ours.shape)
        if tuple(value.shape) != want:
            raise WeightsError(f"{source}: layer {name!r} {what} has shape {tuple(value.shape)} in the "
                               f"file, the network needs {want} (Keras layout: {LAYOUT[kind]}); "
                               "is the file for another architecture or number of classes?")
    if kind == "Conv2D":
        weight = conv_kernel_from_hwio(kernel)
    else:
        weight = dense_kernel_from_keras(kernel, flatten_shape(net, name))
    return {"weight": weight, "bias": np.asarray(bias)}

"""Filters: a conv layer's kernels as pictures, each scaled on its own.

Krizhevsky et al. (2012, fig. 3) and Zeiler & Fergus (2014, fig. 2) show the first layer's
kernels W[o] (C=3, KH, KW) as colour patches. A deeper kernel has C input channels and no
colours, so it is shown per input channel or reduced to one map (modes):
    'rgb'       W[o] as (KH, KW, 3) in RGB order (BGR weights, as Keras VGG16's, are flipped)
    'gray'      W[o, 0] for one input channel
    'norm'      r[o, i, j] = sqrt(sum_c W[o, c, i, j]^2), the L2 norm over input channels
    'strongest' W[o, c*] with c* = argmax_c ||W[o, c]||_2, the input channel of largest norm
    'channels'  every W[o, c], (O, C, KH, KW)
Scaling per filter: 'minmax' maps each filter's min..max to 0..1; 'symmetric' maps
-max|W[o]|..+max|W[o]| to 0..1, so that a zero weight is mid-gray.
"""
from typing import NamedTuple

import numpy as np

from ..engine import to_host
from ..errors import InputError
from ..layers import Conv2D

MODES = ("auto", "rgb", "gray", "norm", "strongest", "channels")
SCALINGS = ("minmax", "symmetric")


class FilterImages(NamedTuple):
    """images: (O, KH, KW, 3) for 'rgb', (O, C, KH, KW) for 'channels', else (O, KH, KW), in
    [0, 1]; mode: the mode used; layer, shape: the layer's name and weight shape (O, C, KH, KW);
    input_channel: c* per filter for 'strongest', else None."""
    images: np.ndarray
    mode: str
    layer: str
    shape: tuple
    input_channel: np.ndarray = None


def conv_layer(net, layer=None):
    """Name of ``layer`` (checked to be a Conv2D) or of the network's first Conv2D."""
    convs = [node.name for node in net.nodes if isinstance(node, Conv2D)]
    if layer is None:
        if not convs:
            raise InputError(f"{net.name} has no Conv2D layer whose filters could be shown; give a "
                             "network with convolutions")
        return convs[0]
    net.index(layer)
    if layer not in convs:
        raise InputError(f"layer {layer!r} is a {type(net[layer]).__name__}, not a Conv2D; "
                         f"its conv layers are: {', '.join(convs)}")
    return layer


def scale_per_filter(w, scaling="minmax"):
    """Scale each w[o] (any trailing shape) to [0, 1] on its own (see the module docstring)."""
    if scaling not in SCALINGS:
        raise InputError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    axes = tuple(range(1, w.ndim))
    if scaling == "symmetric":  # an all-zero filter is all mid-gray
        top = np.abs(w).max(axis=axes, keepdims=True)
        return 0.5 + 0.5 * w / np.where(top > 0, top, 1.0)
    span = np.ptp(w, axis=axes, keepdims=True)  # a constant filter is all 0
    return (w - w.min(axis=axes, keepdims=True)) / np.where(span > 0, span, 1.0)


def filter_images(net, layer=None, mode="auto", scaling="minmax"):
    """The kernels of conv ``layer`` (default the first conv) as images in [0, 1].

    mode 'auto': 'rgb' for 3 input channels, 'gray' for 1, 'norm' otherwise.
    Returns FilterImages; the weights themselves are net[layer].params['weight'] (O, C, KH, KW).
    """
    layer = conv_layer(net, layer)
    w = to_host(net[layer].params["weight"]).astype(np.float64)
    o, c, kh, kw = w.shape
    if mode == "auto":
        mode = {3: "rgb", 1: "gray"}.get(c, "norm")
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "rgb" and c != 3:
        raise InputError(f"mode 'rgb' needs 3 input channels; {layer!r} has {c}: use 'norm', "
                         "'strongest' or 'channels'")
    if mode == "gray" and c != 1:
        raise InputError(f"mode 'gray' needs 1 input channel; {layer!r} has {c}: use 'rgb' "
                         "(3 input channels), 'norm', 'strongest' or 'channels'")
    strongest = None
    if mode == "rgb":
        if net.preprocessing.channel_order == "BGR" and net.index(layer) == 0:
            w = w[:, ::-1]
        images = w.transpose(0, 2, 3, 1)
    elif mode == "gray":
        images = w[:, 0]
    elif mode == "norm":
        images = np.sqrt((w ** 2).sum(axis=1))
    elif mode == "strongest":
        strongest = np.sqrt((w ** 2).sum(axis=(2, 3))).argmax(axis=1)
        images = w[np.arange(o), strongest]
    else:
        images = w
    return FilterImages(scale_per_filter(images, scaling), mode, layer, (o, c, kh, kw), strongest)

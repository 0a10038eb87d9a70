"""Feature maps: the activations A[n, k] (h, w) of each channel k of a layer for an image.

Zeiler & Fergus (2014) and Yosinski et al.'s DeepVis toolbox (2015) show a layer as the grid
of its channels; channels may be ordered by their mean activation mean_{i,j} A[n, k, i, j]
(strongest first) and cut to the top k. The activation-as-mask picture (render/feature_maps.py)
multiplies the image by one channel's map, upsampled to the image.
"""
from typing import NamedTuple

import numpy as np

from ..engine import to_host
from ..errors import InputError


class FeatureMaps(NamedTuple):
    """maps (N, K, h, w): the shown channels of each image; channels (N, K): their indices;
    means (N, K): their mean activation; layer: the layer's name; sorted: whether each image's
    channels are ordered by mean activation."""
    maps: np.ndarray
    channels: np.ndarray
    means: np.ndarray
    layer: str
    sorted: bool


def feature_maps(net, inputs, layer, sort=False, top_k=None):
    """The channels of ``layer`` for network input ``inputs`` (N, C, H, W).

    sort: order each image's channels by mean activation, largest first (ties: lower index
    first); top_k: keep only the first top_k channels (after sorting, if sorted).
    Returns FeatureMaps on the host.
    """
    a = to_host(net.forward(inputs, until=layer))
    if a.ndim != 4:
        raise InputError(f"layer {layer!r} has output shape {tuple(a.shape[1:])}, not (C, h, w) "
                         "maps; choose a conv, ReLU or pool layer")
    n, c = a.shape[:2]
    k = c if top_k is None else int(top_k)
    if not 1 <= k <= c:
        raise InputError(f"top_k must be between 1 and the {c} channels of {layer!r}, got {top_k}")
    means = a.mean(axis=(2, 3))
    if sort:
        channels = np.argsort(-means, axis=1, kind="stable")[:, :k]
    else:
        channels = np.broadcast_to(np.arange(k), (n, k)).copy()
    maps = np.take_along_axis(a, channels[:, :, None, None], axis=1)
    return FeatureMaps(maps, channels, np.take_along_axis(means, channels, axis=1), layer,
                       bool(sort))

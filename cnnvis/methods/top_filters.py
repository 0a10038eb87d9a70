"""A layer's most active filters: activation maximization of many channels, best kept.

As Chollet's Keras example "How convolutional neural networks see the world" (2016): maximize
the mean activation of each candidate channel of a layer from the same seeded noise
(methods/activation_max.py), rank the channels by the objective reached, keep the best n
(64 for the classic 8x8 grid). Channels that stay silent (a ReLU with no gradient) rank last.
"""
from typing import NamedTuple

import numpy as np

from ..engine import holds_weights
from ..errors import InputError
from ..progress import bar
from .activation_max import activation_maximization
from .targets import Unit


class TopFilters(NamedTuple):
    """images (n, H, W, C) in [0, 255]; channels (n,); objective (n,): the final J of each,
    best first; layer: the layer's name."""
    images: np.ndarray
    channels: np.ndarray
    objective: np.ndarray
    layer: str


@holds_weights
def top_filters(net, layer, n=64, candidates=None, batch_size=16, progress=None, **kwargs):
    """Maximize each of ``candidates`` (channel indices; default all channels of ``layer``)
    with activation_maximization(**kwargs), batch_size channels at a time; return the n with
    the highest final objective (ties: the lower channel first) as TopFilters."""
    net.index(layer)
    channels = np.arange(net.output_shapes()[layer][0]) if candidates is None else \
        np.asarray(candidates, int)
    if len(channels) == 0 or not 1 <= n:
        raise InputError(f"need at least one candidate channel and n >= 1, got {len(channels)} and {n}")
    images, finals = [], []
    for k in bar(range(0, len(channels), batch_size), desc=f"filters of {layer}", progress=progress):
        chunk = channels[k:k + batch_size]
        result = activation_maximization(net, None, [Unit(layer, int(c)) for c in chunk],
                                         progress=False, **kwargs)
        images.append(result.images)
        finals.append(result.objective[-1])
    images, finals = np.concatenate(images), np.concatenate(finals)
    order = np.lexsort((channels, -finals))[:n]
    return TopFilters(images[order], channels[order], finals[order], layer)

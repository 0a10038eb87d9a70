"""Predictions: the k most probable classes of each image, with their probabilities.

p[n] = softmax(z[n]), p_k = exp(z_k - max z) / sum_j exp(z_j - max z), from the logits z
(the output of the layer before a final Softmax, or of the last layer), in float64; the top
k by probability, ties to the lower index. Matches torch.softmax + topk on the same weights
(tests/test_units_predictions.py).
"""
from typing import NamedTuple

import numpy as np

from ..engine import holds_weights, to_host
from ..errors import InputError
from .targets import logits_layer


class Predictions(NamedTuple):
    """classes (N, k) int, probabilities (N, k), names (N, k) str (class names, or the index
    as text when the network has none), most probable first."""
    classes: np.ndarray
    probabilities: np.ndarray
    names: np.ndarray


def softmax(z):
    """Row-wise softmax of logits z (N, K), stable (max subtracted), float64."""
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@holds_weights
def top_k(net, inputs, k=5, batch_size=32):
    """The k most probable classes of each image of network input ``inputs`` (N, C, H, W)."""
    if int(k) < 1:
        raise InputError(f"k must be at least 1, got {k}")
    logits = logits_layer(net)
    chunks = [to_host(net.forward(inputs[s:s + batch_size], until=logits))
              for s in range(0, len(inputs), batch_size)]
    z = np.concatenate(chunks)
    if int(k) > z.shape[1]:
        raise InputError(f"{net.name} has only {z.shape[1]} classes, so there is no top {k}: ask for at most "
                         f"{z.shape[1]}")
    p = softmax(z)
    classes = np.argsort(-p, axis=1, kind="stable")[:, :int(k)]
    names = np.array([[net.class_name(c) for c in row] for row in classes])
    return Predictions(classes, np.take_along_axis(p, classes, axis=1), names)

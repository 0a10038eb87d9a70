"""Deconvnet: project a class, a feature map or one unit back to pixel space.

Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014.
"To examine a given convnet activation, we set all other activations in the layer to
zero and pass the feature maps as input to the attached deconvnet layer": unpool through
the max-pool switches, rectify the signal coming back (dx = g * (g > 0) at each ReLU),
filter with the transposed weights. At ReLU6 the rule applies as at ReLU (Captum's hooks
act on nn.ReLU only, so on ReLU6 networks its Deconvolution is the plain gradient there:
tests/test_rules_modern_torch.py). Numbers match Captum's Deconvolution (class targets)
and NeuronDeconvolution (units; with a callable neuron_selector for the activation seed).
"""
from typing import NamedTuple

import numpy as np

from ..engine import array_module, to_host
from ..errors import InputError
from ..receptive import unit_box
from .targets import SEEDS, Unit, activation_seed, gradient, resolve, scores_and_seed


def deconvnet(net, x, target, score="logit", seed=None):
    """R = the deconvnet projection of each image's target: (N, C, H, W) on the host.

    x: network input (N, C, H, W); target: a class (index, name, 'predicted') or a Unit
    (layer, channel[, i, j]); score: 'logit' or 'prob' for classes.
    seed: 'activation' (default for Units: the chosen activations themselves, the rest of
    the layer zeroed, as Zeiler & Fergus) or 'one-hot' (default for classes: d score/d layer).
    """
    targets = resolve(net, x, target)
    if seed is None:
        seed = "activation" if all(isinstance(t, Unit) for t in targets) else "one-hot"
    g, _, _ = gradient(net, x, targets, score=score, rule="deconvnet", seed=seed)
    return to_host(g)


class TopChannels(NamedTuple):
    """Projections (N, k, C, H, W) of the k strongest channels of a layer for each image;
    channels (N, k) their indices, strengths (N, k) their maximum activations and
    positions (N, k, 2) the (i, j) of that maximum, strongest first."""
    projections: np.ndarray
    channels: np.ndarray
    strengths: np.ndarray
    positions: np.ndarray


def deconvnet_top_k(net, x, layer, k=9, reduce="max", seed="activation", rule="deconvnet"):
    """Project the k channels of ``layer`` with the strongest activation, each on its own.

    Channels are ranked by their maximum activation. reduce='max' projects only that
    strongest unit (Zeiler & Fergus's figures), 'mean' the whole feature map. One forward
    pass, then k backward passes; rule may also be 'guided' or 'gradient'.
    """
    if seed not in SEEDS:
        raise InputError(f"seed must be one of {SEEDS}, got {seed!r}")
    a = net.forward(x, until=layer)
    if a.ndim != 4:
        raise InputError(f"layer {layer!r} has output shape {tuple(a.shape[1:])}; top-k channel "
                         "projection needs a conv, ReLU or pool layer (N, C, H, W)")
    n, c, h, w = a.shape
    if not 1 <= k <= c:
        raise InputError(f"k must be between 1 and the {c} channels of {layer!r}, got {k}")
    flat = to_host(a.reshape(n, c, h * w))
    strengths = flat.max(axis=2)
    channels = np.argsort(-strengths, axis=1, kind="stable")[:, :k]
    where = np.take_along_axis(flat.argmax(axis=2), channels, axis=1)
    projections = []
    for r in range(k):
        targets = [Unit(layer, int(ch), reduce=reduce) for ch in channels[:, r]]
        _, g = scores_and_seed(net, targets, layer)
        if seed == "activation":
            g = activation_seed(net.activations[layer], g)
        projections.append(net.backward(g, start=layer, rule=rule))
    xp = array_module(projections[0])
    return TopChannels(to_host(xp.stack(projections, axis=1)), channels,
                       np.take_along_axis(strengths, channels, axis=1),
                       np.stack([where // w, where % w], axis=-1))


def receptive_crop(net, image, layer, i, j):
    """The part of ``image`` (..., H, W) that unit (i, j) of ``layer`` sees (receptive.unit_box),
    e.g. to show a unit's projection next to the image patch, as Zeiler & Fergus do."""
    r0, r1, c0, c1 = unit_box(net, layer, int(i), int(j), image_shape=image.shape[-2:])
    return image[..., r0:r1, c0:c1]

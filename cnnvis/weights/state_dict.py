"""A PyTorch state dict ({key: array}) put into a Network: by name, or VGG's by order.

By name (ResNet, MobileNetV2, EfficientNet-Lite0 in cnnvis.models): key 'NODE.ARRAY' is
array ARRAY ('weight', 'bias', 'running_mean', 'running_var') of node NODE; BatchNorm's
'num_batches_tracked' counter is ignored. Every key must find its node, every array of the
network its key, with the same shape.

By order (torchvision's VGG16 and VGG16-BN, whose nodes have Keras's names):
    features.{i}.weight, .bias               the convs (and batch norms) in order of i (VGG16:
                                             i = 0, 2, 5, 7, ...), OIHW
    classifier.{0,3,6}.weight, .bias         fc1, fc2, predictions, (out, in)
Both layouts are already ours, so no conversion: torchvision's classifier.0 reads
torch.flatten of (512, 7, 7) in NCHW order, as our Flatten. torchvision puts an
AdaptiveAvgPool2d((7, 7)) before the classifier, the identity for 224x224 inputs.
"""
import re

import numpy as np

from ..errors import WeightsError
from ..layers import BatchNorm2d, Conv2D, Dense
from .checks import require_complete, set_params

ORDERED = re.compile(r"(features|classifier)\.(\d+)\.([a-z_]+)$")
IGNORED = ("num_batches_tracked",)


def assign_state_dict(net, state, source):
    """Put ``state`` into ``net`` (by name when its keys name net's nodes, else VGG's order)."""
    state = {k: v for k, v in state.items() if k.rsplit(".", 1)[-1] not in IGNORED}
    by_node = {}
    for key, value in state.items():
        node, _, array = key.rpartition(".")
        by_node.setdefault(node, {})[array] = value
    if all(node in net for node in by_node):
        return _assign(net, {node: (node, values) for node, values in by_node.items()}, source)
    if all(ORDERED.match(k) for k in state):
        return _assign(net, _by_order(net, by_node, source), source)
    unknown = [n for n in by_node if n not in net]
    raise WeightsError(f"{source}: {', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''} name no "
                       f"layer of {net.name}; give the architecture the file was saved from")


def _assign(net, pairs, source):
    """pairs: {our node: (the file's name for it, its arrays)}."""
    require_complete(net, pairs, source, f" (the file has {len(pairs)} layers with weights)")
    for name, (theirs, values) in pairs.items():
        where = source if theirs == name else f"{source} ({theirs})"
        set_params(net, name, {k: np.asarray(v, np.float32) for k, v in values.items()}, where)
    return net.to(net.backend)


def _by_order(net, by_node, source):
    """{our node: (torchvision's name, its arrays)} pairing features.i / classifier.i with our
    convs and batch norms / dense layers in order."""
    kinds = {"features": (Conv2D, BatchNorm2d), "classifier": (Dense,)}
    found = {}
    for part, types in kinds.items():
        theirs = sorted((n for n in by_node if n.startswith(part + ".")), key=lambda n: int(n.split(".")[1]))
        ours = [node.name for node in net.nodes if isinstance(node, types)]
        if len(theirs) > len(ours):
            raise WeightsError(f"{source} has {len(theirs)} {part} layers with weights, {net.name} only "
                               f"{len(ours)}; give the architecture the file was saved from")
        found.update(zip(ours, ((n, by_node[n]) for n in theirs)))
    return found

"""Folding inference batch norms into the convolution before them: the same numbers, fewer nodes.

At inference a BatchNorm2d is the affine map y = x * s[c] + t[c] of its running statistics
(layers/batchnorm.py), s = gamma / sqrt(var + eps), t = beta - mean * s. When its input is a
Conv2D, z[o] = (W[o] * x) + b[o], the two are one convolution:

    y[o] = (W[o] * s[o]) * x + (b[o] - mean[o]) * s[o] + beta[o]
    W' = W * s[o] (each output channel's kernel scaled; groups and dilation unchanged)
    b' = (b - mean) * s + beta        (b = 0 for a bias-free conv)

Names. The folded conv takes the batch norm's place and name, and reads the conv's inputs,
so every name left in the folded network holds the same values as in the original (node
'layer1.0.bn1' is still the normalised map, read by the same nodes). The conv's own name is
gone: its output before normalisation is no longer computed (asking for it is a
LayerNotFoundError, which lists the names there are).

Which batch norms fold: those whose only input is a Conv2D that nothing else reads. Any
other batch norm (after an Add, a ReLU, the input, or after a conv whose output is also read
elsewhere) stays in the network as it was; fold_batchnorm(net, strict=True) refuses such a
network instead, naming them.
"""
import copy

import numpy as np

from .engine import to_host
from .errors import InputError
from .graph import INPUT, Network
from .layers import BatchNorm2d, Conv2D


def foldable(net):
    """{batch norm name: conv name} for every BatchNorm2d of ``net`` that folds (module docstring)."""
    pairs = {}
    for node in net.nodes:
        if not isinstance(node, BatchNorm2d) or len(node.inputs) != 1 or node.inputs[0] == INPUT:
            continue
        conv = node.inputs[0]
        if isinstance(net[conv], Conv2D) and net.consumers(conv) == [node.name]:
            pairs[node.name] = conv
    return pairs


def folded_conv(conv, bn, dtype):
    """The Conv2D computing bn(conv(x)) at inference, named and placed as ``bn``."""
    w = to_host(conv.params["weight"]).astype(np.float64)
    b = to_host(conv.params["bias"]).astype(np.float64) if "bias" in conv.params else 0.0
    gamma, beta = (to_host(bn.params[k]).astype(np.float64) for k in ("weight", "bias"))
    mean, var = (to_host(bn.buffers[k]).astype(np.float64) for k in ("running_mean", "running_var"))
    s = gamma / np.sqrt(var + bn.eps)
    layer = Conv2D(**{**conv.config(), "bias": True}, name=bn.name, inputs=conv.inputs, init="zeros",
                   dtype=dtype)
    layer.params = {"weight": (w * s[:, None, None, None]).astype(dtype),
                    "bias": ((b - mean) * s + beta).astype(dtype)}
    return layer


def fold_batchnorm(net, strict=False):
    """A new Network computing what ``net`` computes at inference, with each foldable batch norm
    merged into the conv before it (see the module docstring); ``net`` is left unchanged.

    strict: raise an InputError when a batch norm cannot be folded, instead of keeping it.
    The result is in inference mode, on net's backend, in net's dtype.
    """
    pairs = foldable(net)
    kept = [node.name for node in net.nodes if isinstance(node, BatchNorm2d) and node.name not in pairs]
    if strict and kept:
        raise InputError(f"{net.name}: cannot fold the batch norms {', '.join(kept)} (each must read a "
                         "Conv2D that nothing else reads); fold without strict=True to keep them")
    convs = set(pairs.values())
    layers = []
    for node in net.nodes:
        if node.name in convs:
            continue
        if node.name in pairs:
            layers.append(folded_conv(net[pairs[node.name]], node, net.dtype))
        else:
            layers.append(copy.deepcopy(node).to("cpu"))
    folded = Network(layers, net.input_shape, copy.deepcopy(net.preprocessing), net.class_names,
                     net.name, backend="cpu")
    return folded.astype(net.dtype).to(net.backend)

"""A PyTorch copy of a cnnvis Network: same layers, same weights, same names.

Used by the reference tests and `cnnvis verify` to compare every layer and method
with PyTorch autograd and Captum. The mirror is an nn.Sequential whose children are
named like our layers (``mirror.block1_conv1``); asymmetric conv padding becomes an
explicit nn.ZeroPad2d in front of the conv. Needs torch.
"""
import numpy as np

from ..engine import to_host
from ..errors import BackendError, InputError


def _torch():
    try:
        import torch
    except ImportError:
        raise BackendError("this needs PyTorch: pip install torch==2.13.0") from None
    return torch


def torch_layer(layer):
    """The torch module computing the same function as our ``layer``."""
    torch = _torch()
    nn = torch.nn
    kind = type(layer).__name__
    if kind == "Conv2D":
        pt, pb, pl, pr = layer.padding
        conv = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                         padding=(pt, pl) if (pt, pl) == (pb, pr) else 0)
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(to_host(layer.params["weight"])))
            conv.bias.copy_(torch.from_numpy(to_host(layer.params["bias"])))
        if (pt, pl) == (pb, pr):
            return conv
        return nn.Sequential(nn.ZeroPad2d((pl, pr, pt, pb)), conv)
    if kind == "Dense":
        lin = nn.Linear(layer.in_features, layer.out_features)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(to_host(layer.params["weight"])))
            lin.bias.copy_(torch.from_numpy(to_host(layer.params["bias"])))
        return lin
    if kind == "ReLU":
        return nn.ReLU()
    if kind == "MaxPool2D":
        pt, pb, pl, pr = layer.padding
        if (pt, pl) != (pb, pr):
            raise InputError(f"layer {layer.name!r}: PyTorch's max-pool has no asymmetric padding "
                             f"{layer.padding}, so it cannot be mirrored; give it symmetric pads")
        return nn.MaxPool2d(layer.kernel_size, layer.stride, padding=(pt, pl))
    if kind == "Flatten":
        return nn.Flatten()
    if kind == "Dropout":
        return nn.Dropout(layer.p)
    if kind == "Softmax":
        return nn.Softmax(dim=1)
    raise InputError(f"layer {layer.name!r}: no PyTorch mirror for layer type {kind}; mirrored are "
                     "Conv2D, Dense, ReLU, MaxPool2D, Flatten, Dropout and Softmax")


def torch_mirror(net, dtype=None):
    """nn.Sequential mirroring ``net`` in eval mode (float32, or net's dtype if float64)."""
    torch = _torch()
    from collections import OrderedDict
    model = torch.nn.Sequential(OrderedDict((layer.name, torch_layer(layer)) for layer in net.layers))
    dtype = dtype or (torch.float64 if net.dtype == np.float64 else torch.float32)
    return model.to(dtype).eval()

"""A PyTorch copy of a cnnvis Network: the same graph, the same weights, the same names.

Used by the reference tests and `cnnvis verify` to compare every layer and method with
PyTorch autograd and Captum. Each node becomes its layer's torch_module (one module per
node, so that Captum's hooks on nn.ReLU see each rectifier), and the mirror's forward walks
the nodes in our topological order. ``mirror.head(name)`` is the model up to node ``name``
(Captum's ``forward_func``); ``mirror.module(name)`` the module of one node (a layer for
LayerGradCam). Needs torch.
"""
import numpy as np

from ..errors import BackendError, InputError
from ..graph import INPUT


def _torch():
    try:
        import torch
    except ImportError:
        raise BackendError("this needs PyTorch: pip install torch==2.13.0") from None
    return torch


def torch_layer(layer):
    """The torch module computing the same function as our ``layer``."""
    return layer.torch_module(_torch())


def torch_mirror(net, dtype=None):
    """The mirror of ``net`` in eval mode (float32, or net's dtype if float64)."""
    torch = _torch()
    dtype = dtype or (torch.float64 if net.dtype == np.float64 else torch.float32)
    return _mirror_class(torch)(net).to(dtype).eval()


def net_from_mirror(net, mirror):
    """A copy of ``net`` holding the weights ``mirror`` (a torch_mirror of net, or a deep copy of
    one, e.g. Quantus's randomised model) holds now: the inverse of torch_mirror's copy."""
    import copy
    other = copy.deepcopy(net)
    for node in other.nodes:
        if node.params:
            module = mirror.module(node.name)
            node.params = {k: getattr(module, k).detach().numpy().astype(net.dtype) for k in node.params}
            node.buffers = {k: getattr(module, k).detach().numpy().astype(net.dtype) for k in node.buffers}
    return other


def _mirror_class(torch):
    class Mirror(torch.nn.Module):
        """forward(x, until=None): the output of node ``until`` (default the output node)."""

        def __init__(self, net):
            super().__init__()
            self.keys = {node.name: node.name.replace(".", "_") for node in net.nodes}
            if len(set(self.keys.values())) != len(self.keys):
                raise InputError(f"{net.name}: two node names differ only in '.' and '_'; the "
                                 "PyTorch mirror needs them distinct")
            self.nodes = torch.nn.ModuleDict({self.keys[node.name]: torch_layer(node) for node in net.nodes})
            self.order = [(node.name, node.inputs) for node in net.nodes]
            self.output = net.output

        def module(self, name):
            return self.nodes[self.keys[name]]

        def forward(self, x, until=None):
            until = until or self.output
            values = {INPUT: x}
            for name, inputs in self.order:
                values[name] = self.module(name)(*(values[i] for i in inputs))
                if name == until:
                    return values[name]
            raise InputError(f"no node {until!r} in the mirror")

        def head(self, until):
            """The model up to node ``until``, as a module of its own (for Captum)."""
            return Head(self, until)

    class Head(torch.nn.Module):
        def __init__(self, mirror, until):
            super().__init__()
            self.mirror, self.until = mirror, until

        def forward(self, x):
            return self.mirror(x, self.until)

        def module(self, name):
            return self.mirror.module(name)

    return Mirror

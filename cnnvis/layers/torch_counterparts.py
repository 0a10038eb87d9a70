"""Helpers for layers' torch_module(torch): PyTorch is passed in, never imported here."""
import numpy as np

from ..engine import to_host


def copy_params(torch, module, arrays):
    """Copy our arrays ({name: array}) into the torch module's parameters or buffers of those names.
    float64 arrays make the module float64 first: a float32 module would round them."""
    arrays = {key: np.ascontiguousarray(to_host(value)) for key, value in arrays.items()}
    if any(value.dtype == np.float64 for value in arrays.values()):
        module.double()
    with torch.no_grad():
        for key, value in arrays.items():
            getattr(module, key).copy_(torch.from_numpy(value))
    return module


def same_pad(torch, layer):
    """A torch module padding its input as ``layer`` pads that input (asymmetric pads, or
    TensorFlow's 'same' resolved per input size), with the layer's pad value."""

    class Pad(torch.nn.Module):
        def forward(self, x):
            pt, pb, pl, pr = layer.pads(*x.shape[2:])
            return torch.nn.functional.pad(x, (pl, pr, pt, pb), value=layer.pad_value)

        def extra_repr(self):
            return f"as {layer.name!r}: {layer.padding}"

    return Pad()


def function_module(torch, fn, name):
    """A torch module whose forward(*inputs) is fn(*inputs), named ``name`` in its repr."""

    class Function(torch.nn.Module):
        def forward(self, *inputs):
            return fn(*inputs)

        def extra_repr(self):
            return name

    return Function()

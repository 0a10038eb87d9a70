"""Checks shared by every loader: each value has the layer's shape and is finite; no layer is left out."""
import numpy as np

from ..errors import WeightsError


def set_params(net, name, values, source):
    """Put ``values`` ({'weight': array, 'bias': array}, our layout) into layer ``name`` on the host.

    Raises WeightsError naming the layer for a missing parameter, a shape mismatch
    (expected vs got) or NaN/Inf values. Call net.to(net.backend) once all are set.
    """
    layer = net[name]
    arrays = layer.arrays()
    for key, current in arrays.items():
        if key not in values:
            raise WeightsError(f"{source}: no {key} for layer {name!r}; the file is incomplete or for "
                               "another architecture")
        value = np.asarray(values[key])
        if value.shape != current.shape:
            raise WeightsError(f"{source}: layer {name!r} {key} has shape {value.shape}, the network "
                               f"needs {tuple(current.shape)}; is the file for another architecture or "
                               "number of classes?")
        if not np.all(np.isfinite(value)):
            raise WeightsError(f"{source}: layer {name!r} {key} contains NaN or infinite values; "
                               "the file is corrupt or came from a diverged training run")
    for key, current in arrays.items():
        store = layer.params if key in layer.params else layer.buffers
        store[key] = np.asarray(values[key]).astype(current.dtype, copy=False)


def require_complete(net, filled, source, hint=""):
    """WeightsError naming every layer with weights that is not in ``filled``."""
    missing = [node.name for node in net.nodes if node.params and node.name not in filled]
    if missing:
        raise WeightsError(f"{source} has no weights for layer(s) {', '.join(missing)}{hint}")

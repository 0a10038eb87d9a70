"""The engine: backend selection and the array operations layers are built from."""
import functools

from .backend import (BACKENDS, array_module, get_backend, is_gpu_array, set_backend,
                      to_device, to_host)
from .winograd import fixed_weights

__all__ = ["BACKENDS", "array_module", "fixed_weights", "get_backend", "holds_weights",
           "is_gpu_array", "set_backend", "to_device", "to_host"]


def holds_weights(fn):
    """Run ``fn`` inside fixed_weights(): a method that runs many passes of one network without
    changing its weights (a sweep, a batch loop) transforms each kernel once."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with fixed_weights():
            return fn(*args, **kwargs)
    return wrapped

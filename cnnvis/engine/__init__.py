"""The engine: backend selection and the array operations layers are built from."""
from .backend import (BACKENDS, array_module, get_backend, is_gpu_array, set_backend,
                      to_device, to_host)

__all__ = ["BACKENDS", "array_module", "get_backend", "is_gpu_array", "set_backend",
           "to_device", "to_host"]

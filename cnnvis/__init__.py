"""cnnvis: what does a CNN see? A from-scratch CNN engine and the visualization methods on it.

``import cnnvis`` changes nothing in the process and loads its parts on first use (so that a
script or the command line can call cnnvis.cpu_setup() before NumPy loads).
"""
import importlib

__version__ = "0.1.0"

SUBMODULES = ("datasets", "engine", "errors", "layers", "methods", "models", "receptive", "weights")
ATTRIBUTES = {  # name: (module, attribute)
    "array_module": ("engine", "array_module"), "get_backend": ("engine", "get_backend"),
    "set_backend": ("engine", "set_backend"), "to_host": ("engine", "to_host"),
    "CnnvisError": ("errors", "CnnvisError"), "Network": ("graph", "Network"), "load": ("loading", "load"),
    "small_vgg": ("models", "small_vgg"), "vgg16": ("models", "vgg16"),
    "Preprocessing": ("preprocessing", "Preprocessing"), "cpu_setup": ("_startup", "cpu_setup"),
    "fold_batchnorm": ("fold", "fold_batchnorm"), "pretrained": ("pretrained", "pretrained")}

__all__ = [*SUBMODULES, *ATTRIBUTES, "__version__"]


def __getattr__(name):
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ATTRIBUTES:
        module, attribute = ATTRIBUTES[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""cnnvis: what does a CNN see? A from-scratch CNN engine and the visualization methods on it."""
from . import _startup  # noqa: F401  (first: settings that must precede NumPy)
from . import datasets, engine, errors, layers, methods, models, receptive, weights
from .engine import array_module, get_backend, set_backend, to_host
from .errors import CnnvisError
from .graph import Network
from .models import small_vgg, vgg16
from .preprocessing import Preprocessing

__version__ = "0.1.0"

__all__ = ["datasets", "engine", "errors", "layers", "methods", "models", "receptive", "weights",
           "array_module", "get_backend", "set_backend", "to_host", "CnnvisError", "Network",
           "small_vgg", "vgg16", "Preprocessing", "__version__"]

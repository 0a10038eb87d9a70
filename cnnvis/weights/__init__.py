"""Weights in and out: our HDF5 format, Keras VGG16 files (2 and 3), PyTorch state dicts."""
from .fetch import fetch
from .loading import FORMATS, detect_format, load, load_native
from .native import save

__all__ = ["FORMATS", "detect_format", "fetch", "load", "load_native", "save"]

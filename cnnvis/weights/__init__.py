"""Weights in and out: our HDF5 format, Keras VGG16 files, PyTorch state dicts."""
from .native import load_native, save

load = load_native  # format detection (Keras files too) is added by weights/loading.py

__all__ = ["load", "load_native", "save"]

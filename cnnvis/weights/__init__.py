"""Weights files: readers of named arrays (our HDF5 format, Keras 2 and 3, PyTorch state dicts
read without torch), the writer of our format, and the download of Keras's VGG16 files.
cnnvis.load (cnnvis/load.py) puts a file's arrays into a network."""
from .fetch import fetch
from .native import save

__all__ = ["fetch", "save"]

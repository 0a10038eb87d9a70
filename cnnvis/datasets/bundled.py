"""The bundled Fashion-MNIST test images: 10 per class, for the demo and the tests.

cnnvis/data/fashion_mnist_samples.npz holds images uint8 (100, 28, 28), labels int64 (100,),
class_names (10,) strings and index (100,): each image's position in the Fashion-MNIST test
set. They are the first 10 test images of each class, in test-set order (not chosen by hand).
"""
from importlib import resources

import numpy as np

from ..errors import InputError
from ..io import atomic_path
from .dataset import Dataset

SAMPLES_FILE = "fashion_mnist_samples.npz"


def samples_path():
    return str(resources.files("cnnvis") / "data" / SAMPLES_FILE)


def read_samples(path):
    """A Dataset from an .npz written by write_samples (no pickles are loaded)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return Dataset(f["images"], f["labels"], [str(c) for c in f["class_names"]],
                           "fashion-mnist-samples")
    except FileNotFoundError:
        raise InputError(f"sample file not found: {path}; reinstall cnnvis") from None
    except (KeyError, ValueError, OSError) as exc:
        raise InputError(f"{path} is not a cnnvis sample file ({exc}); give a file written by "
                         "write_samples, or reinstall cnnvis for the bundled one") from None


def bundled_samples():
    """The 100 bundled Fashion-MNIST test images (10 per class) as a Dataset."""
    return read_samples(samples_path())


def write_samples(dataset, path, per_class=10):
    """Write the first ``per_class`` images of each class of ``dataset`` to an .npz (atomically)."""
    index = np.concatenate([np.flatnonzero(dataset.labels == c)[:per_class]
                            for c in range(len(dataset.class_names))])
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, images=dataset.images[index], labels=dataset.labels[index],
                            class_names=np.array(dataset.class_names, dtype=str), index=index)
    return path

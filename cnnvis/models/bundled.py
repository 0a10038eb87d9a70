"""The bundled model: a small VGG trained by cnnvis itself on Fashion-MNIST.

cnnvis/data/fashion_mnist_vgg.h5 (cnnvis's HDF5 format, float32, class names inside):
two blocks of two 3x3 convs (32 and 64 channels) + ReLU, 2x2 max-pools, fc 256 + ReLU +
dropout 0.4, 10 logits, softmax; input (1, 28, 28), pixels / 255. How it was trained and
its accuracy per epoch: docs/training-log.md.
"""
from importlib import resources

MODEL_FILE = "fashion_mnist_vgg.h5"
RANDOM_LABELS_FILE = "fashion_mnist_vgg_random_labels.h5"


def bundled_model_path():
    return str(resources.files("cnnvis") / "data" / MODEL_FILE)


def bundled_model():
    """The bundled Fashion-MNIST network (a fresh copy on each call), in inference mode."""
    from ..loading import load
    return load(bundled_model_path()).eval()


def random_labels_model():
    """The bundled architecture trained by cnnvis on Fashion-MNIST with permuted labels, the
    model of the data-randomization sanity check (scripts/train_random_labels.py; its run:
    docs/training-log.md), in inference mode."""
    from ..loading import load
    return load(str(resources.files("cnnvis") / "data" / RANDOM_LABELS_FILE)).eval()

"""The small network, inputs and PyTorch mirror shared by the method tests (built once)."""
import functools

import numpy as np

import cnnvis
from cnnvis.images import load_image
from cnnvis.verify.torch_mirror import torch_mirror

CLASSES = ["cat", "dog", "car", "ship", "tree"]
TARGETS = [1, 3]  # one class per image of the batch, different on purpose


@functools.lru_cache(maxsize=None)
def small():
    """small_vgg 3x32x32 -> 5 classes (random weights, seed 0) and the cat and dog photos.
    Do not modify it (astype, to): other tests share it."""
    net = cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32), classes=5, class_names=CLASSES)
    x = net.preprocess(np.stack([load_image("cat", (32, 32)), load_image("dog", (32, 32))]))
    return net, x


@functools.lru_cache(maxsize=None)
def small_mirror():
    """torch_mirror of small(): the whole model (probabilities) and up to the logits."""
    model = torch_mirror(small()[0])
    return model, model.head("predictions")

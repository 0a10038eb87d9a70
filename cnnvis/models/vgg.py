"""VGG architectures with Keras's layer names.

Naming: block{b}_conv{k} (Conv2D), block{b}_conv{k}_bn (BatchNorm2d, in vgg16_bn),
block{b}_conv{k}_relu, block{b}_pool, flatten, fc{m}, fc{m}_relu, fc{m}_dropout, predictions
(the logits), softmax (probabilities).
"""
import numpy as np

from ..errors import InputError
from ..layers import BatchNorm2d, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
from ..graph import Network
from ..preprocessing import Preprocessing
from .classes import imagenet_class_names

VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def conv_blocks(blocks, in_channels, rng, init="he", batch_norm=False):
    """3x3 'same' convs (+ batch norm) + ReLU per block, each block closed by a 2x2 max-pool."""
    layers, c = [], in_channels
    for b, widths in enumerate(blocks, start=1):
        for k, width in enumerate(widths, start=1):
            name = f"block{b}_conv{k}"
            layers.append(Conv2D(c, width, 3, padding=1, name=name, rng=rng, init=init))
            if batch_norm:
                layers.append(BatchNorm2d(width, name=name + "_bn"))
            layers.append(ReLU(name=name + "_relu"))
            c = width
        layers.append(MaxPool2D(2, name=f"block{b}_pool"))
    return layers, c


def dense_head(features, hidden, classes, dropout, rng, init="he"):
    """flatten, (fc + ReLU + dropout) per hidden width, predictions (logits), softmax."""
    layers, d = [Flatten(name="flatten")], features
    for m, width in enumerate(hidden, start=1):
        layers += [Dense(d, width, name=f"fc{m}", rng=rng, init=init), ReLU(name=f"fc{m}_relu")]
        if dropout:
            layers.append(Dropout(dropout, name=f"fc{m}_dropout"))
        d = width
    layers += [Dense(d, classes, name="predictions", rng=rng, init=init), Softmax(name="softmax")]
    return layers


def vgg(blocks, input_shape, hidden, classes, include_top=True, dropout=0.5, seed=0,
        preprocessing=None, class_names=None, name="vgg", init="he", batch_norm=False):
    """A VGG network: conv blocks, then (if include_top) the dense head.

    init 'he' draws seeded random weights; 'zeros' only allocates (for loading weights)."""
    c, h, w = input_shape
    rng = np.random.default_rng(seed)
    layers, width = conv_blocks(blocks, c, rng, init, batch_norm)
    if include_top:
        shrink = 2 ** len(blocks)
        if h // shrink < 1 or w // shrink < 1:
            raise InputError(f"a {h}x{w} input is too small for {len(blocks)} pooling blocks; give "
                             f"at least {2 ** len(blocks)} pixels a side, or fewer blocks")
        layers += dense_head(width * (h // shrink) * (w // shrink), hidden, classes, dropout, rng, init)
    return Network(layers, input_shape, preprocessing, class_names if include_top else None, name)


def vgg16(include_top=True, input_shape=(3, 224, 224), classes=1000, dropout=0.5, seed=0,
          class_names=None, init="he"):
    """VGG16, configuration D of Simonyan & Zisserman (2015): 13 conv, 5 pool, fc 4096-4096-classes.

    Random (He-initialised, seeded) weights: load real ones with cnnvis.load. ImageNet's class
    names for 1000 classes.
    include_top=False keeps only the conv stack (block1_conv1 ... block5_pool), which takes
    any input size of at least 32x32. Preprocessing defaults to Keras's 'caffe' mode.
    init='zeros' skips drawing the 138M random weights when real ones will be loaded.
    """
    names = class_names if class_names is not None else imagenet_class_names(classes)
    return vgg(VGG16_BLOCKS, input_shape, (4096, 4096), classes, include_top, dropout, seed,
               Preprocessing.caffe(), names, "vgg16", init)


def vgg16_bn(include_top=True, input_shape=(3, 224, 224), classes=1000, dropout=0.5, seed=0,
             class_names=None, init="he"):
    """VGG16 with a batch norm after every conv (torchvision's vgg16_bn, Ioffe & Szegedy 2015),
    torchvision's preprocessing; otherwise as vgg16()."""
    names = class_names if class_names is not None else imagenet_class_names(classes)
    return vgg(VGG16_BLOCKS, input_shape, (4096, 4096), classes, include_top, dropout, seed,
               Preprocessing.torchvision(), names, "vgg16_bn", init, batch_norm=True)


def small_vgg(widths=(16, 32), convs_per_block=2, input_shape=(1, 28, 28), classes=10,
              hidden=(128,), dropout=0.5, seed=0, class_names=None, preprocessing=None,
              include_top=True, init="he"):
    """A parametric small VGG: len(widths) blocks of convs_per_block 3x3 convs of that width.

    Used by the tests and by the bundled Fashion-MNIST model. Preprocessing defaults to
    pixels / 255 (grayscale for one channel).
    """
    blocks = tuple((wd,) * convs_per_block for wd in widths)
    order = "L" if input_shape[0] == 1 else "RGB"
    pre = preprocessing or Preprocessing(order, 1 / 255)
    return vgg(blocks, input_shape, hidden, classes, include_top, dropout, seed, pre,
               class_names, "small_vgg", init)

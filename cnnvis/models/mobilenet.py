"""MobileNetV2 (Sandler et al. 2018) with torchvision's structure and parameter names.

    features.0       conv 3x3/2 (3 -> 32), bn, ReLU6            ('features.0.0', '.1', '.2')
    features.1 .. 17 inverted residual blocks, (t, c, n, s) = (1, 16, 1, 1) (6, 24, 2, 2)
                     (6, 32, 3, 2) (6, 64, 4, 2) (6, 96, 3, 1) (6, 160, 3, 2) (6, 320, 1, 1):
                     [expand 1x1 (t != 1): 'conv.0.0' conv, '.1' bn, '.2' ReLU6]
                     depthwise 3x3/s: 'conv.k.0' conv (groups = channels), '.1' bn, '.2' ReLU6
                     project 1x1 (linear): 'conv.{k+1}' conv, 'conv.{k+2}' bn
                     the residual Add where s = 1 and in = out channels, named after the block
                     ('features.3'), as torchvision's module features[3] returns the sum
    features.18      conv 1x1 (320 -> 1280), bn, ReLU6
    avgpool (global), classifier.0 dropout 0.2, classifier.1 dense -> the logits, softmax
"""
import numpy as np

from ..graph import Network
from ..layers import (Add, BatchNorm2d, Conv2D, Dense, Dropout, GlobalAveragePool2D, ReLU6,
                      Softmax)
from ..preprocessing import Preprocessing
from .classes import imagenet_class_names

SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
            (6, 160, 3, 2), (6, 320, 1, 1))


def conv_bn_relu6(layers, prefix, cin, cout, k, stride, groups, rng, init, inputs=None):
    """torchvision's Conv2dNormActivation: '.0' conv (no bias), '.1' batch norm, '.2' ReLU6."""
    layers += [Conv2D(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False,
                      name=f"{prefix}.0", inputs=inputs, rng=rng, init=init),
               BatchNorm2d(cout, name=f"{prefix}.1"), ReLU6(name=f"{prefix}.2")]
    return f"{prefix}.2"


def _inverted_residual(layers, p, cin, cout, stride, t, source, rng, init):
    hidden, k = int(round(cin * t)), 0
    if t != 1:
        conv_bn_relu6(layers, f"{p}.conv.0", cin, hidden, 1, 1, 1, rng, init, source)
        k = 1
    conv_bn_relu6(layers, f"{p}.conv.{k}", hidden, hidden, 3, stride, hidden, rng, init,
                  None if t != 1 else source)
    layers += [Conv2D(hidden, cout, 1, bias=False, name=f"{p}.conv.{k + 1}", rng=rng, init=init),
               BatchNorm2d(cout, name=f"{p}.conv.{k + 2}")]
    if stride == 1 and cin == cout:
        layers.append(Add(name=p, inputs=(f"{p}.conv.{k + 2}", source)))
        return p
    return f"{p}.conv.{k + 2}"


def mobilenet_v2(input_shape=(3, 224, 224), classes=1000, dropout=0.2, seed=0, class_names=None,
                 init="he"):
    """MobileNetV2 (width 1.0): 3.5 M parameters, 0.3 GMAC at 224x224; any input of at least
    32x32. Random (seeded) weights, batch norms at PyTorch's defaults; torchvision's
    preprocessing; ImageNet's class names for 1000 classes."""
    rng = np.random.default_rng(seed)
    layers = []
    source, cin, block = conv_bn_relu6(layers, "features.0", input_shape[0], 32, 3, 2, 1, rng, init), 32, 1
    for t, c, n, s in SETTINGS:
        for k in range(n):
            source = _inverted_residual(layers, f"features.{block}", cin, c, s if k == 0 else 1, t,
                                        source, rng, init)
            cin, block = c, block + 1
    conv_bn_relu6(layers, f"features.{block}", cin, 1280, 1, 1, 1, rng, init, source)
    layers += [GlobalAveragePool2D(name="avgpool"), Dropout(dropout, name="classifier.0"),
               Dense(1280, classes, name="classifier.1", rng=rng, init=init), Softmax(name="softmax")]
    names = class_names if class_names is not None else imagenet_class_names(classes)
    return Network(layers, input_shape, Preprocessing.torchvision(), names, "mobilenet_v2")

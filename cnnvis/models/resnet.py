"""ResNet-18/34/50 (He et al. 2016) with torchvision's structure and parameter names.

Node names are torchvision's module names, so a torchvision state dict maps onto them key
by key ('layer1.0.conv1.weight' is node 'layer1.0.conv1', parameter 'weight'). A name means
what it means there: node 'layer4.1' is the output of torchvision's module layer4[1] (the
block's last ReLU, after the residual Add), the usual Grad-CAM layer. Inside a block the
ReLUs after bn1 (and bn2) are 'relu' (and 'relu_1'), as torch.fx names torchvision's one
reused ReLU module; the sum is '.add'. The network ends in 'fc' (the logits) and 'softmax'.

    conv1 7x7/2, bn1, relu, maxpool 3x3/2 -> layer1 .. layer4 -> avgpool (global) -> fc -> softmax
    BasicBlock (18, 34):  conv1 3x3/s, bn1, relu, conv2 3x3, bn2, (+ downsample) add, relu
    Bottleneck (50):      conv1 1x1, bn1, relu, conv2 3x3/s, bn2, relu_1, conv3 1x1 (x4), bn3,
                          (+ downsample) add, relu  (the stride on the 3x3, torchvision's v1.5)
    downsample (when the stride or the width changes): conv 1x1/s, bn ('.downsample.0', '.1')
"""
import numpy as np

from ..graph import Network
from ..layers import Add, BatchNorm2d, Conv2D, Dense, GlobalAveragePool2D, MaxPool2D, ReLU, Softmax
from ..preprocessing import Preprocessing
from .classes import imagenet_class_names

DEPTHS = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
          "resnet50": ("bottleneck", (3, 4, 6, 3))}
WIDTHS = (64, 128, 256, 512)


def _conv_bn(layers, name, bn, cin, cout, k, stride, rng, init, inputs=None):
    """A bias-free conv ('name') and its batch norm ('bn'); returns bn's name."""
    layers += [Conv2D(cin, cout, k, stride, (k - 1) // 2, bias=False, name=name, inputs=inputs,
                      rng=rng, init=init), BatchNorm2d(cout, name=bn)]
    return bn


def _block(layers, prefix, kind, cin, width, stride, source, rng, init):
    """One residual block reading node ``source``; returns (its output node, out channels)."""
    p = prefix
    if kind == "basic":
        cout = width
        _conv_bn(layers, f"{p}.conv1", f"{p}.bn1", cin, width, 3, stride, rng, init, source)
        layers.append(ReLU(name=f"{p}.relu"))
        last = _conv_bn(layers, f"{p}.conv2", f"{p}.bn2", width, width, 3, 1, rng, init)
    else:
        cout = 4 * width
        _conv_bn(layers, f"{p}.conv1", f"{p}.bn1", cin, width, 1, 1, rng, init, source)
        layers.append(ReLU(name=f"{p}.relu"))
        _conv_bn(layers, f"{p}.conv2", f"{p}.bn2", width, width, 3, stride, rng, init)
        layers.append(ReLU(name=f"{p}.relu_1"))
        last = _conv_bn(layers, f"{p}.conv3", f"{p}.bn3", width, cout, 1, 1, rng, init)
    shortcut = source
    if stride != 1 or cin != cout:
        shortcut = _conv_bn(layers, f"{p}.downsample.0", f"{p}.downsample.1", cin, cout, 1, stride,
                            rng, init, source)
    layers += [Add(name=f"{p}.add", inputs=(last, shortcut)), ReLU(name=p)]
    return p, cout


def resnet(depth="resnet50", input_shape=(3, 224, 224), classes=1000, seed=0, class_names=None,
           init="he"):
    """ResNet ``depth`` ('resnet18', 'resnet34', 'resnet50'); any input of at least 32x32
    (global pooling before fc). Random (He-initialised, seeded) convs and fc, batch norms at
    PyTorch's defaults (weight 1, bias 0, running mean 0, var 1): load real weights with
    cnnvis.load. torchvision's preprocessing; ImageNet's class names for 1000 classes."""
    kind, counts = DEPTHS[depth]
    rng = np.random.default_rng(seed)
    layers = []
    _conv_bn(layers, "conv1", "bn1", input_shape[0], 64, 7, 2, rng, init)
    layers += [ReLU(name="relu"), MaxPool2D(3, 2, 1, name="maxpool")]
    source, cin = "maxpool", 64
    for stage, (width, count) in enumerate(zip(WIDTHS, counts), start=1):
        for k in range(count):
            stride = 2 if stage > 1 and k == 0 else 1
            source, cin = _block(layers, f"layer{stage}.{k}", kind, cin, width, stride, source, rng, init)
    layers += [GlobalAveragePool2D(name="avgpool", inputs=source),
               Dense(cin, classes, name="fc", rng=rng, init=init), Softmax(name="softmax")]
    names = class_names if class_names is not None else imagenet_class_names(classes)
    return Network(layers, input_shape, Preprocessing.torchvision(), names, depth)


def resnet18(**kwargs):
    """ResNet-18: BasicBlocks (2, 2, 2, 2), 11.7 M parameters, 1.8 GMAC at 224x224."""
    return resnet("resnet18", **kwargs)


def resnet34(**kwargs):
    """ResNet-34: BasicBlocks (3, 4, 6, 3), 21.8 M parameters."""
    return resnet("resnet34", **kwargs)


def resnet50(**kwargs):
    """ResNet-50: Bottlenecks (3, 4, 6, 3), 25.6 M parameters, 4.1 GMAC at 224x224."""
    return resnet("resnet50", **kwargs)

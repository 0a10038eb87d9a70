"""The architectures by name, and which one a file's parameter names and shapes describe.

Names are what the command line's --model takes: vgg16, vgg16-notop, vgg16-bn, resnet18,
resnet34, resnet50, mobilenet-v2, efficientnet-lite0. The guess from a state dict looks at the
names only a given architecture has (torchvision's 'layer4.1.conv2', 'features.18.0',
lukemelas's '_blocks.15'); the loader then checks every name and shape.
"""
import math
import re

from ..errors import WeightsError
from ..preprocessing import Preprocessing
from .efficientnet import efficientnet_lite0
from .mobilenet import mobilenet_v2
from .resnet import resnet
from .vgg import vgg16, vgg16_bn

ARCHITECTURES = {
    "vgg16": vgg16, "vgg16-notop": lambda **kw: vgg16(include_top=False, **kw), "vgg16-bn": vgg16_bn,
    "resnet18": lambda **kw: resnet("resnet18", **kw), "resnet34": lambda **kw: resnet("resnet34", **kw),
    "resnet50": lambda **kw: resnet("resnet50", **kw), "mobilenet-v2": mobilenet_v2,
    "efficientnet-lite0": efficientnet_lite0}


def architecture(name, **kwargs):
    """The network ``name`` (one of ARCHITECTURES) with random weights (kwargs: seed, init, classes, ...)."""
    if name not in ARCHITECTURES:
        raise WeightsError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name](**kwargs)


def vgg16_for(top, fc1_inputs=None, classes=1000, batch_norm=False):
    """VGG16 shaped like a file: with or without top; fc1 reads 512 * s * s features from a
    (32 s)x(32 s) input (s = 7 for 224x224); weights allocated, not drawn (init='zeros')."""
    make = vgg16_bn if batch_norm else vgg16
    if not top:
        return make(include_top=False, init="zeros")
    side = math.isqrt(fc1_inputs // 512) if fc1_inputs else 7
    size = 32 * side if side >= 1 and 512 * side * side == fc1_inputs else 224
    return make(True, input_shape=(3, size, size), classes=int(classes), init="zeros")


VGG_KEY = re.compile(r"(features|classifier)\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$")


def state_dict_architecture(state):
    """(name, network with zero weights) for a PyTorch state dict {key: array}, from its key names:
    ResNet-18/34/50 and MobileNetV2 in torchvision's naming, EfficientNet-Lite0 in lukemelas's,
    VGG16 and VGG16-BN in torchvision's (matched by order). A WeightsError says what was found."""
    keys = set(state)
    classes = lambda key: int(state[key].shape[0]) if key in state else 1000  # noqa: E731
    if "_blocks.15._project_conv.weight" in keys:
        return "efficientnet-lite0", efficientnet_lite0(classes=classes("_fc.weight"), init="zeros")
    if "layer4.0.conv1.weight" in keys:
        blocks = [len({k.split(".")[1] for k in keys if k.startswith(f"layer{s}.")}) for s in (1, 2, 3, 4)]
        bottleneck = "layer1.0.conv3.weight" in keys
        name = {(False, (2, 2, 2, 2)): "resnet18", (False, (3, 4, 6, 3)): "resnet34",
                (True, (3, 4, 6, 3)): "resnet50"}.get((bottleneck, tuple(blocks)))
        if name is None:
            raise WeightsError(f"a ResNet with {'bottleneck' if bottleneck else 'basic'} blocks "
                               f"{tuple(blocks)}: cnnvis builds resnet18, resnet34 and resnet50")
        return name, resnet(name, classes=classes("fc.weight"), init="zeros")
    if "features.18.0.weight" in keys and "classifier.1.weight" in keys:
        return "mobilenet-v2", mobilenet_v2(classes=classes("classifier.1.weight"), init="zeros")
    if keys and all(VGG_KEY.match(k) for k in keys):
        batch_norm = any(k.endswith("running_mean") for k in keys)
        head = sorted({int(VGG_KEY.match(k)[2]) for k in keys if k.startswith("classifier.")})
        fc1 = state[f"classifier.{head[0]}.weight"].shape[1] if head else None
        net = vgg16_for(bool(head), fc1, classes(f"classifier.{head[-1]}.weight") if head else 1000,
                        batch_norm)
        net.preprocessing = Preprocessing.torchvision()
        return net.name.replace("_", "-"), net
    shown = ", ".join(sorted(keys)[:6]) + (" ..." if len(keys) > 6 else "")
    raise WeightsError(f"no architecture cnnvis knows has these parameter names ({shown}); cnnvis "
                       f"reads state dicts of {', '.join(ARCHITECTURES)}; give net= "
                       "the architecture the file was saved from")

"""Architectures: VGG16 (and with batch norm), ResNet-18/34/50, MobileNetV2, EfficientNet-Lite0,
a parametric small VGG, the bundled Fashion-MNIST model, and the pretrained networks that run
offline (pretrained.py)."""
from .bundled import bundled_model, random_labels_model
from .efficientnet import efficientnet_lite0
from .mobilenet import mobilenet_v2
from .registry import ARCHITECTURES, architecture
from .resnet import resnet, resnet18, resnet34, resnet50
from .vgg import small_vgg, vgg, vgg16, vgg16_bn

__all__ = ["ARCHITECTURES", "architecture", "bundled_model", "efficientnet_lite0", "mobilenet_v2",
           "random_labels_model", "resnet", "resnet18", "resnet34", "resnet50", "small_vgg", "vgg",
           "vgg16", "vgg16_bn"]

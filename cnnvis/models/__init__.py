"""Architectures: VGG16, a parametric small VGG, and the bundled Fashion-MNIST model."""
from .bundled import bundled_model
from .vgg import small_vgg, vgg, vgg16

__all__ = ["bundled_model", "small_vgg", "vgg", "vgg16"]

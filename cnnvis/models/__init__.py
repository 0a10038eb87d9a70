"""Architectures: VGG16 and a parametric small VGG."""
from .vgg import small_vgg, vgg, vgg16

__all__ = ["small_vgg", "vgg", "vgg16"]

"""Layers with explicit forward and backward passes (the contract is in layers/base.py)."""
from .activations import ReLU6, Sigmoid, SiLU
from .avgpool import AvgPool2D
from .base import RULES, Layer, SlidingWindow, Window
from .batchnorm import BatchNorm2d
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .global_pool import GlobalAveragePool2D
from .identity import Identity
from .merge import Add, Concat, Multiply
from .pool import MaxPool2D
from .relu import ReLU
from .softmax import Softmax

LAYER_TYPES = {cls.__name__: cls for cls in (
    Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax, BatchNorm2d, Add, Concat, Multiply,
    GlobalAveragePool2D, ReLU6, SiLU, Sigmoid, Identity, AvgPool2D)}

__all__ = ["RULES", "Layer", "SlidingWindow", "Window", "LAYER_TYPES", *LAYER_TYPES]

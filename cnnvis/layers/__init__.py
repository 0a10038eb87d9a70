"""Layers with explicit forward and backward passes, and the Network that chains them."""
from .base import RULES, Layer
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .network import Network
from .pool import MaxPool2D
from .relu import ReLU
from .softmax import Softmax

LAYER_TYPES = {cls.__name__: cls for cls in (Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax)}

__all__ = ["RULES", "Layer", "Conv2D", "Dense", "Dropout", "Flatten", "MaxPool2D", "ReLU",
           "Softmax", "Network", "LAYER_TYPES"]

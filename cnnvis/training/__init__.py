"""Training with the engine's own backward passes: losses, optimizers, augmentation, the loop
(learning-rate schedules: cnnvis/schedules.py, shared with activation maximization)."""
from .augment import Augment
from .history import History
from .losses import l1_penalty, l2_penalty, softmax_cross_entropy
from .optimizers import OPTIMIZERS, SGD, Adam
from .trainer import evaluate, train

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Augment", "History", "evaluate", "l1_penalty", "l2_penalty",
           "softmax_cross_entropy", "train"]

"""Training with the engine's own backward passes: losses, optimizers, augmentation, the loop."""
from .augment import Augment
from .history import History
from .losses import l1_penalty, l2_penalty, softmax_cross_entropy
from .optimizers import OPTIMIZERS, SGD, Adam
from .schedules import SCHEDULES, learning_rate
from .trainer import evaluate, train

__all__ = ["OPTIMIZERS", "SCHEDULES", "SGD", "Adam", "Augment", "History", "evaluate", "l1_penalty",
           "l2_penalty", "learning_rate", "softmax_cross_entropy", "train"]

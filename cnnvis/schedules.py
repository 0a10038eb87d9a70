"""Learning-rate schedules: the learning rate of epoch e (0-based) given the base rate.

    constant: lr_e = lr
    step:     lr_e = lr * gamma ** floor(e / every)                  (torch StepLR)
    cosine:   lr_e = lr_min + (lr - lr_min) (1 + cos(pi e / E)) / 2  (torch CosineAnnealingLR,
                                                                      T_max = E epochs)
"""
import math

from .errors import InputError

SCHEDULES = ("constant", "step", "cosine")


def learning_rate(schedule, lr, epoch, epochs, every=5, gamma=0.1, lr_min=0.0):
    """The learning rate of ``epoch`` under ``schedule`` ('constant' | 'step' | 'cosine')."""
    if schedule == "constant":
        return lr
    if schedule == "step":
        return lr * gamma ** (epoch // every)
    if schedule == "cosine":
        return lr_min + (lr - lr_min) * (1 + math.cos(math.pi * epoch / epochs)) / 2
    raise InputError(f"unknown learning-rate schedule {schedule!r}; choose one of {SCHEDULES}")

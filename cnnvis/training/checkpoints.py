"""The per-epoch checkpoints a training run leaves: find them, load them, score them."""
import glob
import os
import re

from ..errors import InputError
from ..progress import bar
from ..loading import load
from .trainer import evaluate

PATTERN = re.compile(r"epoch_(\d+)\.h5$")


def checkpoint_paths(folder):
    """[(epoch, path)] of folder/epoch_NNN.h5, in epoch order; an InputError if there are none."""
    found = sorted((int(m.group(1)), p) for p in glob.glob(os.path.join(folder, "epoch_*.h5"))
                   if (m := PATTERN.search(p)))
    if not found:
        raise InputError(f"no checkpoints epoch_NNN.h5 in {folder}; train with checkpoint_dir= "
                         "(`cnnvis train --out DIR` writes DIR/checkpoints)")
    return found


def load_checkpoints(folder):
    """[(epoch, Network)] of every checkpoint in folder."""
    return [(epoch, load(path)) for epoch, path in checkpoint_paths(folder)]


def evaluate_checkpoints(folder, data, progress=None):
    """[(epoch, cross-entropy, accuracy)] of every checkpoint in folder on data."""
    rows = []
    for epoch, path in bar(checkpoint_paths(folder), desc="checkpoints", progress=progress):
        rows.append((epoch, *evaluate(load(path), data)))
    return rows

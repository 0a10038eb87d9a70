"""The loop of the methods that run many inputs per image (Score-CAM's masked images,
SmoothGrad's noisy samples, integrated gradients' path points): every (image, item) pair,
a batch at a time, with a progress bar."""
import numpy as np

from ..errors import InputError
from ..progress import bar


def pair_batches(images, items, batch_size, desc, unit, progress=None):
    """Index pairs (B, 2) = (image, item) of ``images`` x ``items``, image-major, batch_size
    at a time (the last batch may be shorter); the bar counts pairs. batch_size is checked
    here, when called, before any work; the batches come when iterated."""
    if int(batch_size) < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    pairs = np.stack(np.divmod(np.arange(images * items), items), axis=1)
    return _batches(pairs, int(batch_size), desc, unit, progress)


def _batches(pairs, batch_size, desc, unit, progress):
    with bar(total=len(pairs), desc=desc, unit=unit, progress=progress) as pbar:
        for start in range(0, len(pairs), batch_size):
            rows = pairs[start:start + batch_size]
            yield rows
            pbar.update(len(rows))

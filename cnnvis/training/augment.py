"""Data augmentation on a batch of network inputs: random horizontal flips and shifts."""
import numpy as np

from ..errors import InputError


class Augment:
    """flip: mirror each image left-right with probability 1/2.
    shift: move each image by (dy, dx), each drawn uniformly from -shift .. shift pixels,
    filling the uncovered border with 0 (black for inputs scaled as pixels / 255).
    Randomness comes only from the generator passed to __call__, so a seeded run repeats.
    """

    def __init__(self, flip=False, shift=0):
        if int(shift) != shift or shift < 0:
            raise InputError(f"shift must be a non-negative number of pixels, got {shift}")
        self.flip, self.shift = bool(flip), int(shift)

    def __bool__(self):
        return self.flip or self.shift > 0

    def __call__(self, x, rng):
        """x (N, C, H, W) -> a new augmented array of the same shape; rng a numpy Generator."""
        n, _, h, w = x.shape
        out = x.copy()
        if self.flip:
            mirror = rng.random(n) < 0.5
            out[mirror] = out[mirror, :, :, ::-1]
        if self.shift:
            s = self.shift
            moves = rng.integers(-s, s + 1, size=(n, 2))
            shifted = np.zeros_like(out)
            for k, (dy, dx) in enumerate(moves):
                shifted[k, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
                    out[k, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
            out = shifted
        return out

    def __repr__(self):
        return f"Augment(flip={self.flip}, shift={self.shift})"

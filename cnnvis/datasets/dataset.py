"""A labelled image set: uint8 images, integer labels, class names."""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass
class Dataset:
    """images uint8 (N, H, W) grayscale or (N, H, W, 3) RGB in [0, 255]; labels int64 (N,)
    in 0 .. len(class_names) - 1. Turn images into network input with net.preprocess(images)."""
    images: np.ndarray
    labels: np.ndarray
    class_names: tuple
    name: str = "dataset"

    def __post_init__(self):
        self.images = np.asarray(self.images)
        self.labels = np.asarray(self.labels).astype(np.int64)
        self.class_names = tuple(self.class_names)
        if len(self.images) != len(self.labels):
            raise InputError(f"{self.name}: {len(self.images)} images but {len(self.labels)} labels; "
                             "give one label per image")
        if len(self.labels) and not 0 <= self.labels.min() <= self.labels.max() < len(self.class_names):
            raise InputError(f"{self.name}: labels must lie in 0 .. {len(self.class_names) - 1}, got "
                             f"{self.labels.min()} .. {self.labels.max()}")

    def __len__(self):
        return len(self.labels)

    def subset(self, index, name=None):
        """The images and labels at ``index`` (indices, a slice or a boolean mask)."""
        return Dataset(self.images[index], self.labels[index], self.class_names, name or self.name)

    def split(self, n, seed=0):
        """(n images drawn at random with ``seed``, the other len - n), e.g. train / validation."""
        if not 0 < n < len(self):
            raise InputError(f"cannot split {len(self)} images into {n} and {len(self) - n}; give "
                             f"0 < n < {len(self)}")
        order = np.random.default_rng(seed).permutation(len(self))
        return self.subset(np.sort(order[:n])), self.subset(np.sort(order[n:]))

"""Small image sets where the object's place is known, for the pointing games (localisation.py).

* grid_set: Boehle, Fritz & Schiele's grid pointing game ("Convolutional Dynamic Alignment
  Networks", CVPR 2021): 2x2 grids of four bundled Fashion-MNIST samples of four classes,
  each shrunk to one cell; one image per grid and cell, the target the cell's class, the
  object the cell.
* pasted_set: one bundled sample shrunk and pasted at a seeded place on a black canvas; the
  object is the pasted square.
* photo_set: the bundled cat and dog photos, shrunk to half size and pasted at the four
  corners and the centre of a grey canvas; the target is the class the network gives the
  whole photo, the object the pasted square.
localisation_set(net) picks the sets that fit the network's input: the Fashion-MNIST ones for
one-channel 28x28 networks, the photos for RGB ones.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..images import SAMPLES, load_image
from .localisation import box_masks


@dataclass
class LocalisationSet:
    """images uint8 (N, H, W[, 3]) in [0, 255] (net.preprocess them), targets: class indices,
    masks (N, H, W) bool: the object, names: what each image is."""
    images: np.ndarray
    targets: list
    masks: np.ndarray
    names: list

    def __len__(self):
        return len(self.targets)

    def take(self, indices):
        """The images at ``indices``, as a LocalisationSet."""
        return LocalisationSet(self.images[indices], [self.targets[k] for k in indices], self.masks[indices],
                               [self.names[k] for k in indices])

    def __add__(self, other):
        return LocalisationSet(np.concatenate([self.images, other.images]), self.targets + other.targets,
                               np.concatenate([self.masks, other.masks]), self.names + other.names)


def _shrink(image, size, mode):
    return load_image(image, size=(size, size), mode=mode)


def grid_set(samples, grids=2, seed=0):
    """4 * grids images: each grid of four samples of distinct classes (Dataset ``samples``,
    e.g. bundled_samples()) once per cell."""
    rng = np.random.default_rng(seed)
    h, w = samples.images.shape[1:3]
    ch, cw = h // 2, w // 2
    images, targets, masks, names = [], [], [], []
    for g in range(grids):
        classes = rng.choice(len(samples.class_names), 4, replace=False)
        canvas = np.zeros((h, w), np.uint8)
        for cell, c in enumerate(classes):
            pick = rng.choice(np.flatnonzero(samples.labels == c))
            r, s = divmod(cell, 2)
            canvas[r * ch:(r + 1) * ch, s * cw:(s + 1) * cw] = load_image(samples.images[pick], (ch, cw), "L")
        for cell, c in enumerate(classes):
            r, s = divmod(cell, 2)
            images.append(canvas)
            targets.append(int(c))
            masks.append(box_masks([(r * ch, s * cw, (r + 1) * ch, (s + 1) * cw)], (h, w))[0])
            names.append(f"grid {g}, cell {cell}: {samples.class_names[c]}")
    return LocalisationSet(np.stack(images), targets, np.stack(masks), names)


def pasted_set(samples, count=8, size=16, seed=0):
    """``count`` samples shrunk to size x size, each pasted at a seeded place on a black canvas."""
    rng = np.random.default_rng(seed)
    h, w = samples.images.shape[1:3]
    if not 1 <= size <= min(h, w):
        raise InputError(f"size must be in 1 .. {min(h, w)} pixels, got {size}")
    images, targets, masks, names = [], [], [], []
    for k in range(count):
        pick = int(rng.integers(len(samples)))
        top, left = int(rng.integers(h - size + 1)), int(rng.integers(w - size + 1))
        canvas = np.zeros((h, w), np.uint8)
        canvas[top:top + size, left:left + size] = _shrink(samples.images[pick], size, "L")
        images.append(canvas)
        targets.append(int(samples.labels[pick]))
        masks.append(box_masks([(top, left, top + size, left + size)], (h, w))[0])
        names.append(f"{samples.class_names[samples.labels[pick]]} pasted at ({top}, {left})")
    return LocalisationSet(np.stack(images), targets, np.stack(masks), names)


def photo_set(net, fill=128):
    """The bundled photos at half size on a grey canvas of the network's input size, at the four
    corners and the centre (10 images); targets: net's class for each whole photo."""
    h, w = net.input_shape[1:]
    ph, pw = h // 2, w // 2
    places = [(0, 0), (0, w - pw), (h - ph, 0), (h - ph, w - pw), ((h - ph) // 2, (w - pw) // 2)]
    images, targets, masks, names = [], [], [], []
    for name in SAMPLES:
        whole = load_image(name, size=(h, w))
        target = int(np.asarray(net.predict(net.preprocess(whole))).argmax(axis=1)[0])
        small = load_image(whole, size=(ph, pw))
        for top, left in places:
            canvas = np.full((h, w, 3), fill, np.uint8)
            canvas[top:top + ph, left:left + pw] = small
            images.append(canvas)
            targets.append(target)
            masks.append(box_masks([(top, left, top + ph, left + pw)], (h, w))[0])
            names.append(f"{name} ({net.class_name(target)}) at ({top}, {left})")
    return LocalisationSet(np.stack(images), targets, np.stack(masks), names)


def localisation_set(net, samples=None, grids=2, pasted=8, seed=0):
    """The sets that fit ``net``: grid_set + pasted_set for one-channel networks of the samples'
    size (default: the bundled Fashion-MNIST samples), photo_set for RGB networks."""
    c, h, w = net.input_shape
    if c == 3:
        return photo_set(net)
    from ..datasets import bundled_samples
    samples = samples or bundled_samples()
    if c != 1 or samples.images.shape[1:3] != (h, w):
        raise InputError(f"no localisation set for inputs {net.input_shape}: the Fashion-MNIST sets need "
                         f"(1, {samples.images.shape[1]}, {samples.images.shape[2]}), the photos 3 channels")
    return grid_set(samples, grids, seed) + pasted_set(samples, pasted, seed=seed)

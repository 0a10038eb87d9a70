"""Augmentation (flips, shifts with zero fill) and learning-rate schedules."""
import math

import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.schedules import learning_rate
from cnnvis.training import Augment


def batch(n=40):
    return np.arange(n * 2 * 5 * 6, dtype=np.float32).reshape(n, 2, 5, 6) + 1  # no zeros inside


def shifted(img, dy, dx):
    """img moved down by dy and right by dx, zero-filled, written out with explicit loops."""
    out = np.zeros_like(img)
    _, h, w = img.shape
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = img[:, i - dy, j - dx]
    return out


def test_flip_mirrors_about_half_the_images():
    x = batch()
    out = Augment(flip=True)(x, np.random.default_rng(0))
    same = [np.array_equal(o, i) for o, i in zip(out, x)]
    mirrored = [np.array_equal(o, i[:, :, ::-1]) for o, i in zip(out, x)]
    assert all(s != m for s, m in zip(same, mirrored))  # each image is one or the other
    assert 8 <= sum(mirrored) <= 32  # Binomial(40, 1/2): outside this range with p < 1e-4
    np.testing.assert_array_equal(x, batch())  # the input is not modified


def test_shift_moves_each_image_with_zero_fill():
    x = batch()
    out = Augment(shift=2)(x, np.random.default_rng(1))
    moves = set()
    for o, img in zip(out, x):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(o, shifted(img, dy, dx))]
        assert len(found) == 1
        moves.add(found[0])
    assert len(moves) > 5  # the moves vary (25 possible)


def test_same_generator_seed_same_augmentation():
    aug = Augment(flip=True, shift=3)
    a = aug(batch(), np.random.default_rng(7))
    b = aug(batch(), np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not bool(Augment()) and bool(aug)
    with pytest.raises(InputError):
        Augment(shift=-1)


def test_schedules_follow_their_formulas():
    assert learning_rate("constant", 0.1, 7, 10) == 0.1
    assert [learning_rate("step", 1.0, e, 10, every=2, gamma=0.5) for e in range(5)] == \
        [1.0, 1.0, 0.5, 0.5, 0.25]
    cos = [learning_rate("cosine", 1.0, e, 4) for e in range(4)]
    np.testing.assert_allclose(cos, [1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5,
                                     (1 + math.cos(3 * math.pi / 4)) / 2], rtol=1e-15)
    with pytest.raises(InputError, match="schedule"):
        learning_rate("linear", 1.0, 0, 3)

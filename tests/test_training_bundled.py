"""The bundled Fashion-MNIST model and sample images: they load and the model classifies the samples.

Nothing is retrained here. README's test-accuracy figure is checked on the 10,000 test
images of Debian's dataset-fashion-mnist (CI installs it; a skip fails CI, see conftest.py).
"""
import os
import re

import numpy as np
import pytest

from cnnvis.datasets import bundled_samples
from cnnvis.datasets.bundled import read_samples, write_samples
from cnnvis.datasets.fashion_mnist import CLASS_NAMES, DEBIAN_PATH, fashion_mnist
from cnnvis.models import bundled_model


def test_bundled_samples_are_ten_per_class():
    data = bundled_samples()
    assert data.images.shape == (100, 28, 28) and data.images.dtype == np.uint8
    assert np.bincount(data.labels).tolist() == [10] * 10
    assert data.class_names == CLASS_NAMES


def test_bundled_model_classifies_the_samples():
    net, data = bundled_model(), bundled_samples()
    assert net.class_names == list(CLASS_NAMES) and net.input_shape == (1, 28, 28)
    assert all(p.dtype == np.float32 for _, _, p in net.parameters())
    probs = net.predict(net.preprocess(data.images))
    accuracy = float((probs.argmax(axis=1) == data.labels).mean())
    # the model scores 0.9321 on the 10,000 test images and 0.90 on these 100 (the first 10 of each
    # class); 0.85 is ~3 binomial standard deviations (0.025 at p = 0.93, n = 100) below 0.93
    assert accuracy >= 0.85
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)  # float32 softmax rows


README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


@pytest.mark.skipif(not os.path.isdir(DEBIAN_PATH),
                    reason="Debian package dataset-fashion-mnist not installed (apt-get install dataset-fashion-mnist)")
def test_bundled_model_has_the_test_accuracy_readme_states(record_property):
    # README: "the bundled Fashion-MNIST model (trained by cnnvis itself, 93.2% test accuracy)"
    (claimed,) = re.findall(r"(\d+\.(\d+))% test accuracy", open(README, encoding="utf-8").read())
    net, data = bundled_model(), fashion_mnist("test", path=DEBIAN_PATH)
    assert len(data) == 10000
    predicted = np.concatenate([net.predict(net.preprocess(data.images[k:k + 500]), batch_size=500).argmax(axis=1)
                                for k in range(0, len(data), 500)])
    accuracy = float((predicted == data.labels).mean())
    record_property("test accuracy", accuracy)
    assert round(100 * accuracy, len(claimed[1])) == float(claimed[0])  # to the precision printed


def test_write_and_read_samples(tmp_path):
    from cnnvis.datasets import Dataset
    labels = np.array([2, 0, 1, 0, 2, 1, 1])
    data = Dataset(np.arange(7)[:, None, None].repeat(3, 1).astype(np.uint8), labels, ("a", "b", "c"))
    back = read_samples(write_samples(data, tmp_path / "s.npz", per_class=2))
    assert back.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert back.images[:, 0, 0].tolist() == [1, 3, 2, 5, 0, 4]  # the first two of each class, in order
    assert back.class_names == ("a", "b", "c")

"""Targets: the seed each kind of target sends backward, checked against what it must be."""
import numpy as np
import pytest

import cnnvis
from cnnvis.methods import Unit, gradient
from cnnvis.methods.targets import scores_and_seed


@pytest.fixture(scope="module")
def net():
    return cnnvis.small_vgg(widths=(4, 8), input_shape=(1, 16, 16), classes=3, hidden=(6,), seed=2)


@pytest.mark.parametrize("reduce", ["mean", "sum", "max"])
def test_dense_neuron_gradient_is_its_weight_row(net, rng, reduce):
    """d fc1[k] / d flatten = W_fc1[k] exactly, whatever the reduction of a single neuron."""
    x = rng.standard_normal((2, 1, 16, 16)).astype(np.float32)
    g, scores, _ = gradient(net, x, Unit("fc1", 2, reduce=reduce), until="flatten")
    w = net["fc1"].params["weight"][2]
    assert np.array_equal(g, np.stack([w, w]))
    assert np.allclose(scores, net.forward(x, until="fc1")[:, 2])


def test_channel_reductions_seed_what_they_score(net, rng):
    x = rng.standard_normal((1, 1, 16, 16)).astype(np.float32)
    a = net.forward(x, until="block2_conv1")[0, 3]
    for reduce, expected in (("mean", np.full(a.shape, 1 / a.size)), ("sum", np.ones(a.shape)),
                             ("max", (np.arange(a.size) == a.argmax()).reshape(a.shape))):
        scores, seed = scores_and_seed(net, [Unit("block2_conv1", 3, reduce=reduce)], "block2_conv1")
        assert np.array_equal(seed[0, 3], expected.astype(np.float32)) and not seed[0, :3].any()
        assert scores[0] == pytest.approx(float(getattr(a, reduce)()))

"""Incremental occlusion on graphs (residual Adds, concatenations, squeeze-and-excitation gates,
depthwise 'same' convolutions) equals the naive sweep.

Tolerance 1e-5 of the clean score, float32: the incremental sweep recomputes each window from
a slab (other Winograd tiles, other GEMM shapes), so the sums differ by rounding; measured
3.0e-7 of the clean logit on the small networks and 3.6e-7 in probability on EfficientNet-Lite0.
"""
import numpy as np
import pytest

from test_graph import concat_net, residual_net
from cnnvis.graph import Network
from cnnvis.layers import Add, BatchNorm2d, Conv2D, Dense, GlobalAveragePool2D, ReLU6
from cnnvis.methods import occlusion

TOL = 1e-5


def mobile_block_net(seed=2):
    """A stride-2 'same' stem, an inverted residual block (1x1 expand, 5x5 depthwise, 1x1
    project, residual Add) and a global-pooling head, as MobileNetV2 and EfficientNet-Lite0."""
    rng = np.random.default_rng(seed)
    layers = [Conv2D(3, 8, 3, 2, "same", bias=False, name="stem", rng=rng), BatchNorm2d(8, name="stem_bn"),
              ReLU6(name="stem_relu"), Conv2D(8, 16, 1, bias=False, name="expand", rng=rng),
              ReLU6(name="expand_relu"), Conv2D(16, 16, 5, padding="same", groups=16, bias=False, name="dw", rng=rng),
              ReLU6(name="dw_relu"), Conv2D(16, 8, 1, bias=False, name="project", rng=rng),
              Add(name="block", inputs=("project", "stem_relu")), GlobalAveragePool2D(name="gap"),
              Dense(8, 4, name="fc", rng=rng)]
    return Network(layers, (3, 23, 21), name="mobile_block")


@pytest.mark.parametrize("make, patch, stride", [(residual_net, 3, 1), (residual_net, 3, 2),
                                                 (concat_net, 2, 1), (concat_net, (3, 2), (2, 3)),
                                                 (mobile_block_net, 5, 3), (mobile_block_net, (4, 6), (3, 2))])
def test_incremental_equals_naive_on_graphs(make, patch, stride, rng):
    net = make()
    x = rng.standard_normal((2,) + net.input_shape).astype(np.float32)
    for cover_edges in (False, True):
        kwargs = dict(patch=patch, stride=stride, score="logit", cover_edges=cover_edges, progress=False)
        fast = occlusion(net, x, [1, 0], batch_size=5, **kwargs)
        slow = occlusion(net, x, [1, 0], method="naive", **kwargs)
        assert fast.info["method"] == "incremental" and fast.heatmap.shape == slow.heatmap.shape
        scale = np.abs(slow.clean_scores).max()
        assert np.abs(fast.heatmap - slow.heatmap).max() <= TOL * scale
        assert np.abs(slow.heatmap).max() > 1e-3 * scale  # the patch really changes the score


def test_nothing_to_reuse_runs_naive_and_says_so(rng):
    from cnnvis.layers import Flatten
    net = Network([Flatten(name="flat"), Dense(3 * 6 * 6, 3, name="fc", rng=rng)], (3, 6, 6))
    x = rng.standard_normal((1, 3, 6, 6)).astype(np.float32)
    res = occlusion(net, x, 1, 2, 2, score="logit", progress=False)
    assert res.info["method"] == "naive" and "nothing to reuse" in res.info["note"]
    ref = occlusion(net, x, 1, 2, 2, score="logit", method="naive", progress=False)
    np.testing.assert_array_equal(res.heatmap, ref.heatmap)


def test_efficientnet_lite0_real_weights():
    from cnnvis.images import load_image
    from cnnvis.pretrained import pretrained
    net = pretrained("efficientnet-lite0")
    x = net.preprocess(load_image("dog", size=(224, 224)))
    kwargs = dict(target="predicted", patch=48, stride=44, progress=False)  # 5x5 positions
    fast = occlusion(net, x, **kwargs)
    slow = occlusion(net, x, method="naive", **kwargs)
    assert np.abs(fast.heatmap - slow.heatmap).max() <= TOL  # probabilities: scale 1
    assert slow.heatmap.max() > 0.01  # hiding part of the dog lowers its probability
    assert 0 < fast.info["flop_ratio_exact"] < 1

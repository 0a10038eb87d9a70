"""The GPU backend's code (engine/gpu_kernels.py, written for CuPy and NumPy alike) run on the CPU
with NumPy arrays: every operation against the CPU kernels, and whole networks and methods with
every operation routed through it. tests/test_gpu.py runs the same on a real GPU."""
import numpy as np
import pytest

import cnnvis
from cnnvis.engine import gpu_kernels as G
from cnnvis.engine import ops
from cnnvis.layers import RULES
from cnnvis.methods import gradcam, guided_backprop
from cnnvis.methods.occlusion import occlusion

CONVS = [((2, 3, 9, 11), 4, 3, 1, (1, 1, 1, 1)), ((2, 5, 10, 10), 6, 3, 2, (0, 1, 2, 0)),
         ((1, 4, 6, 6), 3, 5, 1, (2, 2, 2, 2)), ((2, 3, 8, 8), 2, 1, 1, (0, 0, 0, 0))]


@pytest.mark.parametrize("shape,out,k,stride,pad", CONVS)
def test_conv_matches_cpu(rng, shape, out, k, stride, pad):
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1], k, k))
    b = rng.standard_normal(out)
    # float64, |values| up to ~30: one GEMM against Winograd or chunked GEMMs sums in another
    # order; measured up to 2.3e-14, so 1e-12 leaves room for rounding and none for a bug
    y = G.conv2d_forward(x, w, b, (stride, stride), pad)
    assert np.allclose(y, ops.conv2d_forward(x, w, b, (stride, stride), pad), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    s = (stride, stride)
    ours = (G.conv2d_input_grad(g, x.shape, w, s, pad), *G.conv2d_param_grads(g, x, w.shape, s, pad))
    ref = (ops.conv2d_input_grad(g, x.shape, w, s, pad), *ops.conv2d_param_grads(g, x, w.shape, s, pad))
    for a, r in zip(ours, ref):
        assert np.allclose(a, r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel,stride,pad", [((2, 2), (2, 2), (0, 0, 0, 0)), ((3, 3), (2, 2), (1, 1, 1, 1)),
                                               ((3, 2), (1, 2), (1, 1, 0, 0))])
def test_pool_matches_cpu(rng, kernel, stride, pad):
    x = rng.standard_normal((2, 3, 7, 9))
    x[0, 0, :2, :2] = 1.0  # a tie: the first maximum wins on both
    y, s = G.maxpool2d_forward(x, kernel, stride, pad)
    y2, s2 = ops.maxpool2d_forward(x, kernel, stride, pad)
    assert np.array_equal(y, y2) and np.array_equal(s, s2)
    g = rng.standard_normal(y.shape)
    # the same switches route the same g's; only the order of the (at most 4) additions into an
    # input of overlapping windows may differ (measured: none), far below allclose's 1e-5
    assert np.allclose(G.maxpool2d_backward(g, s, x.shape), ops.maxpool2d_backward(g, s2, x.shape))


@pytest.mark.parametrize("kernel,stride,pad", [((3, 3), (2, 2), (1, 1, 1, 1)), ((2, 2), (2, 2), (0, 0, 0, 0))])
def test_pool_switches_at_infinities_and_nans_match_cpu(kernel, stride, pad):
    # A window of -inf (padding is -inf too) must still point at one of its inputs, never at
    # the padding; of several NaNs the last wins, as in the CPU kernel and PyTorch.
    x = np.full((1, 2, 4, 4), -np.inf)
    x[0, 1] = 0.0
    x[0, 1, 0, :2] = x[0, 1, 1, :2] = x[0, 1, 3, 3] = np.nan
    y, s = G.maxpool2d_forward(x, kernel, stride, pad)
    y2, s2 = ops.maxpool2d_forward(x, kernel, stride, pad)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(s, s2)
    g = np.ones(y.shape)
    np.testing.assert_array_equal(G.maxpool2d_backward(g, s, x.shape), ops.maxpool2d_backward(g, s2, x.shape))


@pytest.mark.parametrize("top", [np.inf, 6.0])  # ReLU, ReLU6
def test_relu_rules_match_cpu(rng, top):
    x = 5 * rng.standard_normal((3, 4, 5))
    g = rng.standard_normal(x.shape)
    y = ops.relu_forward(x, top)
    assert np.array_equal(G.relu_forward(x, top), y)
    for rule in RULES:
        assert np.array_equal(G.relu_backward(g, y, rule, top), ops.relu_backward(g, y, rule, top))


def test_channel_affine_matches_cpu(rng):
    x, s, t = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(3), rng.standard_normal(3)
    assert np.allclose(G.channel_affine(x, s, t), ops.channel_affine(x, s, t), rtol=1e-15, atol=1e-15)


@pytest.fixture
def through_gpu_code(monkeypatch):
    """Route every engine operation through gpu_kernels, as a cupy array would be; count calls."""
    calls = []

    class Counting:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(G, name)

    monkeypatch.setattr(ops, "is_gpu_array", lambda a: True)
    monkeypatch.setattr(ops, "_gpu", lambda: Counting())
    return calls


def test_network_and_methods_through_gpu_code(rng, through_gpu_code, monkeypatch):
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 16, 16), classes=3, seed=1)
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    with_gpu_code = (net.forward(x), guided_backprop(net, x, 1), gradcam(net, x, 2),
                     occlusion(net, x, 0, 4, 3, progress=False).heatmap)
    assert {"conv2d_forward", "conv2d_input_grad", "maxpool2d_forward", "maxpool2d_backward",
            "relu_forward", "relu_backward"} <= set(through_gpu_code)
    monkeypatch.setattr(ops, "is_gpu_array", cnnvis.engine.is_gpu_array)  # now the CPU kernels
    reference = (net.forward(x), guided_backprop(net, x, 1), gradcam(net, x, 2),
                 occlusion(net, x, 0, 4, 3, progress=False).heatmap)
    for a, r in zip(with_gpu_code, reference):
        a, r = np.asarray(getattr(a, "attributions", a)), np.asarray(getattr(r, "attributions", r))
        # float32 through a small VGG, GEMM against Winograd: measured max |diff| 6e-7 on values up
        # to 1 (6e-6 relative); atol for the entries near 0 (Grad-CAM's, occlusion's differences)
        assert np.allclose(a, r, rtol=1e-4, atol=1e-5)

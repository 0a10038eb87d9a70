"""AvgPool2D against PyTorch autograd (forward and input gradient, float32 and float64), by
central differences (cnnvis.gradcheck), and its traits.

Tolerances: a window's mean sums the same few numbers as PyTorch's kernel in another order,
so the two agree to rounding: float32 1e-6, float64 1e-13 relative (conftest.rel_err).
The torch side is the layer's own torch_module (the mirror `cnnvis verify` uses): nn.AvgPool2d
for symmetric padding, padded window sums over counts otherwise.
"""
import numpy as np
import pytest

from conftest import rel_err
from cnnvis.errors import InputError
from cnnvis.gradcheck import gradcheck_layer
from cnnvis.graph import Network
from cnnvis.layers import LAYER_TYPES, AvgPool2D, Conv2D, Dense, Flatten, ReLU
from cnnvis.methods.occlusion import occlusion
from cnnvis.methods.occlusion_plan import make_plan
from cnnvis.verify.torch_mirror import torch_layer

TOL = {np.float32: 1e-6, np.float64: 1e-13}
POOLS = [  # (kernel, stride, padding, count_include_pad, ceil_mode, H, W)
    (2, None, 0, True, False, 8, 8),              # stride defaults to the kernel
    (3, 2, 1, True, False, 9, 10),
    (3, 2, 1, False, False, 9, 10),               # padding not counted (ONNX's default)
    (3, 2, 1, True, True, 10, 10),                # a ceil-mode window past the padding
    (3, 2, 1, False, True, 10, 10),
    ((2, 3), (1, 2), (1, 0, 0, 1), True, False, 7, 8),   # asymmetric padding
    (3, 2, (0, 1, 1, 0), False, False, 8, 9),     # asymmetric, not counted
    (3, 2, (1, 0, 0, 1), True, True, 8, 9),       # asymmetric, ceil mode
    (3, 2, "same", False, False, 8, 9),           # Keras's / TensorFlow's 'same'
    (2, 1, "same", True, False, 5, 6),
]


def run(torch, layer, x, g, dtype):
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    xt = torch.tensor(x.astype(dtype), requires_grad=True)
    yt = torch_layer(layer).to(tdtype)(xt)
    yt.backward(torch.tensor(g.astype(dtype)))
    y, cache = layer.forward(x.astype(dtype))
    (dx,) = layer.backward(g.astype(dtype), cache)
    return (y, yt.detach().numpy()), (dx, xt.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, s, pad, include, ceil, h, w", POOLS)
def test_against_torch(torch, record_property, dtype, k, s, pad, include, ceil, h, w):
    layer = AvgPool2D(k, s, pad, count_include_pad=include, ceil_mode=ceil, name="pool")
    rng = np.random.default_rng(h * w)
    x = rng.standard_normal((2, 3, h, w))
    g = rng.standard_normal((2,) + layer.output_shape((3, h, w)))
    for what, (ours, theirs) in zip(("forward", "input grad"), run(torch, layer, x, g, dtype)):
        err = rel_err(ours, theirs)
        record_property(f"{what} rel", err)
        assert ours.shape == theirs.shape and ours.dtype == dtype, what
        assert err <= TOL[dtype], f"{what}: rel {err:.2e}"


@pytest.mark.parametrize("k, s, pad, include, ceil, h, w", POOLS)
def test_gradcheck(k, s, pad, include, ceil, h, w):
    layer = AvgPool2D(k, s, pad, count_include_pad=include, ceil_mode=ceil)
    result = gradcheck_layer(layer, (2, 2, h, w))
    assert result.passed(1e-6), result.table(entries=5)


def test_default_layer_gradchecks_by_name():
    assert "AvgPool2D" in LAYER_TYPES
    assert gradcheck_layer("avgpool2d").passed(1e-6)


def test_traits_and_config_round_trip():
    layer = AvgPool2D(3, 2, (0, 1, 1, 0), count_include_pad=False, ceil_mode=True, name="p")
    assert layer.extent == "window" and not layer.rectifier and layer.pad_value == 0.0
    assert layer.window(8, 9).pads == (0, 1, 1, 0)
    again = AvgPool2D(**layer.config())
    assert again.config() == layer.config()
    assert layer.output_shape((4, 8, 9)) == (4, 4, 5)


def test_forward_padded_only_where_zero_padding_is_exact():
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 7)).astype(np.float32)
    exact = AvgPool2D(3, 2, 1)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    assert np.array_equal(exact.forward_padded(padded), exact.forward(x)[0])
    assert AvgPool2D(3, 2, 1, count_include_pad=False).forward_padded is None
    assert AvgPool2D(3, 2, 1, ceil_mode=True).forward_padded is None


@pytest.mark.parametrize("include, ceil", [(True, False), (False, False), (True, True)])
def test_incremental_occlusion_equals_naive_through_a_pool(include, ceil):
    # exact pools are recomputed on padded slabs (forward_padded), the others on whole maps
    rng = np.random.default_rng(3)
    layers = [Conv2D(3, 4, 3, padding=1, name="conv", rng=rng), ReLU(name="relu"),
              AvgPool2D(3, 2, 1, count_include_pad=include, ceil_mode=ceil, name="pool"),
              Conv2D(4, 4, 3, padding=(0, 1, 1, 0), name="conv2", rng=rng), Flatten(name="flatten")]
    shapes = Network(layers, (3, 17, 18)).output_shapes()
    net = Network(layers + [Dense(int(np.prod(shapes["flatten"])), 3, name="fc", rng=rng)], (3, 17, 18))
    plan = make_plan(net, (17, 18), (4, 4), (3, 3))
    assert (plan.ranges["pool"] is not None) == (include and not ceil)
    x = rng.standard_normal((1, 3, 17, 18)).astype(np.float32)
    naive = occlusion(net, x, 1, 4, 3, score="logit", method="naive", progress=False)
    incr = occlusion(net, x, 1, 4, 3, score="logit", batch_size=5, progress=False)
    assert np.abs(naive.heatmap - incr.heatmap).max() <= 1e-5 * max(1.0, np.abs(naive.clean_scores).max())


@pytest.mark.parametrize("kernel, padding", [(3, 2), ((2, 4), (0, 0, 3, 0)), (0, 0)])
def test_refuses_bad_geometry(kernel, padding):
    with pytest.raises(InputError):
        AvgPool2D(kernel, padding=padding)


def test_refuses_an_input_smaller_than_the_window():
    with pytest.raises(InputError, match="smaller than its 3x3 window"):
        AvgPool2D(3).forward(np.zeros((1, 1, 2, 2), np.float32))

"""Each layer's forward, input gradient and parameter gradients against PyTorch autograd.

The torch side is built by cnnvis.verify.torch_mirror.torch_layer (so the mirror used by
`cnnvis verify` is tested too) with the same weights, in float32 and float64. Errors are
rel = max|ours - torch| / max|torch| per tensor (conftest.rel_err); each test records
its measured values with record_property (see them with --junitxml).

Tolerances, by what the layer computes:
  * conv, dense and softmax sum products in another order than PyTorch's kernels (and
    Winograd transforms the operands), so they agree to rounding: float32 5e-6, float64
    1e-13 relative (worst measured here: 6e-7 and 3e-15, both softmax's gradient);
  * ReLU, max-pool, flatten and dropout only select, copy or scale values, so they must
    be bit-identical to PyTorch (the max-pool switches equal torch's indices exactly).
"""
import numpy as np
import pytest

from conftest import rel_err
from cnnvis.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
from cnnvis.verify.torch_mirror import torch_layer

TOL = {np.float32: 5e-6, np.float64: 1e-13}  # see the module docstring
DTYPES = [np.float32, np.float64]


def run_torch(torch, module, x, g, dtype):
    """(y, dx, {param: grad}) of ``module`` at x with seed g, by autograd."""
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    module = module.to(tdtype)
    xt = torch.tensor(x, dtype=tdtype, requires_grad=True)
    y = module(xt)
    y.backward(torch.tensor(g, dtype=tdtype))
    grads = {name.split(".")[-1]: p.grad.numpy() for name, p in module.named_parameters()}
    return y.detach().numpy(), xt.grad.numpy(), grads


def run_ours(layer, x, g, dtype):
    """(y, dx, {param: grad}) of our layer: y, cache = forward(x); backward and param_grads."""
    layer.astype(dtype)
    y, cache = layer.forward(x.astype(dtype))
    (dx,) = layer.backward(g.astype(dtype), cache)
    return y, dx, layer.param_grads(g.astype(dtype), cache)


def compare(record_property, what, ours, theirs, tol):
    err = rel_err(ours, theirs)
    abs_err = float(np.abs(np.asarray(ours, np.float64) - np.asarray(theirs, np.float64)).max())
    record_property(f"{what} abs", abs_err)
    record_property(f"{what} rel", err)
    assert ours.shape == theirs.shape, what
    assert err <= tol, f"{what}: rel {err:.3e} > {tol:.0e} (abs {abs_err:.3e})"


CONVS = [  # (in, out, kernel, stride, padding, H, W): every path of engine/ops.py
    (3, 8, 3, 1, 1, 9, 10),             # Winograd, RGB (a first layer)
    (16, 8, 3, 1, 1, 9, 10),            # Winograd
    (16, 8, 3, 1, (1, 0, 2, 1), 8, 7),  # Winograd, asymmetric padding (ZeroPad2d in torch)
    (8, 6, 3, 2, 1, 9, 9),              # im2col, stride 2
    (8, 6, 5, (1, 2), (2, 1, 0, 2), 9, 11),  # im2col, 5x5, mixed stride, asymmetric padding
    (12, 6, 1, 1, 0, 6, 6),             # 1x1 im2col
    (40, 6, 1, 2, 0, 7, 6),             # 1x1 stride 2 im2col
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c, o, k, s, pad, h, w", CONVS)
def test_conv2d(torch, record_property, conv_algorithm, dtype, c, o, k, s, pad, h, w):
    rng = np.random.default_rng(c + o + k)
    layer = Conv2D(c, o, k, s, pad, rng=rng)
    layer.params["bias"] = rng.standard_normal(o).astype(np.float32)
    x = rng.standard_normal((2, c, h, w))
    yshape = (2,) + layer.output_shape((c, h, w))
    g = rng.standard_normal(yshape)
    y, dx, grads = run_ours(layer, x, g, dtype)
    ty, tdx, tgrads = run_torch(torch, torch_layer(layer), x, g, dtype)
    tol = TOL[dtype]
    compare(record_property, "forward", y, ty, tol)
    compare(record_property, "input grad", dx, tdx, tol)
    compare(record_property, "weight grad", grads["weight"], tgrads["weight"], tol)
    compare(record_property, "bias grad", grads["bias"], tgrads["bias"], tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense(torch, record_property, dtype):
    rng = np.random.default_rng(0)
    layer = Dense(300, 40, rng=rng)
    layer.params["bias"] = rng.standard_normal(40).astype(np.float32)
    x, g = rng.standard_normal((3, 300)), rng.standard_normal((3, 40))
    y, dx, grads = run_ours(layer, x, g, dtype)
    ty, tdx, tgrads = run_torch(torch, torch_layer(layer), x, g, dtype)
    for what, a, b in [("forward", y, ty), ("input grad", dx, tdx),
                       ("weight grad", grads["weight"], tgrads["weight"]),
                       ("bias grad", grads["bias"], tgrads["bias"])]:
        compare(record_property, what, a, b, TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax(torch, record_property, dtype):
    rng = np.random.default_rng(1)
    x, g = 5 * rng.standard_normal((4, 10)), rng.standard_normal((4, 10))
    y, dx, _ = run_ours(Softmax(), x, g, dtype)
    ty, tdx, _ = run_torch(torch, torch_layer(Softmax()), x, g, dtype)
    compare(record_property, "forward", y, ty, TOL[dtype])
    compare(record_property, "input grad", dx, tdx, TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu(torch, dtype):
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((2, 3, 5, 7)), rng.standard_normal((2, 3, 5, 7))
    x[0, 0, 0, :4] = 0.0  # at the kink both take the derivative 0
    x[1, 2, 4, :2] = np.nan  # NaN passes through the forward in both
    y, dx, _ = run_ours(ReLU(), x, g, dtype)
    ty, tdx, _ = run_torch(torch, torch_layer(ReLU()), x, g, dtype)
    np.testing.assert_array_equal(y, ty)  # equal_nan is the default of assert_array_equal
    # At a NaN input torch passes g (its test is "x <= 0 -> 0"); we apply DESIGN.md's
    # g * (x > 0), which drops it. Everywhere else the two are identical.
    finite = ~np.isnan(x)
    np.testing.assert_array_equal(dx[finite], tdx[finite])
    assert np.all(dx[~finite] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_flatten(torch, dtype):
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 60))
    y, dx, _ = run_ours(Flatten(), x, g, dtype)
    ty, tdx, _ = run_torch(torch, torch_layer(Flatten()), x, g, dtype)
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(dx, tdx)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout(torch, dtype):
    rng = np.random.default_rng(4)
    x, g = rng.standard_normal((4, 200)), rng.standard_normal((4, 200))
    layer = Dropout(0.25)
    y, dx, _ = run_ours(layer, x, g, dtype)  # inference: the identity, as torch's in eval()
    ty, tdx, _ = run_torch(torch, torch_layer(layer).eval(), x, g, dtype)
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(dx, tdx)
    # training: torch draws its own mask, so compare with x * mask (the mask is the cache)
    y, mask = layer.forward_train(x.astype(dtype), rng=np.random.default_rng(3))
    (dx,) = layer.backward(g.astype(dtype), mask)
    assert set(np.unique(mask).tolist()) == {0.0, np.asarray(1 / 0.75, dtype).item()}
    kept = np.mean(mask > 0)
    assert abs(kept - 0.75) < 0.06  # 800 Bernoulli(0.75) draws: sd 0.015, so 4 sd
    ty, tdx, _ = _torch_times_mask(torch, x, g, mask)
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(dx, tdx)


def _torch_times_mask(torch, x, g, mask):
    xt = torch.tensor(x.astype(mask.dtype), requires_grad=True)
    y = xt * torch.tensor(mask)
    y.backward(torch.tensor(g.astype(mask.dtype)))
    return y.detach().numpy(), xt.grad.numpy(), {}


POOLS = [  # (kernel, stride, padding, H, W); torch needs symmetric padding
    (2, 2, 0, 8, 8),        # VGG's (the 2x2 fast path)
    (2, 2, 0, 7, 9),        # odd sizes
    (3, 2, 0, 9, 8),        # overlapping
    (3, 2, 1, 8, 9),        # padded
    (3, 1, 1, 6, 6),        # stride 1
    ((3, 2), (2, 1), (1, 0), 7, 6),  # rectangular
]


def pool_inputs(rng, shape):
    """Random values; ReLU'd (ties at 0); small integers (many ties); NaN; -inf."""
    x = rng.standard_normal(shape)
    nan, inf = x.copy(), x.copy()
    nan[rng.random(shape) < 0.15] = np.nan
    inf[rng.random(shape) < 0.4] = -np.inf
    return {"random": x, "after relu": np.maximum(x, 0), "integers": rng.integers(0, 3, shape) * 1.0,
            "nan": nan, "-inf": inf, "constant": np.zeros(shape)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k, s, pad, h, w", POOLS)
def test_maxpool2d_switches_and_gradient(torch, dtype, k, s, pad, h, w):
    # Ties (ReLU's zeros, integers, constants) go to the first maximum in row-major order and
    # NaN wins, as in PyTorch's CPU kernel; so switches equal torch's return_indices exactly.
    import torch.nn.functional as F
    rng = np.random.default_rng(5)
    for kind, x in pool_inputs(rng, (2, 3, h, w)).items():
        layer = MaxPool2D(k, s, pad)
        x = x.astype(dtype)
        y, cache = layer.forward(x)
        xt = torch.tensor(x, requires_grad=True)
        ty, idx = F.max_pool2d(xt, k, s, pad, return_indices=True)
        np.testing.assert_array_equal(y, ty.detach().numpy(), err_msg=kind)
        np.testing.assert_array_equal(cache[0], idx.numpy(), err_msg=kind)  # the switches
        g = rng.standard_normal(y.shape).astype(dtype)
        ty.backward(torch.tensor(g))
        (dx,) = layer.backward(g, cache)
        # overlapping windows add two g's into one entry: the same two, possibly in another order
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=TOL[dtype], atol=0, err_msg=kind)


@pytest.mark.parametrize("layer", [MaxPool2D(2, padding=(0, 1, 0, 1)), MaxPool2D(3, 2, padding="same"),
                                   Conv2D(3, 4, 3, 2, padding="same"), Conv2D(3, 4, 5, 2, padding="same")])
def test_asymmetric_and_same_padding_mirrored(torch, layer):
    # torch's pooling and conv pad symmetrically: the mirror pads first (-inf for max-pooling)
    x = np.random.default_rng(6).standard_normal((2, 3, 9, 8))
    y, _ = layer.astype(np.float64).forward(x)
    ty = torch_layer(layer).to(torch.float64)(torch.from_numpy(x)).detach().numpy()
    assert y.shape == ty.shape
    np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-12)


def test_layers_without_a_mirror_are_input_errors():
    from cnnvis.errors import InputError
    from cnnvis.layers import Layer
    with pytest.raises(InputError, match="no PyTorch counterpart for Layer"):
        torch_layer(Layer(name="custom"))

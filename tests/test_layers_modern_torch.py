"""The modern layers against PyTorch autograd, float32 and float64: forward, every input
gradient and the parameter gradients (issue 18 item 11).

BatchNorm2d at inference and in training (batch statistics, the input gradient, dgamma and
dbeta, and the running mean / variance after one and after several steps, with PyTorch's
default eps and momentum and with EfficientNet's, against torch.nn.BatchNorm2d in train());
grouped / depthwise / dilated / bias-free / TF-'same' convolutions; Add of three inputs,
Concat, Multiply with a broadcast (N, C, 1, 1) gate; GlobalAveragePool2D with and without
keepdims; ReLU6 on [-10, 10] (both kinks hit, 0 and 6 exactly too), SiLU and Sigmoid (at
|x| = 1000 too, where a naive exp overflows) and Identity.

The torch side is cnnvis.verify.torch_mirror.torch_layer(layer) (the modules the mirror and
`cnnvis verify` use) with the same arrays. Errors are rel = max|ours - torch| / max|torch|
(conftest.rel_err), recorded per tensor with record_property (see --junitxml).

Tolerances, as tests/test_layers_torch.py's, by what the layer computes:
  * convolutions, batch norm, global pooling, SiLU and Sigmoid round differently from
    PyTorch (other summation orders, exp evaluated another way): float32 5e-6 and float64
    1e-13 relative. Worst measured: float32 4e-7 (the dilated and grouped convs' weight and
    bias gradients, sums over N, H, W; batch norm 2e-7), float64 1.4e-15 (the same);
  * Add, Concat, Multiply, ReLU6 and Identity add, copy, multiply or select the same
    values in the same way, so they are compared for equality (Add's three inputs summed
    left to right as torch's x0 + x1 + x2; the broadcast gate's gradient is a sum over
    H, W in another order: 5e-6 / 1e-13 there).
"""
import numpy as np
import pytest

from conftest import rel_err
from cnnvis.layers import (Add, BatchNorm2d, Concat, Conv2D, GlobalAveragePool2D, Identity,
                           Multiply, ReLU6, Sigmoid, SiLU)
from cnnvis.verify.torch_mirror import torch_layer

TOL = {np.float32: 5e-6, np.float64: 1e-13}  # see the module docstring
DTYPES = [np.float32, np.float64]


def tdtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def run_torch(torch, module, xs, g, dtype):
    """(y, [dx per input], {param: grad}) of ``module`` at inputs xs with seed g, by autograd."""
    module = module.to(tdtype(torch, dtype))
    xts = [torch.tensor(x, dtype=tdtype(torch, dtype), requires_grad=True) for x in xs]
    y = module(*xts)
    y.backward(torch.tensor(g, dtype=tdtype(torch, dtype)))
    grads = {name.split(".")[-1]: p.grad.numpy() for name, p in module.named_parameters()}
    return y.detach().numpy(), [xt.grad.numpy() for xt in xts], grads


def run_ours(layer, xs, g, dtype, training=False):
    """(y, [dx per input], {param: grad}) of our layer (inference or training forward)."""
    layer.astype(dtype)
    xs = [x.astype(dtype) for x in xs]
    y, cache = layer.forward_train(*xs, rng=None) if training else layer.forward(*xs)
    dxs = layer.backward(g.astype(dtype), cache)
    return y, list(dxs), layer.param_grads(g.astype(dtype), cache)


def compare(record_property, what, ours, theirs, tol):
    err = rel_err(ours, theirs)
    abs_err = float(np.abs(np.asarray(ours, np.float64) - np.asarray(theirs, np.float64)).max())
    record_property(f"{what} abs", abs_err)
    record_property(f"{what} rel", err)
    assert np.shape(ours) == np.shape(theirs), what
    assert err <= tol, f"{what}: rel {err:.3e} > {tol:.0e} (abs {abs_err:.3e})"


def compare_all(record_property, ours, theirs, tol):
    """Output, each input gradient and each parameter gradient; tol None: bit-identical."""
    (y, dxs, grads), (ty, tdxs, tgrads) = ours, theirs
    pairs = [("forward", y, ty)] + [(f"input{k} grad", a, b) for k, (a, b) in enumerate(zip(dxs, tdxs))]
    assert sorted(grads) == sorted(tgrads)
    pairs += [(f"{name} grad", grads[name], tgrads[name]) for name in sorted(grads)]
    for what, a, b in pairs:
        if tol is None:
            assert a.dtype == b.dtype, what
            np.testing.assert_array_equal(a, b, err_msg=what)
        else:
            assert a.dtype == b.dtype, what
            compare(record_property, what, a, b, tol)


def both(torch, layer, xs, g, dtype, training=False):
    """Ours and torch's (y, dxs, grads); the torch module built before our pass."""
    module = torch_layer(layer.astype(dtype))
    module.train(training)
    return run_ours(layer, xs, g, dtype, training), run_torch(torch, module, xs, g, dtype)


# ---- BatchNorm2d ------------------------------------------------------------------------
def batchnorm(c, eps=1e-5, momentum=0.1, seed=0):
    rng = np.random.default_rng(seed)
    layer = BatchNorm2d(c, eps=eps, momentum=momentum)
    layer.params = {"weight": rng.uniform(0.5, 2, c), "bias": rng.uniform(-1, 1, c)}
    layer.buffers = {"running_mean": rng.uniform(-1, 1, c), "running_var": rng.uniform(0.5, 2, c)}
    return layer


BN_SETTINGS = [(1e-5, 0.1), (1e-3, 0.01)]  # PyTorch's defaults; EfficientNet-Lite0's


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps, momentum", BN_SETTINGS)
def test_batchnorm_inference(torch, record_property, dtype, eps, momentum):
    rng = np.random.default_rng(1)
    layer = batchnorm(5, eps, momentum)
    x = 3 * rng.standard_normal((2, 5, 6, 7)) + 1
    g = rng.standard_normal(x.shape)
    ours, theirs = both(torch, layer, [x], g, dtype)
    compare_all(record_property, ours, theirs, TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps, momentum", BN_SETTINGS)
def test_batchnorm_training_step(torch, record_property, dtype, eps, momentum):
    # one training forward and backward: batch statistics, dx, dgamma, dbeta, running stats
    rng = np.random.default_rng(2)
    layer = batchnorm(5, eps, momentum)
    x = 3 * rng.standard_normal((3, 5, 4, 6)) + 2  # off-centre, so mean and var both matter
    g = rng.standard_normal(x.shape)
    module = torch_layer(layer.astype(dtype)).train()
    ours = run_ours(layer, [x], g, dtype, training=True)
    theirs = run_torch(torch, module, [x], g, dtype)
    compare_all(record_property, ours, theirs, TOL[dtype])
    for key in ("running_mean", "running_var"):
        assert layer.buffers[key].dtype == dtype
        compare(record_property, key, layer.buffers[key], getattr(module, key).numpy(), TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps, momentum", BN_SETTINGS)
def test_batchnorm_running_statistics_over_steps(torch, record_property, dtype, eps, momentum):
    # five steps on different batches (and batch sizes): the running mean and the unbiased
    # running variance follow PyTorch's after every step
    rng = np.random.default_rng(3)
    layer = batchnorm(4, eps, momentum).astype(dtype)
    module = torch_layer(layer).to(tdtype(torch, dtype)).train()
    for step, n in enumerate([2, 3, 1, 4, 2]):
        x = (rng.uniform(0.5, 3) * rng.standard_normal((n, 4, 5, 3)) + rng.uniform(-2, 2)).astype(dtype)
        y, _ = layer.forward_train(x, rng=None)
        with torch.no_grad():
            ty = module(torch.from_numpy(x)).numpy()
        compare(record_property, f"step {step} forward", y, ty, TOL[dtype])
        for key in ("running_mean", "running_var"):
            compare(record_property, f"step {step} {key}", layer.buffers[key],
                    getattr(module, key).numpy(), TOL[dtype])
    assert int(module.num_batches_tracked) == 5
    # after training, inference uses the moved statistics in both
    x = rng.standard_normal((2, 4, 5, 3)).astype(dtype)
    module.eval()
    with torch.no_grad():
        compare(record_property, "inference after steps", layer.forward(x)[0],
                module(torch.from_numpy(x)).numpy(), TOL[dtype])


# ---- Conv2D ---------------------------------------------------------------------------------
CONVS = {  # id: (Conv2D kwargs, input shape)
    "groups 2": (dict(in_channels=6, out_channels=4, kernel_size=3, padding=1, groups=2), (2, 6, 9, 8)),
    "depthwise": (dict(in_channels=8, out_channels=8, kernel_size=3, padding=1, groups=8), (2, 8, 9, 10)),
    "depthwise stride 2": (dict(in_channels=8, out_channels=8, kernel_size=3, stride=2, padding=1,
                                groups=8), (2, 8, 9, 10)),
    "channel multiplier 2": (dict(in_channels=4, out_channels=8, kernel_size=3, padding=1, groups=4),
                             (2, 4, 7, 7)),
    "dilation 2": (dict(in_channels=3, out_channels=5, kernel_size=3, padding=2, dilation=2), (2, 3, 9, 8)),
    "no bias": (dict(in_channels=4, out_channels=6, kernel_size=1, bias=False), (2, 4, 6, 5)),
    "same stride 2 even": (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same"),
                           (2, 3, 10, 8)),
    "same stride 2 odd": (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same"),
                          (2, 3, 9, 11)),
    "same 5x5 stride 2 depthwise": (dict(in_channels=6, out_channels=6, kernel_size=5, stride=2,
                                         padding="same", groups=6, bias=False), (2, 6, 11, 10)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CONVS))
def test_conv2d_modern(torch, record_property, conv_algorithm, dtype, case):
    kwargs, shape = CONVS[case]
    rng = np.random.default_rng(4)
    layer = Conv2D(**kwargs, rng=rng)
    if "bias" in layer.params:
        layer.params["bias"] = rng.standard_normal(layer.out_channels).astype(np.float32)
    x = rng.standard_normal(shape)
    g = rng.standard_normal((shape[0],) + layer.output_shape(shape[1:]))
    ours, theirs = both(torch, layer, [x], g, dtype)
    assert sorted(ours[2]) == (["bias", "weight"] if kwargs.get("bias", True) else ["weight"])
    compare_all(record_property, ours, theirs, TOL[dtype])


def test_same_padding_sizes(torch):
    # TensorFlow's 'same' on stride 2: ceil(H / 2) outputs, the odd pixel of padding at the
    # end (bottom/right): the mirror pads (0, 1) on an even size and (1, 1) on an odd one
    layer = Conv2D(1, 1, 3, 2, "same")
    assert layer.pads(10, 9) == (0, 1, 1, 1)
    assert layer.output_shape((1, 10, 9)) == (1, 5, 5)


# ---- merges -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_three_inputs(torch, record_property, dtype):
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal((2, 3, 4, 5)) for _ in range(3)]
    g = rng.standard_normal((2, 3, 4, 5))
    ours, theirs = both(torch, Add(), xs, g, dtype)
    compare_all(record_property, ours, theirs, None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [[(2, 2, 4, 3), (2, 5, 4, 3), (2, 1, 4, 3)], [(3, 4), (3, 6)]],
                         ids=["maps", "vectors"])
def test_concat(torch, record_property, dtype, shapes):
    rng = np.random.default_rng(6)
    xs = [rng.standard_normal(s) for s in shapes]
    g = rng.standard_normal((shapes[0][0], sum(s[1] for s in shapes)) + tuple(shapes[0][2:]))
    ours, theirs = both(torch, Concat(), xs, g, dtype)
    compare_all(record_property, ours, theirs, None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [[(2, 3, 4, 5), (2, 3, 1, 1)], [(2, 3, 1, 1), (2, 3, 4, 5)],
                                    [(2, 3, 4, 5), (2, 3, 4, 5)]],
                         ids=["gate", "gate first", "same shape"])
def test_multiply_broadcasting(torch, record_property, dtype, shapes):
    rng = np.random.default_rng(7)
    xs = [rng.standard_normal(s) for s in shapes]
    g = rng.standard_normal((2, 3, 4, 5))
    (y, dxs, _), (ty, tdxs, _) = both(torch, Multiply(), xs, g, dtype)
    np.testing.assert_array_equal(y, ty)
    for k, (a, b, shape) in enumerate(zip(dxs, tdxs, shapes)):
        assert a.shape == shape
        if shape == (2, 3, 1, 1):  # summed over H, W: another order than torch's
            compare(record_property, f"input{k} grad", a, b, TOL[dtype])
        else:
            np.testing.assert_array_equal(a, b)


# ---- pooling, identity ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pool(torch, record_property, dtype, keepdims):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 6, 7, 5)) + 1
    g = rng.standard_normal((2, 6, 1, 1) if keepdims else (2, 6))
    ours, theirs = both(torch, GlobalAveragePool2D(keepdims=keepdims), [x], g, dtype)
    compare_all(record_property, ours, theirs, TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_identity(torch, record_property, dtype):
    rng = np.random.default_rng(9)
    x, g = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 4, 5))
    ours, theirs = both(torch, Identity(), [x], g, dtype)
    compare_all(record_property, ours, theirs, None)


# ---- activations ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu6(torch, record_property, dtype):
    rng = np.random.default_rng(10)
    x = rng.uniform(-10, 10, (2, 3, 8, 9))
    x.reshape(-1)[:6] = [0.0, 6.0, -0.0, 6.0, 0.0, 6.0]  # at both kinks exactly: derivative 0 in both
    g = rng.standard_normal(x.shape)
    ours, theirs = both(torch, ReLU6(), [x], g, dtype)
    assert (x > 6).sum() > 50 and (x < 0).sum() > 50  # both flat parts are really visited
    compare_all(record_property, ours, theirs, None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", [SiLU(), Sigmoid()], ids=["SiLU", "Sigmoid"])
def test_smooth_activations(torch, record_property, dtype, layer):
    rng = np.random.default_rng(11)
    x = 4 * rng.standard_normal((2, 3, 6, 7))
    x.reshape(-1)[:6] = [1000.0, -1000.0, 100.0, -100.0, 0.0, -30.0]  # exp(1000) overflows naively
    g = rng.standard_normal(x.shape)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ours, theirs = both(torch, layer, [x], g, dtype)
    assert np.all(np.isfinite(ours[0])) and np.all(np.isfinite(ours[1][0]))
    compare_all(record_property, ours, theirs, TOL[dtype])


def test_float64_arrays_reach_torch_unrounded(torch):
    # torch modules are created float32; a float64 layer's arrays must not pass through that
    # (the mirror of a float64 network would otherwise hold float32-rounded weights)
    layer = batchnorm(3).astype(np.float64)
    layer.params["weight"] = np.array([1 / 3, 1 / 7, 1 / 9])
    module = torch_layer(layer)
    assert module.weight.dtype == torch.float64
    np.testing.assert_array_equal(module.weight.detach().numpy(), layer.params["weight"])
    np.testing.assert_array_equal(module.running_var.numpy(), layer.buffers["running_var"])
    conv = Conv2D(2, 2, 3, 2, "same", rng=np.random.default_rng(0)).astype(np.float64)
    conv.params["weight"] /= 3
    np.testing.assert_array_equal(torch_layer(conv)[1].weight.detach().numpy(), conv.params["weight"])

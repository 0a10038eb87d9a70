"""engine/ops.py's convolutions (grouped, depthwise, dilated, without bias) and average pooling
against torch.nn.functional and autograd, forward and both gradients, on every CPU path
(conv_algorithm 'auto' and 'im2col'); then gpu_kernels' versions, run on NumPy, against them.

Errors are rel = max|ours - torch| / max|torch| per tensor (conftest.rel_err). Tolerances:
  * float64 1e-12: every path sums the same products as PyTorch in another order (and
    Winograd transforms the operands), so only rounding differs; measured up to 3e-15;
  * float32 1e-5: the same, at float32's 6e-8 per operation; a sum of K terms (K up to
    C/G*KH*KW = 49 for y and dx, N*Ho*Wo up to 3200 for dw and db) rounds differently by
    ~sqrt(K) ulps, and Winograd adds ~5e-7; measured up to 4e-7 (y), 3e-7 (dx), 2e-6 (dw
    of the 2048-term depthwise case), 1e-6 (db);
  * average pooling, 1e-6 in float32: the CPU kernel sums each window in PyTorch's order
    (forward measured bit-identical); dx adds up to 9 shares in another order, and
    gpu_kernels reduces windows in its own order (measured up to 2e-7 for both).
"""
import numpy as np
import pytest

from conftest import rel_err
from cnnvis.engine import gpu_kernels as G
from cnnvis.engine import ops, shapes

TOL = {np.float32: 1e-5, np.float64: 1e-12}  # see the module docstring
DTYPES = [np.float32, np.float64]

CONVS = [  # x shape, out channels, kernel, stride, pad (t, b, l, r), dilation, groups, bias
    ((2, 6, 9, 11), 6, 3, 1, (1, 1, 1, 1), 1, 6, True),          # depthwise 3x3 'same'
    ((3, 4, 10, 10), 4, 3, 2, (0, 1, 0, 1), 1, 4, True),         # depthwise 3x3 s2, TF 'same'
    ((1, 5, 12, 12), 5, 5, 1, (2, 2, 2, 2), 1, 5, True),         # depthwise 5x5, batch 1
    ((3, 5, 11, 13), 5, 5, 2, (1, 2, 1, 2), 1, 5, False),        # depthwise 5x5 s2, TF 'same', odd
    ((2, 3, 9, 9), 6, 3, 2, (1, 1, 1, 1), 1, 3, True),           # channel multiplier 2
    ((1, 4, 12, 12), 4, 3, 1, (2, 2, 2, 2), 2, 4, True),         # depthwise, dilation 2
    ((2, 3, 8, 9), 6, 3, (2, 1), (1, 0, 2, 1), (1, 2), 3, True),  # depthwise, mixed stride/dilation
    ((2, 32, 64, 64), 32, 3, 2, (0, 1, 0, 1), 1, 32, True),      # depthwise, large enough to split
    ((2, 8, 9, 9), 6, 3, 1, (1, 1, 1, 1), 1, 2, True),           # groups 2
    ((3, 8, 9, 10), 8, 3, 2, (1, 1, 1, 1), 1, 4, False),         # groups 4, stride 2
    ((2, 8, 7, 7), 12, 1, 1, (0, 0, 0, 0), 1, 4, True),          # grouped 1x1
    ((2, 3, 12, 11), 4, 3, 1, (2, 2, 2, 2), 2, 1, True),         # dilation 2
    ((1, 3, 13, 12), 4, 3, 2, (1, 2, 3, 0), (2, 3), 1, True),    # dilation (2, 3), asymmetric pad
    ((3, 8, 7, 9), 6, 1, 1, (0, 0, 0, 0), 1, 1, False),          # pointwise, no bias
    ((2, 32, 40, 40), 16, 1, 1, (0, 0, 0, 0), 1, 1, True),       # pointwise, large enough to split
    ((2, 8, 7, 9), 6, 1, 2, (0, 0, 0, 0), 1, 1, True),           # 1x1 stride 2 (a downsample)
    ((2, 4, 9, 8), 5, 3, 1, (1, 1, 1, 1), 1, 1, False),          # Winograd, no bias
    ((1, 3, 15, 14), 4, 7, 2, (3, 3, 3, 3), 1, 1, True),         # 7x7 s2 stem, batch 1
]
AUTO_PATHS = ["depthwise"] * 8 + ["im2col"] * 5 + ["pointwise"] * 2 + ["im2col", "winograd", "im2col"]


def pair(v):
    return (v, v) if isinstance(v, int) else v


def conv_case(rng, dtype, shape, out, k, stride, pad, dilation, groups, bias):
    """(x, w, b or None, stride, pad, dilation, groups) with random values."""
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out, shape[1] // groups, k, k)).astype(dtype)
    b = rng.standard_normal(out).astype(dtype) if bias else None
    return x, w, b, pair(stride), pad, pair(dilation), groups


def torch_conv(torch, x, w, b, stride, pad, dilation, groups, g):
    """(y, dx, dw, db or None) by PyTorch autograd; asymmetric padding by F.pad first."""
    F = torch.nn.functional
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    pt, pb, pl, pr = pad
    y = F.conv2d(F.pad(xt, (pl, pr, pt, pb)), wt, bt, stride, 0, dilation, groups)
    y.backward(torch.tensor(g))
    return (y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(),
            None if b is None else bt.grad.numpy())


def ours_conv(module, x, w, b, stride, pad, dilation, groups, g):
    """(y, dx, dw, db or None) from ops or gpu_kernels."""
    y = module.conv2d_forward(x, w, b, stride, pad, dilation, groups)
    dx = module.conv2d_input_grad(g, x.shape, w, stride, pad, dilation, groups)
    dw, db = module.conv2d_param_grads(g, x, w.shape, stride, pad, dilation, groups, bias=b is not None)
    return y, dx, dw, db


def assert_close(ours, theirs, tol, what):
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != {theirs.dtype}"
    err = rel_err(ours, theirs)
    assert err <= tol, f"{what}: rel {err:.2e} > {tol:.0e}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONVS)
def test_conv_against_torch(torch, rng, conv_algorithm, dtype, case):
    args = conv_case(rng, dtype, *case)
    y = ops.conv2d_forward(*args)
    g = rng.standard_normal(y.shape).astype(dtype)
    ours = (y,) + ours_conv(ops, *args, g)[1:]
    theirs = torch_conv(torch, *args, g)
    for name, a, r in zip(("y", "dx", "dw", "db"), ours, theirs):
        if r is None:
            assert a is None, f"{name}: expected None without a bias"
        else:
            assert_close(a, r, TOL[dtype], name)


@pytest.mark.parametrize("case,path", list(zip(CONVS, AUTO_PATHS)))
def test_auto_takes_the_fast_path(case, path):
    shape, out, k, stride, pad, dilation, groups, _ = case
    w_shape = (out, shape[1] // groups, k, k)
    assert ops._conv_path(shape[1], w_shape, pair(stride), pad, pair(dilation), groups) == path


@pytest.mark.parametrize("case", CONVS)
def test_gpu_kernels_conv_match_cpu(rng, case):
    args = conv_case(rng, np.float64, *case)
    y = ops.conv2d_forward(*args)
    g = rng.standard_normal(y.shape)
    for name, a, r in zip(("y", "dx", "dw", "db"), ours_conv(G, *args, g), ours_conv(ops, *args, g)):
        if r is None:
            assert a is None
        else:
            assert_close(a, r, TOL[np.float64], name)


def test_no_bias_is_a_zero_bias(rng):
    x, w, _, stride, pad, dilation, groups = conv_case(rng, np.float32, *CONVS[0])
    assert np.array_equal(ops.conv2d_forward(x, w, None, stride, pad, dilation, groups),
                          ops.conv2d_forward(x, w, np.zeros(w.shape[0], np.float32), stride, pad, dilation, groups))


@pytest.mark.parametrize("size,kernel,stride,pads,dilation", [(9, 3, 1, (1, 1), 1), (10, 3, 2, (0, 1), 1),
                                                             (12, 3, 1, (2, 2), 2), (13, 3, 2, (1, 2), 3), (5, 5, 2, (0, 0), 1)])
def test_conv_output_size_is_torchs(torch, size, kernel, stride, pads, dilation):
    x = torch.zeros(1, 1, size + sum(pads), 1)
    w = torch.zeros(1, 1, kernel, 1)
    expected = torch.nn.functional.conv2d(x, w, stride=(stride, 1), dilation=(dilation, 1)).shape[2]
    assert shapes.conv_output_size(size, kernel, stride, *pads, dilation) == expected


POOLS = [  # x shape, kernel, stride, symmetric padding (ph, pw), count_include_pad, ceil_mode
    ((2, 3, 9, 11), (3, 3), (2, 2), (1, 1), True, False),
    ((2, 3, 9, 11), (3, 3), (2, 2), (1, 1), False, False),
    ((2, 3, 10, 10), (3, 3), (2, 2), (1, 1), True, True),    # a ceil-mode window past the padding
    ((2, 3, 10, 10), (3, 3), (2, 2), (1, 1), False, True),
    ((1, 2, 8, 7), (2, 3), (1, 2), (1, 1), False, True),
    ((3, 2, 7, 7), (2, 2), (2, 2), (0, 0), True, True),      # ceil mode without padding
    ((1, 2, 6, 9), (3, 2), (3, 1), (1, 0), True, False),
    ((2, 4, 12, 12), (2, 2), (2, 2), (0, 0), True, False),   # DenseNet's transition pool
    ((2, 16, 32, 32), (3, 3), (1, 1), (1, 1), False, False),  # large enough to split
]


def torch_avgpool(torch, x, g, kernel, stride, pad, count_include_pad, ceil_mode):
    xt = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.avg_pool2d(xt, kernel, stride, pad, ceil_mode, count_include_pad)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kernel,stride,pad,count_include_pad,ceil_mode", POOLS)
def test_avgpool_against_torch(torch, rng, dtype, shape, kernel, stride, pad, count_include_pad, ceil_mode):
    x = rng.standard_normal(shape).astype(dtype)
    pad4 = (pad[0], pad[0], pad[1], pad[1])
    y = ops.avgpool2d_forward(x, kernel, stride, pad4, count_include_pad, ceil_mode)
    g = rng.standard_normal(y.shape).astype(dtype)
    dx = ops.avgpool2d_backward(g, x.shape, kernel, stride, pad4, count_include_pad)
    ty, tdx = torch_avgpool(torch, x, g, kernel, stride, pad, count_include_pad, ceil_mode)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    assert_close(y, ty, tol, "y")
    assert_close(dx, tdx, tol, "dx")
    gy = G.avgpool2d_forward(x, kernel, stride, pad4, count_include_pad, ceil_mode)
    assert_close(gy, y, tol, "gpu_kernels y")
    assert_close(G.avgpool2d_backward(g, x.shape, kernel, stride, pad4, count_include_pad), dx, tol, "gpu_kernels dx")


@pytest.mark.parametrize("dtype", DTYPES)
def test_avgpool_asymmetric_padding_is_zero_padding_first(torch, rng, dtype):
    # PyTorch pads symmetrically; TF-style (0, 1, 0, 1) is F.pad with zeros, which
    # count_include_pad=True counts exactly as ours counts the padding
    x = rng.standard_normal((2, 3, 8, 9)).astype(dtype)
    pad = (0, 1, 1, 2)
    y = ops.avgpool2d_forward(x, (3, 3), (2, 2), pad)
    g = rng.standard_normal(y.shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(xt, (1, 2, 0, 1)), 3, 2)
    yt.backward(torch.tensor(g))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    assert_close(y, yt.detach().numpy(), tol, "y")
    assert_close(ops.avgpool2d_backward(g, x.shape, (3, 3), (2, 2), pad), xt.grad.numpy(), tol, "dx")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 4, 7, 7), (3, 5, 6, 9)])
def test_global_avgpool_against_torch(torch, rng, dtype, shape):
    x = rng.standard_normal(shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.adaptive_avg_pool2d(xt, 1).flatten(1)
    g = rng.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.tensor(g))
    tol = 1e-6 if dtype == np.float32 else 1e-12  # a mean of at most 54 values: rounding only
    assert_close(ops.global_avgpool_forward(x), yt.detach().numpy(), tol, "y")
    dx = ops.global_avgpool_backward(g, x.shape)
    assert_close(dx, xt.grad.numpy(), tol, "dx")
    dx[0, 0, 0, 0] += 1  # a real array that a later sum of gradients may add into


def test_fixed_weights_reuses_a_kernels_transform_and_only_inside(rng):
    from cnnvis.engine import fixed_weights, winograd
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    ref = winograd.conv3x3(x, w, np.zeros(4, np.float32), (1, 1, 1, 1))
    with fixed_weights():
        assert winograd.transform_weights(w) is winograd.transform_weights(w)  # computed once
        np.testing.assert_array_equal(winograd.conv3x3(x, w, np.zeros(4, np.float32), (1, 1, 1, 1)), ref)
        other = w * 2  # another array: its own transform
        np.testing.assert_allclose(winograd.conv3x3(x, other, np.zeros(4, np.float32), (1, 1, 1, 1)),
                                   2 * ref, rtol=1e-5, atol=1e-5)
    assert winograd.transform_weights(w) is not winograd.transform_weights(w)  # outside: no memo


@pytest.mark.parametrize("filler_channels", [0, 10 ** 6], ids=["compact rows", "filler slot"])
@pytest.mark.parametrize("shape, out, pad, chunk_bytes", [
    ((2, 3, 9, 8), 5, (1, 1, 1, 1), None),    # odd output height: the last tile row cropped
    ((200, 2, 4, 5), 3, (0, 1, 1, 0), 3000),  # 400 tile rows in chunks of 2 to 4, across images
    ((1, 3, 5, 4), 4, (2, 2, 2, 2), None),    # pads of 2, as the input gradient uses
    ((3, 4, 3, 3), 7, (0, 0, 0, 0), None),    # a single output pixel per image (tw = 1)
])
def test_winograd_tile_layouts_match_torch(rng, torch, monkeypatch, filler_channels, shape, out, pad,
                                           chunk_bytes):
    """Both tile-row layouts of winograd.conv3x3 (compact, or with the filler slot; the
    channel count picks one, forced here) give PyTorch's y and dx in float32 (TOL), also
    with small chunks (chunk_bytes: CHUNK_BYTES, MIN_TILES = 1)."""
    from cnnvis.engine import winograd
    monkeypatch.setattr(winograd, "FILLER_CHANNELS", filler_channels)
    if chunk_bytes:
        monkeypatch.setattr(winograd, "CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(winograd, "MIN_TILES", 1)
    x, w, b, stride, pad, dilation, groups = conv_case(rng, np.float32, shape, out, 3, 1, pad, 1, 1, True)
    pt, pb, pl, pr = pad
    g = rng.standard_normal((shape[0], out, shape[2] + pt + pb - 2, shape[3] + pl + pr - 2)).astype(np.float32)
    y_t, dx_t, _, _ = torch_conv(torch, x, w, b, stride, pad, dilation, groups, g)
    assert rel_err(winograd.conv3x3(x, w, b, pad), y_t) < TOL[np.float32]
    assert rel_err(winograd.input_gradient(g, w, pad), dx_t) < TOL[np.float32]

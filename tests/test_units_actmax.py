"""Activation maximization: objectives and their gradients against PyTorch autograd, convergence
to known templates, the regularizers, octaves, determinism, the 8x8 top-filters ranking, GIF."""
import numpy as np
import pytest
from conftest import agreement, rel_err
from PIL import Image
from units_nets import dense_template, template, template_net, tiny_vgg

from cnnvis.errors import InputError
from cnnvis.methods.activation_max import (
    activation_maximization,
    objective,
    pixel_bounds,
    total_variation,
)
from cnnvis.methods.targets import Unit
from cnnvis.methods.top_filters import top_filters
from cnnvis.verify.torch_mirror import torch_mirror


def torch_objective(torch, net, x, layer, pick, l2, tv, beta):
    """J = S - l2 sum x^2 - tv sum (dh^2 + dv^2 + 1e-8)^(beta/2), written here from the
    definition, and dJ/dx by autograd on torch_mirror(net). pick(out, n) -> S of image n."""
    model = torch_mirror(net)
    xt = torch.tensor(x, dtype=torch.float64 if x.dtype == np.float64 else torch.float32,
                      requires_grad=True)
    out = model(xt, layer)
    s = torch.stack([pick(out, n) for n in range(len(x))])
    dh = torch.nn.functional.pad(xt[..., :, 1:] - xt[..., :, :-1], (0, 1, 0, 0))
    dv = torch.nn.functional.pad(xt[..., 1:, :] - xt[..., :-1, :], (0, 0, 0, 1))
    j = (s - l2 * (xt ** 2).sum(dim=(1, 2, 3))
         - tv * ((dh ** 2 + dv ** 2 + 1e-8) ** (beta / 2)).sum(dim=(1, 2, 3)))
    j.sum().backward()
    return j.detach().numpy(), xt.grad.numpy()


CASES = {  # name: (targets for the 2 images, layer, S of image n from the layer output)
    "class logit": ([1, 3], "predictions", lambda out, n: out[n, [1, 3][n]]),
    "channel mean": ([Unit("block2_conv1", 2), Unit("block2_conv1", 5)], "block2_conv1",
                     lambda out, n: out[n, [2, 5][n]].mean()),
    "single unit": ([Unit("block1_conv2_relu", 1, 3, 4), Unit("block1_conv2_relu", 3, 7, 0)],
                    "block1_conv2_relu", lambda out, n: out[n, [1, 3][n], [3, 7][n], [4, 0][n]]),
    "dense neuron": ([Unit("fc1", 4), Unit("fc1", 11)], "fc1", lambda out, n: out[n, [4, 11][n]]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("l2, tv, beta", [(0.0, 0.0, 2.0), (0.05, 0.02, 2.0), (0.01, 0.03, 1.0)])
def test_objective_gradient_matches_torch_float64(torch, record_property, case, l2, tv, beta):
    targets, layer, pick = CASES[case]
    net = tiny_vgg(np.float64)
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16))
    value, _, grad = objective(net, x, targets, l2=l2, tv=tv, tv_beta=beta)
    ref_value, ref_grad = torch_objective(torch, net, x, layer, pick, l2, tv, beta)
    # float64 on both sides: only summation order differs
    agreement(record_property, "objective rel", rel_err(value, ref_value), 1e-10)
    agreement(record_property, "gradient rel", rel_err(grad, ref_grad), 1e-9)


@pytest.mark.parametrize("case", list(CASES))
def test_objective_gradient_matches_torch_float32(torch, record_property, case):
    targets, layer, pick = CASES[case]
    net = tiny_vgg(np.float32)
    x = np.random.default_rng(1).standard_normal((2, 3, 16, 16)).astype(np.float32)
    value, _, grad = objective(net, x, targets, l2=0.05, tv=0.02)
    ref_value, ref_grad = torch_objective(torch, net, x, layer, pick, 0.05, 0.02, 2.0)
    # float32 with different summation orders (GEMM vs Winograd/direct): a few ulps of the sums
    agreement(record_property, "objective rel", rel_err(value, ref_value), 1e-5)
    agreement(record_property, "gradient rel", rel_err(grad, ref_grad), 1e-4)


def test_total_variation_by_hand():
    x = np.array([[[[0.0, 1.0], [3.0, 7.0]]]])
    value, grad = total_variation(x, beta=2.0)
    # pixels: (0,0): dh=1, dv=3; (0,1): dh=0, dv=6; (1,0): dh=4, dv=0; (1,1): 0
    assert value[0] == pytest.approx(1 + 9 + 36 + 16 + 4e-8)
    # dTV/dx[0,0] = -2*1 - 2*3 = -8; dx[0,1] = +2*1 - 2*6 = -10; dx[1,0] = 2*3 - 2*4 = -2;
    # dx[1,1] = 2*6 + 2*4 = 20
    np.testing.assert_allclose(grad[0, 0], [[-8, -10], [-2, 20]], atol=1e-12)


def test_single_unit_converges_to_its_template():
    """A conv unit computes <w, patch> + b; with L2 decay l2 the optimum of <w, x> - l2 |x|^2
    is x* = w / (2 l2) on the unit's receptive field and 0 elsewhere (no clipping: the inputs
    span -1..1 and max|w| / (2 l2) < 1)."""
    net = template_net()
    t = template()
    l2 = 0.5
    assert np.abs(t).max() / (2 * l2) < 1
    result = activation_maximization(net, None, Unit("conv", 0, 5, 5), steps=80, lr=0.2,
                                     normalize=False, l2=l2, seed=3, progress=False)
    x = result.inputs[0, 0]
    patch = x[5:10, 5:10]  # unit (5, 5) of a valid 5x5 conv sees rows/cols 5..9
    cosine = (patch * t).sum() / np.linalg.norm(patch) / np.linalg.norm(t)
    assert cosine > 0.9999  # geometric convergence, factor 1 - 2 lr l2 = 0.8 per step
    # float64: after 80 steps x is 0.8^80 = 2e-8 of its start distance (< 1) from x* (measured 6e-9)
    np.testing.assert_allclose(patch, t / (2 * l2), atol=1e-7)
    outside = x.copy()
    outside[5:10, 5:10] = 0
    assert np.abs(outside).max() < 1e-7  # the same decay towards 0 (measured 2e-9)


def test_normalized_steps_with_regularizers_reach_the_template_direction():
    """The default normalized steps, jitter, blur and a cosine schedule do not converge exactly,
    but the field of the ReLU unit still points along the template."""
    net = template_net()
    result = activation_maximization(net, None, Unit("relu", 0, 5, 5), steps=150, lr=8, l2=0.5,
                                     schedule="cosine", blur_sigma=0.3, blur_every=10, seed=0,
                                     progress=False)
    patch = result.inputs[0, 0, 5:10, 5:10]
    cosine = (patch * template()).sum() / np.linalg.norm(patch)
    assert cosine > 0.97  # blur (sigma 0.3 px) slightly smooths the 5x5 pattern
    assert result.scores[-1, 0] > result.scores[0, 0] + 0.5


def test_dense_neuron_converges_to_its_weights():
    net, pattern = dense_template()
    result = activation_maximization(net, None, Unit("fc", 1), steps=60, lr=0.25, normalize=False,
                                     l2=1.0, start=0.5, seed=1, progress=False)
    x = result.inputs[0, 0]
    cosine = (x * pattern).sum() / np.linalg.norm(x)
    assert cosine > 0.9999
    # x* = w / (2 l2), reached up to 0.5^60 = 9e-19 (factor 1 - 2 lr l2 per step) and float64
    # rounding (measured 3e-17; the pattern's entries are ~0.05)
    np.testing.assert_allclose(x, pattern / 2, atol=1e-12)


def test_class_logit_objective_rises_and_stays_in_range():
    net = tiny_vgg()
    result = activation_maximization(net, None, [0, 4], steps=30, lr=4, decay=0.01, blur_sigma=0.5,
                                     tv=1e-3, seed=0, progress=False)
    assert result.images.shape == (2, 16, 16, 3)
    assert result.objective.shape == result.scores.shape == (30, 2)
    assert np.all(result.scores[-1] > result.scores[0] + 0.4)  # measured: -0.25 -> 0.91, 0.09 -> 0.54
    # clipped to 0..255; 1e-3: float32 inputs at the bounds, deprocessed to pixels, round by ~1e-5
    assert result.images.min() >= -1e-3 and result.images.max() <= 255 + 1e-3
    lo, hi, _ = pixel_bounds(net)
    # the inputs are clipped to these very float32 bounds: 1e-6 is float32 rounding of the bounds
    assert np.all(result.inputs >= lo - 1e-6) and np.all(result.inputs <= hi + 1e-6)


def test_seeded_runs_are_identical_and_seeds_differ():
    net = tiny_vgg()
    kwargs = {"steps": 8, "lr": 3, "jitter": 2, "blur_sigma": 0.5, "blur_every": 2, "progress": False}
    a = activation_maximization(net, None, Unit("block2_conv2", 3), seed=7, **kwargs)
    b = activation_maximization(net, None, Unit("block2_conv2", 3), seed=7, **kwargs)
    c = activation_maximization(net, None, Unit("block2_conv2", 3), seed=8, **kwargs)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.objective, b.objective)
    assert not np.array_equal(a.inputs, c.inputs)


def test_octaves_grow_the_image_and_record_frames():
    net = tiny_vgg()
    result = activation_maximization(net, None, Unit("block2_conv2", 1), steps=5, octaves=3,
                                     octave_scale=2.0, size=(24, 24), record_every=4, seed=0,
                                     progress=False)
    assert result.images.shape == (1, 24, 24, 3)
    assert result.objective.shape == (15, 1)
    assert [step for step, _ in result.frames] == [0, 4, 8, 12, 15]
    assert [im.shape[1] for _, im in result.frames] == [6, 6, 12, 24, 24]  # 24 / 2^2, ..., 24


def test_octaves_refused_after_flatten_and_from_an_image():
    net = tiny_vgg()
    with pytest.raises(InputError, match="fixes the size"):
        activation_maximization(net, None, 2, steps=2, octaves=2, progress=False)
    start = np.random.default_rng(0).uniform(0, 1, (1, 3, 16, 16)).astype(np.float32)
    result = activation_maximization(net, start, 2, steps=3, lr=1, progress=False)
    assert result.inputs.shape == (1, 3, 16, 16) and not np.array_equal(result.inputs, start)
    # the first step scores the given start image itself
    assert result.scores[0, 0] == pytest.approx(float(net.forward(start, until="predictions")[0, 2]))
    with pytest.raises(InputError, match="schedule"):
        activation_maximization(net, None, 2, steps=2, schedule="step", progress=False)


def test_top_filters_ranks_channels_by_reachable_objective():
    """For the conv channel mean S = mean_p <w, x_p> + b (linear in x), the optimum of
    S - l2 |x|^2 is b + |dS/dx|^2 / (4 l2): filter 1 (2w) reaches 4x filter 0's gain, and the
    zero filter only its bias -1."""
    net = template_net()
    l2 = 0.5
    top = top_filters(net, "conv", n=3, batch_size=2, steps=80, lr=0.2, normalize=False, l2=l2,
                      progress=False)
    assert list(top.channels) == [1, 0, 2]
    x = np.zeros((1, 1, 15, 15))
    for c, bias in ((0, 0.1), (1, 0.1)):
        _, _, g = objective(net, x, Unit("conv", c))  # dS/dx, the same everywhere
        expected = bias + (g ** 2).sum() / (4 * l2)
        # float64; J misses its optimum by l2 |x - x*|^2, (0.8^80)^2 of the start: measured 2e-15
        assert top.objective[list(top.channels).index(c)] == pytest.approx(expected, rel=1e-10)
    assert top.objective[2] == pytest.approx(-1.0, abs=1e-10)  # the bias; l2 |x|^2 decays to ~1e-16
    assert top.images.shape == (3, 15, 15, 1)


def test_gif_of_the_ascent(tmp_path):
    from cnnvis.render.activation_max import save_actmax, save_actmax_gif
    net = tiny_vgg()
    result = activation_maximization(net, None, [1, 2], steps=6, record_every=2, progress=False)
    path = save_actmax_gif(result, tmp_path / "ascent.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(result.frames) == 4
    assert Image.open(save_actmax(result, tmp_path / "am.png", titles=["b", "c"])).format == "PNG"
    silent = activation_maximization(net, None, 1, steps=2, progress=False)
    with pytest.raises(InputError, match="record_every"):
        save_actmax_gif(silent, tmp_path / "none.gif")
    assert not (tmp_path / "none.gif").exists()


@pytest.mark.parametrize("bad, message", [({"octaves": 0}, "octaves"),
                                          ({"octaves": 2, "octave_scale": 0}, "octave_scale"),
                                          ({"jitter": -2}, "jitter"),
                                          ({"blur_sigma": 0.5, "blur_every": 0}, "blur_every")])
def test_bad_settings_are_input_errors(bad, message):
    with pytest.raises(InputError, match=message):
        activation_maximization(tiny_vgg(), None, Unit("block2_conv1", 1), steps=2, progress=False,
                                **bad)

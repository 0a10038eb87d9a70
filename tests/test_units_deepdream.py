"""DeepDream: one step against PyTorch autograd, octaves, jitter determinism, errors, render."""
import numpy as np
import pytest
from PIL import Image
from units_nets import tiny_vgg

from cnnvis.errors import InputError, LayerNotFoundError, TargetError
from cnnvis.methods.activation_max import pixel_bounds
from cnnvis.methods.deepdream import deepdream
from cnnvis.methods.targets import Unit
from cnnvis.verify.torch_mirror import torch_mirror


def start(net, n=2):
    return net.preprocess(np.random.default_rng(0).integers(0, 256, (n, 16, 16, 3))).astype(net.dtype)


def torch_step(torch, net, x, layer, channel, kind, lr):
    """x + lr * p * g / mean|g| clipped, with g = d O / dx by autograd; O from the definition:
    mean(A^2) / 2 ('squared') or mean(A) ('mean') over the layer or one channel."""
    model = torch_mirror(net)
    xt = torch.tensor(x, requires_grad=True)
    out = model(xt, layer)
    a = out if channel is None else out[:, channel]
    per_image = a.reshape(len(x), -1)
    o = (per_image ** 2).mean(dim=1) / 2 if kind == "squared" else per_image.mean(dim=1)
    o.sum().backward()
    g = xt.grad.numpy()
    lo, hi, p = (np.asarray(v) for v in pixel_bounds(net))
    step = lr * p * g / np.abs(g).reshape(len(g), -1).mean(axis=1).reshape(-1, 1, 1, 1)
    return np.clip(x + step, lo, hi), o.detach().numpy()


@pytest.mark.parametrize("target, channel, kind", [("block2_conv1", None, "squared"),
                                                    (Unit("block1_conv2_relu", 2), 2, "mean")])
def test_one_step_matches_torch(torch, target, channel, kind):
    net = tiny_vgg(np.float64)
    x = start(net)
    dream = deepdream(net, x, target, steps=1, lr=3.0, octaves=1, jitter=0, objective=kind,
                      progress=False)
    layer = target if isinstance(target, str) else target.layer
    expected, value = torch_step(torch, net, x, layer, channel, kind, 3.0)
    # float64 everywhere: summation order only
    np.testing.assert_allclose(dream.inputs, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dream.objective[0], value, rtol=1e-10)


def test_octaves_jitter_and_seed():
    net = tiny_vgg()
    x = start(net, 1)
    kwargs = {"steps": 4, "octaves": 3, "octave_scale": 1.5, "jitter": 3, "progress": False}
    a = deepdream(net, x, "block2_conv2", seed=1, **kwargs)
    b = deepdream(net, x, "block2_conv2", seed=1, **kwargs)
    c = deepdream(net, x, "block2_conv2", seed=2, **kwargs)
    assert a.images.shape == (1, 16, 16, 3) and a.objective.shape == (12, 1)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs, c.inputs)
    still = deepdream(net, x, "block2_conv2", steps=8, octaves=1, jitter=0, progress=False)
    assert still.objective[-1, 0] > 1.5 * still.objective[0, 0]  # the layer is amplified
    # clipped to the inputs of pixels 0..255; 1e-3: float32 rounding when deprocessed to pixels
    assert still.images.min() >= -1e-3 and still.images.max() <= 255 + 1e-3


def test_a_tuple_is_one_channel_as_in_the_other_methods():
    net = tiny_vgg()
    x = start(net)
    a = deepdream(net, x, ("block2_conv1", 1), steps=2, octaves=1, jitter=0, progress=False)
    b = deepdream(net, x, Unit("block2_conv1", 1), steps=2, octaves=1, jitter=0, progress=False)
    np.testing.assert_array_equal(a.inputs, b.inputs)


def test_errors():
    net = tiny_vgg()
    x = start(net)
    with pytest.raises(InputError, match="fixes the size"):
        deepdream(net, x, "fc1", octaves=2, progress=False)
    with pytest.raises(TargetError, match="layer or a channel"):
        deepdream(net, x, Unit("block2_conv1", 0, 1, 1), progress=False)
    with pytest.raises(TargetError, match="one layer"):
        deepdream(net, x, ["block1_conv1", "block2_conv1"], progress=False)
    with pytest.raises(LayerNotFoundError):
        deepdream(net, x, "nope", progress=False)
    with pytest.raises(InputError, match="objective"):
        deepdream(net, x, "block2_conv1", objective="cubed", steps=1, octaves=1, progress=False)


def test_render(tmp_path):
    from cnnvis.render.deepdream import save_deepdream
    net = tiny_vgg()
    x = start(net, 1)
    dream = deepdream(net, x, "block2_conv1", steps=2, octaves=2, progress=False)
    path = save_deepdream(net.deprocess(x)[0], dream, tmp_path / "dream.png", target="block2_conv1")
    assert Image.open(path).format == "PNG"


@pytest.mark.parametrize("bad, message", [({"octaves": 0}, "octaves"), ({"octave_scale": 0}, "octave_scale"),
                                          ({"jitter": -1}, "jitter")])
def test_bad_settings_are_input_errors(bad, message):
    net = tiny_vgg()
    with pytest.raises(InputError, match=message):
        deepdream(net, start(net, 1), "block2_conv1", steps=1, progress=False, **bad)

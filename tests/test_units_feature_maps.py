"""Feature maps: the layer's activations, sorting and top-k, the activation-as-mask overlay."""
import numpy as np
import pytest
from PIL import Image
from units_nets import tiny_vgg

from cnnvis.errors import InputError
from cnnvis.methods.feature_maps import feature_maps
from cnnvis.render.feature_maps import activation_mask


def inputs(net, n=2):
    return net.preprocess(np.random.default_rng(0).integers(0, 256, (n, 16, 16, 3)))


def test_maps_are_the_activations_in_order():
    net = tiny_vgg()
    x = inputs(net)
    fm = feature_maps(net, x, "block1_conv2_relu")
    a = np.asarray(net.forward(x, until="block1_conv2_relu"))
    np.testing.assert_array_equal(fm.maps, a)
    np.testing.assert_array_equal(fm.channels, [[0, 1, 2, 3]] * 2)
    np.testing.assert_allclose(fm.means, a.mean(axis=(2, 3)), rtol=1e-6)  # float32 means: rounding
    assert not fm.sorted


def test_sorted_by_mean_activation_and_cut_to_top_k():
    net = tiny_vgg()
    x = inputs(net)
    a = np.asarray(net.forward(x, until="block2_conv2_relu"), np.float64)
    fm = feature_maps(net, x, "block2_conv2_relu", sort=True, top_k=3)
    assert fm.maps.shape == (2, 3, 8, 8) and fm.sorted
    for n in range(2):
        means = a[n].mean(axis=(1, 2))
        expected = sorted(range(8), key=lambda c: (-means[c], c))[:3]  # ties: lower channel first
        assert list(fm.channels[n]) == expected
        np.testing.assert_array_equal(fm.maps[n], a[n, expected].astype(np.float32))
    with pytest.raises(InputError, match="top_k"):
        feature_maps(net, x, "block2_conv2_relu", top_k=9)
    with pytest.raises(InputError, match="not \\(C, h, w\\)"):
        feature_maps(net, x, "fc1")


def test_activation_as_mask():
    image = np.full((8, 8, 3), 200.0)
    act = np.zeros((8, 8))
    act[2, 3] = 4.0
    act[5, 5] = 2.0
    masked = activation_mask(image, act)
    assert masked[2, 3, 0] == 200 and masked[5, 5, 0] == 100 and masked[0, 0, 0] == 0
    assert activation_mask(image, act, floor=0.25)[0, 0, 0] == 50  # 200 * 0.25
    # a 2x2 map of a 2x2-strided layer covers the image: upsampled, its top-left cell is brightest
    small = activation_mask(image, np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert small.shape == (8, 8, 3) and small[0, 0, 0] == 200 and small[7, 7, 0] == 0


def test_renders(tmp_path):
    from cnnvis.render.common import save_figure
    from cnnvis.render.feature_maps import channel_figure, feature_maps_figure
    net = tiny_vgg()
    x = inputs(net, 1)
    fm = feature_maps(net, x, "block1_conv2_relu", sort=True)
    for scale in ("shared", "each"):
        path = save_figure(feature_maps_figure(fm, scale=scale), tmp_path / f"{scale}.png")
        assert Image.open(path).format == "PNG"
    image = net.deprocess(x)[0]
    path = save_figure(channel_figure(image, fm.maps[0, 0], fm.layer, fm.channels[0, 0]),
                       tmp_path / "channel.png")
    assert Image.open(path).format == "PNG"

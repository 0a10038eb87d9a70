"""Filters as pictures: every mode and scaling against the weights, the BGR flip, errors, renders."""
import numpy as np
import pytest
from PIL import Image
from units_nets import template_net, tiny_vgg

import cnnvis
from cnnvis.errors import InputError, LayerNotFoundError
from cnnvis.methods.filters import filter_images
from cnnvis.preprocessing import Preprocessing


def minmax(w):
    """The scalings written from their definition; compared at atol 1e-12 below, as both sides
    are float64 with the operations in another order (values in [0, 1])."""
    return (w - w.min()) / (w.max() - w.min())


def test_first_layer_in_colour_each_filter_on_its_own_range():
    net = tiny_vgg()
    w = np.asarray(net["block1_conv1"].params["weight"], np.float64)  # (4, 3, 3, 3), RGB input
    f = filter_images(net)
    assert f.mode == "rgb" and f.layer == "block1_conv1" and f.shape == (4, 3, 3, 3)
    assert f.images.shape == (4, 3, 3, 3)  # (O, KH, KW, RGB)
    for o in range(4):
        np.testing.assert_allclose(f.images[o], minmax(w[o]).transpose(1, 2, 0), atol=1e-12)
        assert f.images[o].min() == 0 and f.images[o].max() == pytest.approx(1)


def test_bgr_weights_are_shown_in_rgb_order():
    net = cnnvis.small_vgg(widths=(4,), input_shape=(3, 8, 8), preprocessing=Preprocessing.caffe())
    w = np.asarray(net["block1_conv1"].params["weight"], np.float64)
    f = filter_images(net)
    # input channel 0 of a caffe network is blue: the picture's red plane is weight channel 2
    np.testing.assert_allclose(f.images[..., 0], np.stack([minmax(k)[2] for k in w]), atol=1e-12)
    np.testing.assert_allclose(f.images[..., 2], np.stack([minmax(k)[0] for k in w]), atol=1e-12)


def test_deeper_layer_reductions():
    net = tiny_vgg()
    w = np.asarray(net["block2_conv1"].params["weight"], np.float64)  # (8, 4, 3, 3)
    norm = filter_images(net, "block2_conv1")
    assert norm.mode == "norm"
    for o in range(8):
        np.testing.assert_allclose(norm.images[o], minmax(np.sqrt((w[o] ** 2).sum(axis=0))), atol=1e-12)
    strongest = filter_images(net, "block2_conv1", "strongest")
    for o in range(8):
        c = max(range(4), key=lambda k: np.linalg.norm(w[o, k]))
        assert strongest.input_channel[o] == c
        np.testing.assert_allclose(strongest.images[o], minmax(w[o, c]), atol=1e-12)
    channels = filter_images(net, "block2_conv1", "channels", "symmetric")
    assert channels.images.shape == (8, 4, 3, 3)
    for o in range(8):  # zero weight -> 0.5, the largest |w| of the filter -> 0 or 1
        np.testing.assert_allclose(channels.images[o], 0.5 + 0.5 * w[o] / np.abs(w[o]).max(), atol=1e-12)


def test_gray_first_layer_and_constant_filters():
    net = template_net()
    f = filter_images(net, mode="gray")
    assert f.images.shape == (3, 5, 5)
    np.testing.assert_allclose(f.images[0], f.images[1], atol=1e-12)  # 2w scales like w
    assert np.all(f.images[2] == 0)  # the all-zero filter: minmax maps a constant to 0
    assert np.all(filter_images(net, mode="gray", scaling="symmetric").images[2] == 0.5)


def test_errors():
    net = tiny_vgg()
    with pytest.raises(InputError, match="not a Conv2D"):
        filter_images(net, "block1_pool")
    with pytest.raises(LayerNotFoundError):
        filter_images(net, "nope")
    with pytest.raises(InputError, match="3 input channels"):
        filter_images(net, "block2_conv1", "rgb")
    with pytest.raises(InputError, match="mode"):
        filter_images(net, mode="fancy")
    with pytest.raises(InputError, match="scaling"):
        filter_images(net, scaling="log")


def test_renders(tmp_path):
    from cnnvis.render.filters import filter_mosaic, save_filter_mosaic, save_filters
    net = tiny_vgg()
    image = filter_mosaic(filter_images(net), cols=2, zoom=4)
    # 2x2 tiles of 3*4 pixels with a gap of 1: 2*12 + 1 on each side, white gaps
    assert image.shape == (25, 25, 3) and np.all(image[12] == 1.0)
    for mode in ("auto", "channels", "strongest"):
        layer = None if mode == "auto" else "block2_conv2"
        path = save_filters(net, tmp_path / f"{mode}.png", layer, mode=mode)
        assert Image.open(path).format == "PNG"
    with Image.open(save_filter_mosaic(net, tmp_path / "bare.png", cols=4, zoom=2)) as im:
        assert im.size == (4 * 6 + 3, 6)

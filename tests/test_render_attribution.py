"""Attribution pictures: the display conventions, and that every figure renders to a file."""
import numpy as np
import pytest
from PIL import Image

from methods_nets import small
import cnnvis
from cnnvis import methods as M
from cnnvis.errors import InputError
from cnnvis.methods import by_name
from cnnvis.images import load_image
from cnnvis.preprocessing import Preprocessing
from cnnvis.render import attribution as A
from cnnvis.render.common import save_figure
from cnnvis.render.deconvnet import top_channels_figure


def test_signed_image_is_grey_at_zero_and_clips_the_extremes():
    g = np.zeros((10, 20, 3))
    g[0, :10] = 1.0
    g[0, 10:] = -1.0
    g[5, 5, 0] = 1000.0  # one extreme pixel does not turn everything else grey
    img = A.signed_image(g)  # 61 of 600 values have |g| >= 1: the 99.5th percentile is 1
    assert img.shape == g.shape and img.min() >= 0 and img.max() <= 1
    assert img[9, 9, 1] == 0.5 and img[5, 5, 0] == 1 and img[0, 0, 0] == 1 and img[0, 15, 0] == 0
    assert np.all(A.signed_image(np.zeros((4, 4))) == 0.5)
    np.testing.assert_allclose(A.signed_image(np.array([[-1.0, 0.5, 2.0]]), percentile=100),
                               [[0.25, 0.625, 1.0]])


def test_saliency_image_is_max_abs_over_channels():
    g = np.zeros((4, 4, 3))
    g[1, 2] = [0.5, -2.0, 1.0]
    g[3, 3] = [0.1, 0.0, 0.0]
    img = A.saliency_image(g, percentile=100)
    assert img.shape == (4, 4)
    assert img[1, 2] == 1 and img[3, 3] == pytest.approx(0.05) and img[0, 0] == 0


def test_image_space_puts_channels_in_rgb_order_per_pixel():
    g = np.arange(3, dtype=np.float64).reshape(1, 3, 1, 1) + 1  # channels 1, 2, 3
    caffe = cnnvis.vgg16(include_top=False, input_shape=(3, 32, 32))  # BGR, scale 1, std 1
    assert A.image_space(caffe, g)[0, 0, 0].tolist() == [3, 2, 1]
    tv = cnnvis.small_vgg(widths=(4,), input_shape=(3, 8, 8), classes=2,
                          preprocessing=Preprocessing.torchvision())
    expected = np.array([1, 2, 3]) / 255 / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(A.image_space(tv, g)[0, 0, 0], expected)


def _is_png(path, min_size):
    with Image.open(path) as im:
        return im.format == "PNG" and min(im.size) >= min_size


def test_every_figure_renders(tmp_path):
    net, x = small()
    one = x[:1]
    save_figure(A.methods_figure(net, one, by_name.panel(net, one, "cat", samples=3, steps=4, progress=False)),
                tmp_path / "panel.png")
    save_figure(A.heatmap_figure(net.deprocess(one)[0], M.gradcam(net, one, 0)[0], title="cat"),
                tmp_path / "heat.png")
    adv = M.fgsm(net, x, "predicted", epsilon=4.0)
    save_figure(A.adversarial_figure(net, x, adv, index=1, title="FGSM"), tmp_path / "fgsm.png")
    for name in ("panel", "heat", "fgsm"):
        assert _is_png(tmp_path / f"{name}.png", 200)


def test_panel_pictures_names_kinds_and_every_image():
    net, x = small()
    panel = by_name.panel(net, x, 1, samples=2, steps=2, scorecam=False)
    assert [e.title for e in panel] == ["Saliency", "Deconvnet", "Guided backprop", "SmoothGrad",
                                        "Integrated gradients", "Grad-CAM", "Grad-CAM++",
                                        "Guided Grad-CAM"]
    for e in panel:
        for index in range(len(x)):  # a picture of each image of the batch
            pic, kind = A.picture(net, e, index)
            assert pic.shape[:2] == (32, 32) and pic.min() >= 0 and pic.max() <= 1, e.title
            assert (pic.ndim == 3) == (kind == "signed"), e.title
    with pytest.raises(InputError, match="own figure"):
        A.picture(net, by_name.attribute(net, x, "fgsm", 1))


def test_grey_networks_render(tmp_path):
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(1, 28, 28), classes=3)
    x = net.preprocess(load_image("dog", (28, 28), mode="L"))
    panel = by_name.panel(net, x, 0, samples=2, steps=2)
    assert all(A.picture(net, e)[0].shape == (28, 28) for e in panel)
    save_figure(A.methods_figure(net, x, panel), tmp_path / "grey.png")
    save_figure(A.adversarial_figure(net, x, M.fgsm(net, x, 0)), tmp_path / "fgsm.png")
    assert _is_png(tmp_path / "grey.png", 200) and _is_png(tmp_path / "fgsm.png", 200)


@pytest.mark.parametrize("shape,mode", [((3, 32, 32), "RGB"), ((1, 28, 28), "L")])
def test_top_channels_figure_shows_each_units_receptive_field(shape, mode):
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=shape, classes=3, seed=1)
    image = load_image("cat", shape[1:], mode=mode)
    top = M.deconvnet_top_k(net, net.preprocess(image), "block2_conv1_relu", k=3)
    fig = top_channels_figure(net, image, top, "block2_conv1_relu")
    for r in range(3):
        i, j = top.positions[0, r]
        field = M.receptive_crop(net, image if mode == "L" else np.moveaxis(image, -1, 0),
                                 "block2_conv1_relu", i, j)
        shown = fig.axes[2 * r + 1].images[0].get_array()
        assert np.array_equal(shown, (field if mode == "L" else np.moveaxis(field, 0, -1)) / 255.0)
        assert fig.axes[2 * r].images[0].get_array().shape[:2] == field.shape[-2:]

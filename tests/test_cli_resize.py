"""Issue 19, item 2: what was done to the input is said (a one-line note on stderr and in the
figure's footer), the aspect ratio is kept by default (a centre crop for a fixed-size network,
the whole image for a fully convolutional one), and the maps are drawn over the image as given,
mapped back through the transform (cnnvis/fit.py)."""
import numpy as np
import pytest
from PIL import Image
from cli_runs import classifier_file, cli, conv_stack_file, footer, portrait, titled

from cnnvis.fit import fit_image


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resize")
    return classifier_file(folder), conv_stack_file(folder), portrait(folder)


@pytest.mark.parametrize("resize, note", [(None, "resized 200x300 -> 32x32 (centre crop)"),
                                          ("crop", "resized 200x300 -> 32x32 (centre crop)"),
                                          ("pad", "resized 200x300 -> 32x32 (padded)"),
                                          ("stretch", "resized 200x300 -> 32x32 (stretched)")])
def test_a_portrait_is_fitted_as_asked_said_and_the_map_drawn_over_it(files, tmp_path, capsys, monkeypatch,
                                                                      resize, note):
    weights, _, photo = files
    ran = cli(capsys, monkeypatch, "explain", photo, "-m", "gradcam", "--weights", weights, "-o", tmp_path / "x.png",
              *(["--resize", resize] if resize else []))
    assert ran.code == 0 and f"input: {note}\n" in ran.err
    assert f"input {note}" in footer(ran.figure)
    for name in ("Input", "Grad-CAM at block2_conv2_relu"):  # both on the 300x200 photo, not the 32x32 input
        assert titled(ran.figure, name).images[0].get_array().shape[:2] == (300, 200)
    shown = np.asarray(titled(ran.figure, "Input").images[0].get_array())
    assert np.abs(shown * 255 - np.asarray(Image.open(photo))).max() < 1  # undistorted
    framed = [p for p in titled(ran.figure, "Input").patches]  # the part the network saw, framed
    assert len(framed) == (1 if resize in (None, "crop") else 0)


def test_a_fully_convolutional_network_gets_the_whole_image(files, tmp_path, capsys, monkeypatch):
    _, weights, photo = files
    ran = cli(capsys, monkeypatch, "explain", photo, "-m", "saliency", "--weights", weights, "-o", tmp_path / "x.png",
              "--target", "block2_pool:1")
    assert ran.code == 0 and "input: resized 200x300 -> 16x24 (whole image, aspect ratio kept)" in ran.err
    ran = cli(capsys, monkeypatch, "explain", photo, "-m", "saliency", "--weights", weights, "-o", tmp_path / "y.png",
              "--target", "block2_pool:1", "--resize", "none")
    assert ran.code == 0 and "input:" not in ran.err  # nothing done: nothing said
    assert titled(ran.figure, "Saliency").images[0].get_array().shape[:2] == (300, 200)


def test_a_size_a_network_cannot_take_is_refused_in_the_options_terms(files, tmp_path, capsys, monkeypatch):
    weights, _, photo = files
    ran = cli(capsys, monkeypatch, "predict", photo, "--weights", weights, "--resize", "none", "-o", tmp_path / "x.png")
    assert ran.code == 2 and "small_vgg takes only 32x32 images (a dense layer fixes the size), and none would " \
        "give it 200x300: crop, pad or stretch the image instead" in ran.err


def test_grey_networks_say_the_colour_went(tmp_path, capsys, monkeypatch, files):
    photo = files[2]
    ran = cli(capsys, monkeypatch, "predict", photo, "--model", "bundled", "-o", tmp_path / "x.png", "--k", "2")
    assert ran.code == 0 and "input: resized 200x300 -> 28x28 (centre crop), colour -> grey" in ran.err


def test_every_way_maps_back_onto_the_image_as_given():
    yy, xx = np.mgrid[0:300, 0:200]
    image = np.stack([0.8 * yy, xx, 0.5 * (yy + xx)], axis=-1).astype(np.uint8)  # smooth: resizing keeps it
    for mode, seen in (("crop", (50, 250, 0, 200)), ("pad", (0, 300, 0, 200)), ("stretch", (0, 300, 0, 200)),
                       ("whole", (0, 300, 0, 200)), ("none", (0, 300, 0, 200))):
        fit = fit_image(image, (224, 224), mode)
        assert fit.seen() == seen, mode
        back = fit.to_original(fit.image.astype(np.float64))  # the network's input, put back
        r0, r1, c0, c1 = seen
        assert np.abs(back[r0:r1, c0:c1] - image[r0:r1, c0:c1]).mean() < 0.5, mode
        assert np.isnan(back).sum() == image.size - (r1 - r0) * (c1 - c0) * 3, mode  # NaN: not seen
    pad = fit_image(image, (224, 224), "pad", fill=(10, 20, 30))
    assert pad.image.shape == (224, 224, 3) and pad.image[112, 0].tolist() == [10, 20, 30]
    assert pad.scaled == (224, 149) and pad.offset == (0, 37)

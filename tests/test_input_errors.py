"""Inputs cnnvis can judge are judged, with a message that says what to do: a decompression
bomb, a class target on a network without classes, a bad CNNVIS_NUM_THREADS, a weights file
without layers, a missing image, an unknown class name."""
import re
import warnings

import h5py
import numpy as np
import pytest
from PIL import Image

from cnnvis.cli import main
from cnnvis.engine.parallel import num_threads
from cnnvis.models import small_vgg
from cnnvis.weights import save


def run(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (60, 60, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("limit", [1000, 2000])  # 3600 pixels: over 2x the limit (Pillow's error), or 1-2x (its warning)
def test_a_decompression_bomb_is_refused(tmp_path, capsys, monkeypatch, photo, limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    out = tmp_path / "x.png"
    code, err = run(capsys, ["explain", str(photo), "-m", "saliency", "-o", str(out)])
    assert code == 2 and f"{photo} is too large to read safely" in err
    assert "shrink it first" in err and "MAX_IMAGE_PIXELS" in err and not out.exists()


def test_a_class_target_on_a_network_without_classes_proposes_a_unit(tmp_path, capsys, photo):
    weights = str(save(small_vgg(widths=(4, 8), input_shape=(3, 16, 16), include_top=False), tmp_path / "conv.h5"))
    out = tmp_path / "x.png"
    for target in ("3", "cat"):  # a class, by index or by name ('predicted' has a default: test_cli_classless.py)
        code, err = run(capsys, ["explain", str(photo), "-m", "saliency", "--weights", weights,
                                 "--target", target, "-o", str(out)])
        assert code == 2 and f"--target {target} is" in err and "of a class, but small_vgg has no classes: its " \
            "last layer block2_pool outputs a feature map (8, 4, 4)" in err
        assert "Unit(" not in err and not out.exists()
    unit = re.search(r"--target (block2_pool:\d+)", err).group(1)  # the proposal works
    assert main(["explain", str(photo), "-m", "saliency", "--weights", weights, "--target", unit,
                 "-o", str(out), "--quiet"]) == 0 and out.exists()


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_a_bad_thread_count_is_warned_about_and_the_default_used(monkeypatch, value):
    monkeypatch.delenv("CNNVIS_NUM_THREADS", raising=False)
    default = num_threads()
    monkeypatch.setenv("CNNVIS_NUM_THREADS", value)
    with pytest.warns(UserWarning, match=rf"CNNVIS_NUM_THREADS='{re.escape(value)}' is not a whole number >= 1, "
                                         rf"so it is ignored: using the default, {default} threads"):
        assert num_threads() == default
    monkeypatch.setenv("CNNVIS_NUM_THREADS", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert num_threads() == 1


@pytest.mark.parametrize("layers", ["[]", "{}", "[1, 2]"])
def test_a_weights_file_without_layers_is_refused_at_load(tmp_path, capsys, layers):
    path = save(small_vgg(widths=(4,), input_shape=(1, 8, 8), classes=2, hidden=()), tmp_path / "net.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["layers"] = layers
    code, err = run(capsys, ["summary", "--weights", str(path)])
    assert code == 2 and "describes no layers" in err and "cnnvis.weights.save(net, path)" in err


def test_a_missing_image_says_what_an_image_may_be(tmp_path, capsys, photo):
    out = str(tmp_path / "x.png")
    code, err = run(capsys, ["explain", "catt", "-m", "saliency", "-o", out])
    assert code == 2 and "image file not found: catt; did you mean 'cat'?" in err
    assert "'cat', 'dog'" in err and "sample:K" in err
    code, err = run(capsys, ["explain", str(tmp_path / "phot.png"), "-m", "saliency", "-o", out])
    assert code == 2 and f"did you mean '{photo}'?" in err


def test_an_unknown_class_lists_the_classes_and_the_closest(tmp_path, capsys):
    out = str(tmp_path / "x.png")
    code, err = run(capsys, ["explain", "sample:0", "-m", "saliency", "--target", "Banana", "-o", out])
    assert code == 2 and "no class 'Banana' in fashion_mnist_vgg; the classes are 'T-shirt/top', 'Trouser'" in err
    assert "'Ankle boot'; or give an index 0 .. 9" in err
    code, err = run(capsys, ["explain", "sample:0", "-m", "saliency", "--target", "sneakr", "-o", out])
    assert code == 2 and "did you mean 'Sneaker'?" in err

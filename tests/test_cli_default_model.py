"""Issue 19, item 3: a photo goes to a network that knows photos (EfficientNet-Lite0, ImageNet)
when no --model is given, and the choice is said; the bundled Fashion-MNIST model keeps its
samples and grey 28x28 images; without EfficientNet-Lite0 the fallback is said with the pip
command; random weights are said in the output and on every figure, with ImageNet's names."""
import importlib

import numpy as np
import pytest
from PIL import Image
from cli_runs import cli, footer, portrait

from cnnvis.models.classes import imagenet_class_names
from cnnvis.pretrained import PRETRAINED, weights_path

INSTALL = PRETRAINED["efficientnet-lite0"][2]


@pytest.mark.skipif(weights_path("efficientnet-lite0", required=False) is None, reason=INSTALL)
def test_a_photo_goes_to_efficientnet_lite0(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "predict", portrait(tmp_path), "-o", tmp_path / "p.png", "--k", "2")
    assert ran.code == 0
    assert "model: efficientnet-lite0 (ImageNet classes), the default for a photo; --model to choose another" in ran.err
    assert "input: resized 200x300 -> 224x224 (centre crop)" in ran.err
    assert ran.out.splitlines()[0].endswith("golden retriever")  # the dog, not '99.78% Bag'
    assert footer(ran.figure).startswith("EfficientNet-Lite0 (ImageNet weights); input resized")


def test_samples_and_grey_28x28_images_keep_the_bundled_model(tmp_path, capsys, monkeypatch):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((28, 28), 90, np.uint8)).save(grey)
    for image in ("sample:13", grey):
        ran = cli(capsys, monkeypatch, "predict", image, "-o", tmp_path / "p.png")
        assert ran.code == 0 and "model:" not in ran.err and "input:" not in ran.err
        assert footer(ran.figure) == "the bundled Fashion-MNIST model"


def test_without_efficientnet_lite0_the_fallback_is_said(tmp_path, capsys, monkeypatch):
    module = importlib.import_module("cnnvis.pretrained")
    monkeypatch.setattr(module, "weights_path", lambda name, required=True: None)
    ran = cli(capsys, monkeypatch, "predict", portrait(tmp_path), "-o", tmp_path / "p.png", "-q")
    assert ran.code == 0
    assert f"efficientnet-lite0, the default model for photos, is not installed ({INSTALL}): using the bundled " \
           "Fashion-MNIST model (28x28 grey clothes) instead" in ran.err  # --quiet or not: it is about the result
    assert footer(ran.figure) == "the bundled Fashion-MNIST model; input resized 200x300 -> 28x28 (centre crop), " \
                                 "colour -> grey"


def test_random_weights_are_said_and_use_imagenet_names(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "predict", "cat", "--model", "resnet18", "-o", tmp_path / "p.png", "-q")
    assert ran.code == 0 and "resnet18 has random weights" in ran.err
    names = set(imagenet_class_names())
    assert all(line.strip().split("%  ", 1)[1] in names for line in ran.out.splitlines()[:5])
    assert footer(ran.figure) == "resnet18 with random weights"

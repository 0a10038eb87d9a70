"""The unit commands end to end on a tiny saved network: each writes its picture."""
import numpy as np
import pytest
from PIL import Image
from units_nets import tiny_vgg

from cnnvis.cli import main
from cnnvis.weights import save


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("units_cli")
    weights = str(save(tiny_vgg(), root / "tiny.h5"))
    folder = root / "images"
    folder.mkdir()
    for k, image in enumerate(np.random.default_rng(0).integers(0, 256, (6, 20, 20, 3), dtype=np.uint8)):
        Image.fromarray(image).save(folder / f"{k}.png")  # 20x20: resized to the net's 16x16
    return root, weights, str(folder / "0.png")


COMMANDS = {
    "filters": ["filters", "--layer", "block2_conv1", "--mode", "strongest"],
    "feature_maps": ["feature-maps", "--image", "IMAGE", "--layer", "block1_conv2_relu", "--sort"],
    "channel": ["feature-maps", "--image", "IMAGE", "--layer", "block2_conv1", "--channel", "2"],
    "top_patches": ["top-patches", "--source", "FOLDER", "--layer", "block2_conv1", "--channels",
                    "0-2", "--k", "4", "--project", "deconvnet", "--inside"],
    "actmax": ["actmax", "--target", "b", "--target", "3", "--steps", "5", "--gif", "GIF",
               "--record-every", "2"],
    "top_filters": ["actmax", "--top-filters", "block2_conv1", "--n", "4", "--steps", "3"],
    "deepdream": ["deepdream", "--image", "IMAGE", "--layer", "block2_conv1", "--steps", "2",
                  "--octaves", "2"],
    "predict": ["predict", "--image", "IMAGE", "--k", "3"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_writes_its_picture(setup, name, capsys):
    root, weights, image = setup
    out = root / f"{name}.png"
    args = [{"IMAGE": image, "FOLDER": str(root / "images"), "GIF": str(root / f"{name}.gif")}.get(a, a)
            for a in COMMANDS[name]]
    assert main(args + ["--weights", weights, "--out", str(out), "--quiet"]) == 0
    assert Image.open(out).format == "PNG"
    assert str(out) in capsys.readouterr().out
    if "--gif" in args:
        with Image.open(root / f"{name}.gif") as gif:
            assert gif.n_frames == 4  # steps 0, 2, 4 and the last (5)


def test_bad_input_is_a_clear_error(setup, capsys):
    root, weights, _ = setup
    assert main(["actmax", "--weights", weights, "--target", "block2_conv1:x", "--out",
                 str(root / "x.png")]) == 2
    assert "LAYER:CHANNEL" in capsys.readouterr().err
    assert main(["filters", "--weights", weights, "--layer", "fc1", "--out", str(root / "y.png")]) == 2
    assert "not a Conv2D" in capsys.readouterr().err
    assert not (root / "x.png").exists() and not (root / "y.png").exists()


def test_defaults_use_the_bundled_model_and_samples(tmp_path, capsys):
    assert main(["embed", "--out", str(tmp_path / "embed.png"), "--thumbnails", "5", "--quiet"]) == 0
    assert main(["predict", "--image", "sample:13", "--out", str(tmp_path / "pred.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the embed's path, then the top 5: sample 13 is the fourth trouser (10 per class, in order)
    assert lines[1].split()[-1] == "Trouser" and len(lines) == 7
    assert Image.open(tmp_path / "embed.png").format == "PNG"
    assert main(["predict", "--image", "sample:100", "--out", str(tmp_path / "x.png")]) == 2
    assert "sample:0 .. sample:99" in capsys.readouterr().err
    assert main(["predict", "--image", "sample:one", "--out", str(tmp_path / "x.png")]) == 2
    assert "sample:0 .. sample:99" in capsys.readouterr().err


@pytest.mark.parametrize("channel", ["4", "-1"])  # block1_conv2_relu has channels 0..3
def test_a_channel_outside_the_layer_is_a_clear_error(setup, capsys, channel):
    root, weights, image = setup
    out = root / "no_channel.png"
    assert main(["feature-maps", "--weights", weights, "--image", image, "--layer", "block1_conv2_relu",
                 "--channel", channel, "--out", str(out)]) == 2
    assert "out of range" in capsys.readouterr().err and not out.exists()

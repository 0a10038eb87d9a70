"""Issue 19, item 4: the same conventions in every command. The image is positional (--image
is the same), -o/--out has one default rule, -q/--quiet and (for pictures) --dpi exist
everywhere, the path written is printed alone on stdout, `cnnvis --version`, and a unit is
written LAYER:CHANNEL[:I:J] in what a command takes and in its titles."""
import argparse

import pytest
from PIL import Image
from cli_runs import cli, texts

import cnnvis
from cnnvis.cli import build_parser, main
from cnnvis.commands.options import image_spec

IMAGE_COMMANDS = {"explain": ["-m", "saliency"], "predict": [], "feature-maps": ["--layer", "block1_conv1"],
                  "deepdream": ["--layer", "block1_conv1"], "verify": []}
PICTURE_COMMANDS = ("explain", "predict", "feature-maps", "deepdream", "filters", "actmax", "top-patches", "embed")


def subparsers():
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"cnnvis {cnnvis.__version__}\n"


@pytest.mark.parametrize("command", list(IMAGE_COMMANDS))
def test_the_image_is_positional_and_image_is_the_same(command):
    sub = subparsers()[command]
    for argv in (["cat"], ["--image", "cat"], ["cat", "--image", "cat"]):
        assert image_spec(sub.parse_args(argv + IMAGE_COMMANDS[command])) == "cat"
    assert image_spec(sub.parse_args(IMAGE_COMMANDS[command])) is None  # the default image


def test_every_command_has_quiet_and_every_picture_out_and_dpi():
    def options(parser):
        return {s for a in parser._actions for s in a.option_strings}

    for name, sub in subparsers().items():
        nested = [p for a in sub._actions if isinstance(a, argparse._SubParsersAction) for p in a.choices.values()]
        for parser in nested or [sub]:
            assert {"-q", "--quiet"} <= options(parser), name
    for name in PICTURE_COMMANDS:
        assert {"-o", "--out", "--dpi"} <= options(subparsers()[name]), name


@pytest.mark.parametrize("argv, written", [
    (["predict", "sample:13"], "sample13-predict.png"),
    (["explain", "sample:3", "-m", "gradcam"], "sample3-gradcam.png"),
    (["feature-maps", "--image", "sample:3", "--layer", "block1_conv1"], "sample3-feature-maps.png"),
    (["filters"], "filters.png"),
    (["actmax", "--steps", "2"], "actmax.png"),
    (["embed", "--limit", "20"], "embed.png"),
])
def test_one_default_rule_for_the_output_and_the_path_alone_on_stdout(tmp_path, capsys, monkeypatch, argv, written):
    monkeypatch.chdir(tmp_path)
    ran = cli(capsys, monkeypatch, *argv, "-q")
    assert ran.code == 0 and (tmp_path / written).exists()
    assert ran.out.splitlines()[-1] == written  # predict's table above it; nothing else anywhere
    assert len(ran.out.splitlines()) == (1 + 5 if argv[0] == "predict" else 1)


def test_the_written_path_is_printed_alike_by_the_text_and_weights_commands(tmp_path, capsys):
    from importlib import resources
    assert main(["trace", "-o", str(tmp_path / "t.txt")]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 't.txt'}\n"
    bundled = str(resources.files("cnnvis") / "data" / "fashion_mnist_vgg.h5")
    assert main(["weights", "convert", bundled, str(tmp_path / "w.h5"), "-q"]) == 0
    assert capsys.readouterr() == (f"{tmp_path / 'w.h5'}\n", "")


def test_dpi_sets_the_resolution(tmp_path, capsys):
    for dpi in (50, 100):
        assert main(["filters", "--dpi", str(dpi), "-o", str(tmp_path / f"{dpi}.png"), "-q"]) == 0
    small, large = (Image.open(tmp_path / f"{d}.png").size for d in (50, 100))
    assert abs(large[0] / small[0] - 2) < 0.1


def test_units_are_written_as_they_are_given(tmp_path, capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "explain", "sample:3", "-m", "guided-backprop", "--target", "block2_conv1_relu:3",
              "-o", tmp_path / "u.png")
    assert ran.code == 0 and "for: block2_conv1_relu:3 (mean activation = " in ran.figure.get_suptitle()
    ran = cli(capsys, monkeypatch, "explain", "sample:3", "-m", "saliency", "--target", "block2_conv1_relu:3:4:5",
              "-o", tmp_path / "u.png")
    assert "for: block2_conv1_relu:3:4:5 (activation = " in ran.figure.get_suptitle()
    ran = cli(capsys, monkeypatch, "top-patches", "--layer", "block2_conv1", "--channels", "0,5", "--k", "2",
              "-o", tmp_path / "t.png")
    units = [t.split("\n")[0] for t in texts(ran.figure) if t.startswith("block2_conv1")]
    assert units == ["block2_conv1:0", "block2_conv1:5"]  # not 'block2_conv1 #0'
    for old in ("block2_conv1_relu[3]", "block2_conv1_relu #3"):  # what titles used to say, pasted
        ran = cli(capsys, monkeypatch, "explain", "sample:3", "-m", "saliency", "--target", old, "-o", tmp_path / "x.png")
        assert ran.code == 2 and f"give --target block2_conv1_relu:3, not '{old}'" in ran.err

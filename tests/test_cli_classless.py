"""Issue 19, item 1: every command handles a network without classes (a conv stack: --model hed,
vgg16-notop, any file without a classifier). Where a default exists (the most active channel of
the last layer) it is used and the figure says so; a class target is an error proposing a unit."""
import re

import pytest
from cli_runs import cli, colorbars, conv_stack_file, footer, portrait, texts


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classless")
    return conv_stack_file(folder), portrait(folder)


def test_predict_shows_the_most_active_channels_instead_of_classes(files, tmp_path, capsys, monkeypatch):
    weights, photo = files
    ran = cli(capsys, monkeypatch, "predict", photo, "--weights", weights, "-o", tmp_path / "p.png")
    assert ran.code == 0
    assert "has no classes (its last layer block2_pool outputs feature maps): showing its 5 most active " \
           "channels instead; explain one with --target block2_pool:" in ran.err
    rows = ran.out.splitlines()
    assert len(rows) == 6 and all(re.fullmatch(r"\s*[\d.e+-]+  block2_pool:\d+", r) for r in rows[:5])
    assert rows[5] == str(tmp_path / "p.png")
    assert "no classes: the 5 most active channels of block2_pool" in texts(ran.figure)
    assert "mean activation" in texts(ran.figure)


def test_actmax_without_a_target_maximizes_the_most_active_channel_and_says_so(files, tmp_path, capsys, monkeypatch):
    weights, _ = files
    ran = cli(capsys, monkeypatch, "actmax", "--weights", weights, "--steps", "3", "-o", tmp_path / "a.png")
    assert ran.code == 0  # it used to compute, then fail drawing (x and y can be no greater than 2D)
    (title,) = [t for t in texts(ran.figure) if t.startswith("activation maximization")]
    assert re.fullmatch(r"activation maximization of block2_pool:\d+ \(no classes: the most active channel of "
                        r"the last layer on a grey image\)", title)
    assert "has no classes: maximizing block2_pool:" in ran.err


def test_explain_by_default_explains_the_most_active_channel_and_says_so(files, tmp_path, capsys, monkeypatch):
    weights, photo = files
    ran = cli(capsys, monkeypatch, "explain", photo, "-m", "gradcam", "--weights", weights, "-o", tmp_path / "e.png")
    assert ran.code == 0
    title = ran.figure.get_suptitle()
    unit = re.search(r"for: (block2_pool:\d+) \(mean activation = ", title).group(1)
    assert title.endswith("\nthe most active channel of the last layer: the network has no classes")
    assert f"target: {unit}, the most active channel" in ran.err
    assert colorbars(ran.figure) == ["relevance, scaled to 0..1"]
    assert "small_vgg from conv_stack.h5" in footer(ran.figure)
    ran = cli(capsys, monkeypatch, "explain", photo, "-m", "all", "--samples", "2", "--steps", "2", "--weights",
              weights, "-o", tmp_path / "all.png", "-q")
    assert ran.code == 0 and "the network has no classes" in ran.figure.get_suptitle()


@pytest.mark.parametrize("argv", [["explain", "PHOTO", "-m", "saliency"], ["actmax", "--steps", "2"],
                                  ["explain", "PHOTO", "-m", "fgsm"]])
def test_a_bare_number_is_an_error_not_class_3(files, tmp_path, capsys, monkeypatch, argv):
    weights, photo = files
    out = tmp_path / "x.png"
    ran = cli(capsys, monkeypatch, *[photo if a == "PHOTO" else a for a in argv], "--weights", weights,
              "--target", "3", "-o", out)
    assert ran.code == 2 and not out.exists()
    assert "--target 3 is an index of a class, but small_vgg has no classes: its last layer block2_pool " \
           "outputs a feature map" in ran.err
    assert re.search(r"e\.g\. --target block2_pool:\d+ \(its most active channel on (this|a grey) image\)", ran.err)


def test_fgsm_without_classes_says_why_it_cannot(files, tmp_path, capsys, monkeypatch):
    weights, photo = files
    ran = cli(capsys, monkeypatch, "explain", photo, "-m", "fgsm", "--weights", weights, "-o", tmp_path / "f.png")
    assert ran.code == 2 and "FGSM changes an image to change the predicted class, and small_vgg has no classes" \
        in ran.err

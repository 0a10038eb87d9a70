"""Issue 19, item 7: errors in the user's terms. No message of a command names a Python
parameter or call where the command has an option for it (commands/terms.py rewrites what
only a method can find out; the commands check the rest in their own words)."""
import re

import pytest
from cli_runs import cli

from cnnvis.cli import build_parser
from cnnvis.commands.terms import in_cli_terms

PYTHON = re.compile(r"\b[a-z_]+=|Unit\(|cnnvis\.\w+\(")  # a keyword argument, a Unit, a call


@pytest.mark.parametrize("argv, said", [
    (["gradcheck", "maxpool", "--size", "1"], "input 1x1 is smaller than its 2x2 window; use a larger --size"),
    (["top-patches", "--layer", "block1_conv1", "--source", "nowhere"],
     "argument --source: nowhere is not found; give a folder of images, or 'bundled'"),
    (["embed", "--source", "EMPTY"], "no images in folder EMPTY; give a folder of image files"),
    (["embed", "--size", "16", "16"], "fashion_mnist_vgg takes only 28x28 images (a dense layer fixes the size): "
                                      "drop --size, or give --size 28 28"),
    (["explain", "sample:0", "-m", "smoothgrad", "--samples", "0"], "argument --samples: expected a whole number >= 1"),
    (["explain", "sample:0", "-m", "saliency", "--layer", "fc1"], "--layer is the layer of the CAM methods"),
    (["explain", "sample:0", "-m", "saliency", "--steps", "3"], "saliency takes no option --steps"),
    (["feature-maps", "sample:0", "--layer", "block1_conv1", "--top-k", "99"], "--top-k must be between 1 and the 32"),
    (["actmax", "--target", "fc1:3", "--octaves", "2", "--steps", "1"], "use --octaves 1 and the network's input size"),
    (["deepdream", "sample:0", "--layer", "fc1", "--octaves", "2"], "use --octaves 1, or dream a conv layer"),
    (["predict", "sample:0", "--k", "11"], "fashion_mnist_vgg has only 10 classes, so there is no top 11"),
    (["explain", "cat", "--image", "dog", "-m", "saliency"], "several images ('cat', 'dog') make a dataset run"),
    (["weights", "info", "nowhere.h5"], "give a weights file, or the name of a model: bundled, efficientnet-lite0, hed"),
    (["explain", "sample:0", "-m", "fgsm", "--target", "block1_conv1:0"], "not units of a layer"),
])
def test_messages_speak_of_options(tmp_path, capsys, monkeypatch, argv, said):
    (tmp_path / "EMPTY").mkdir()
    monkeypatch.chdir(tmp_path)
    ran = cli(capsys, monkeypatch, *argv)
    assert ran.code == 2 and said in ran.err, ran.err
    assert not PYTHON.search(ran.err), ran.err
    assert list(tmp_path.iterdir()) == [tmp_path / "EMPTY"]  # nothing written


def test_score_prob_without_a_softmax_names_the_option(tmp_path, capsys, monkeypatch):
    from cnnvis.graph import Network
    from cnnvis.models import small_vgg
    from cnnvis.weights import save
    net = small_vgg(widths=(4,), input_shape=(1, 28, 28), classes=3)
    weights = save(Network(net.nodes[:-1], net.input_shape, net.preprocessing), tmp_path / "logits.h5")
    ran = cli(capsys, monkeypatch, "explain", "sample:0", "-m", "saliency", "--weights", weights, "--score", "prob",
              "-o", tmp_path / "x.png")
    assert ran.code == 2 and "--score prob needs a network ending in a softmax" in ran.err
    assert "use --score logit" in ran.err and not PYTHON.search(ran.err)


def test_weights_info_finds_a_models_file(capsys, monkeypatch):
    ran = cli(capsys, monkeypatch, "weights", "info", "bundled")
    assert ran.code == 0 and "fashion_mnist_vgg.h5\nformat: cnnvis" in ran.out


def test_python_names_become_the_options_of_the_command():
    parser = build_parser()
    assert in_cli_terms("use octaves=1", parser, "actmax") == "use --octaves 1"
    assert in_cli_terms("score='prob' needs one; use score='logit'", parser, "explain") == \
        "--score prob needs one; use --score logit"
    assert in_cli_terms("e.g. Unit('block5_pool', 7) or Unit('b', 1, 2, 3)", parser, "explain") == \
        "e.g. block5_pool:7 or b:1:2:3"
    assert in_cli_terms("top_k must be between 1 and 8", parser, "feature-maps") == "--top-k must be between 1 and 8"
    assert in_cli_terms("give net= the architecture", parser, "summary") == "give --model the architecture"
    assert in_cli_terms("give mapping= to say which", parser, "weights") == "give --map to say which"
    # what is not an option of the command stays as it is; a layer name is not a parameter
    assert in_cli_terms("use octaves=1 in block1_conv1", parser, "filters") == "use octaves=1 in block1_conv1"

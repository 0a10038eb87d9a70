"""Issue 17 item 8, on the command line: a layer name typed by a user goes through
methods.targets.layer_node once (commands/session.Run.layer), for --layer, --target's units and
--top-filters alike; where it selects another node (Keras weights: a conv's name means its
activation) the command says which, and its titles name the node used."""
import numpy as np
import pytest
from PIL import Image
from cli_runs import cli, footer, texts

import cnnvis
from cnnvis.weights import save


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(Keras-named conv stack, the same with node names, a 32x32 photo) as files."""
    folder = tmp_path_factory.mktemp("names")
    net = cnnvis.vgg16(include_top=False, input_shape=(3, 32, 32))
    save(net, folder / "plain.h5")
    net.naming = "keras"
    save(net, folder / "keras.h5")
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(folder / "p.png")
    return folder / "keras.h5", folder / "plain.h5", folder / "p.png"


def test_a_keras_conv_name_selects_its_activation_and_says_so(files, tmp_path, capsys, monkeypatch):
    keras, _, photo = files
    ran = cli(capsys, monkeypatch, "feature-maps", photo, "--weights", keras, "--layer", "block1_conv2",
              "--channel", "3", "-o", tmp_path / "m.png")
    assert ran.code == 0 and "--layer block1_conv2: node block1_conv2_relu (as in Keras" in ran.err
    assert any("block1_conv2_relu:3" in t for t in texts(ran.figure))  # the title names the node used
    assert "--layer block1_conv2: node block1_conv2_relu" in footer(ran.figure)
    ran = cli(capsys, monkeypatch, "explain", photo, "--weights", keras, "-m", "saliency",
              "--target", "block2_conv1:5", "-o", tmp_path / "s.png")
    assert ran.code == 0 and "--target block2_conv1: node block2_conv1_relu" in ran.err
    assert any("block2_conv1_relu:5" in t for t in texts(ran.figure))


def test_pre_asks_for_the_convolution_and_other_weights_keep_node_names(files, tmp_path, capsys, monkeypatch):
    keras, plain, photo = files
    ran = cli(capsys, monkeypatch, "feature-maps", photo, "--weights", keras, "--layer", "block1_conv2.pre",
              "--channel", "3", "-o", tmp_path / "m.png")
    assert ran.code == 0 and "--layer block1_conv2.pre: node block1_conv2 (the convolution itself)" in ran.err
    assert any("block1_conv2:3" in t for t in texts(ran.figure))
    ran = cli(capsys, monkeypatch, "feature-maps", photo, "--weights", plain, "--layer", "block1_conv2",
              "--channel", "3", "-o", tmp_path / "n.png")
    assert ran.code == 0 and "node" not in ran.err
    assert any("block1_conv2:3" in t for t in texts(ran.figure))
    ran = cli(capsys, monkeypatch, "feature-maps", photo, "--weights", plain, "--layer", "block9", "-o", tmp_path / "x.png")
    assert ran.code == 2 and "no layer 'block9'" in ran.err  # checked once, in the user's name


def test_a_csv_files_unit_targets_go_through_the_same_names(files, tmp_path, capsys, monkeypatch):
    """A dataset run's CSV rows name units as a user types them: with Keras weights a conv's name
    means its activation there too, said once for the run, and the table names the node used
    (every row has a target: the network's lack of classes is no error)."""
    import csv
    keras, _, photo = files
    table = tmp_path / "targets.csv"
    table.write_text(f"path,target\n{photo},block2_conv1:5\n{photo},block2_conv1:6\n{photo},block2_conv1_relu:7\n")
    ran = cli(capsys, monkeypatch, "explain", table, "--weights", keras, "-m", "saliency",
              "--out", f"{tmp_path / 'run'}/")
    assert ran.code == 0, ran.err
    assert ran.err.count("a CSV target's layer block2_conv1: node block2_conv1_relu") == 1
    with open(tmp_path / "run" / "explanations.csv") as f:
        assert [row["target"] for row in csv.DictReader(f)] == ["block2_conv1_relu:5", "block2_conv1_relu:6",
                                                                 "block2_conv1_relu:7"]

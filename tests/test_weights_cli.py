"""`cnnvis weights convert` and `cnnvis weights info`, end to end through cnnvis.cli.main."""

import h5py
import numpy as np
import pytest

from cnnvis.cli import main
from cnnvis.models import small_vgg
from cnnvis.pretrained import weights_path
from cnnvis.loading import detect_format, load
from cnnvis.weights import save


@pytest.fixture(scope="module")
def hed_path():
    return weights_path("hed")  # a WeightsError saying how to install it if missing


def test_convert_keras3_to_cnnvis_and_back(tmp_path, hed_path, capsys):
    out = tmp_path / "hed.h5"
    assert main(["weights", "convert", hed_path, str(out), "--map", "block1/layers/conv2d=block1_conv1"]) == 0
    printed = capsys.readouterr()
    assert printed.out == f"{out}\n" and "(keras3) ->" in printed.err  # the path on stdout, the rest on stderr
    assert detect_format(str(out)) == "cnnvis"
    net = load(out)
    assert net.preprocessing.to_dict()["channel_order"] == "BGR" and "fc1" not in net
    with h5py.File(hed_path, "r") as f:  # the file's kernels, HWIO -> OIHW by hand
        for path, name in (("block1/layers/conv2d", "block1_conv1"),
                           ("block5/layers/conv2d_2", "block5_conv3")):
            np.testing.assert_array_equal(net[name].params["weight"],
                                          np.einsum("hwio->oihw", f[path + "/vars/0"][()]))
            np.testing.assert_array_equal(net[name].params["bias"], f[path + "/vars/1"][()])


def test_convert_with_class_names(tmp_path, capsys):
    src = save(small_vgg(), tmp_path / "small.h5")
    (tmp_path / "names.txt").write_text("\n".join(f"item {i}" for i in range(10)) + "\n\n")
    assert main(["weights", "convert", str(src), str(tmp_path / "named.h5"),
                 "--class-names", str(tmp_path / "names.txt")]) == 0
    assert load(tmp_path / "named.h5").class_names == [f"item {i}" for i in range(10)]


def test_convert_errors_exit_2_with_a_message(tmp_path, hed_path, capsys):
    assert main(["weights", "convert", hed_path, str(tmp_path / "x.h5"), "--format", "keras"]) == 2
    assert "not a Keras 2 weights file" in capsys.readouterr().err
    assert main(["weights", "convert", hed_path, str(tmp_path / "x.h5"), "--map", "nonsense"]) == 2
    assert "--map takes FILE_NAME=LAYER" in capsys.readouterr().err
    assert main(["weights", "convert", str(tmp_path / "missing.h5"), str(tmp_path / "x.h5")]) == 2
    assert "weights file not found" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


def test_info(hed_path, capsys):
    assert main(["weights", "info", hed_path]) == 0
    out = capsys.readouterr().out
    assert "format: keras3" in out and "class names: none" in out
    assert main(["weights", "info", "hed"]) == 0  # a model's name finds its file
    assert capsys.readouterr().out == out
    assert "block5_conv3  Conv2D  weight (512, 512, 3, 3)  bias (512,)" in out

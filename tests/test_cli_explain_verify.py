"""`cnnvis explain` and `cnnvis verify` end to end, on a small saved network."""
import numpy as np
import pytest
from PIL import Image

import cnnvis
from cnnvis.cli import main
from cnnvis.explain import METHODS
from cnnvis.weights import save


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 32, 32), classes=4, seed=3,
                           class_names=["ant", "bee", "cat", "dog"])
    path = tmp_path_factory.mktemp("m") / "small.h5"
    save(net, path)
    return str(path)


OPTIONS = {"smoothgrad": ["--samples", "4"], "integrated-gradients": ["--steps", "4"],
           "occlusion": ["--patch", "8", "--stride", "8"], "all": ["--samples", "4", "--steps", "4"]}


@pytest.mark.parametrize("method", METHODS)
def test_explain_every_method_writes_a_picture(model_file, tmp_path, method):
    out = tmp_path / f"{method}.png"
    args = ["explain", "cat", "--method", method, "--weights", model_file, "--out", str(out), "--quiet",
            *OPTIONS.get(method, [])]
    assert main(args) == 0
    with Image.open(out) as img:
        assert img.size[0] > 200 and img.size[1] > 150
        assert np.asarray(img.convert("L")).std() > 5  # not a blank canvas


def test_explain_unit_target_and_class_name(model_file, tmp_path):
    assert main(["explain", "dog", "-m", "guided-backprop", "--weights", model_file, "--quiet",
                 "--target", "block2_conv1_relu:3", "--out", str(tmp_path / "u.png")]) == 0
    assert main(["explain", "dog", "-m", "gradcam", "--weights", model_file, "--quiet",
                 "--target", "bee", "--out", str(tmp_path / "c.png")]) == 0


@pytest.mark.parametrize("target,message", [("zebra", "no class 'zebra'"), ("9", "out of range"),
                                            ("block9:1", "no layer 'block9'")])
def test_explain_bad_target_is_a_clear_error(model_file, tmp_path, capsys, target, message):
    out = tmp_path / "x.png"
    assert main(["explain", "cat", "-m", "saliency", "--weights", model_file, "--target", target,
                 "--out", str(out), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # nothing half-written


def test_explain_option_of_another_method_is_an_error(model_file, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["explain", "cat", "-m", "saliency", "--weights", model_file, "--steps", "4",
                 "--out", str(out), "--quiet"]) == 2
    assert "saliency takes no option --steps; its options are: none" in capsys.readouterr().err and not out.exists()


def test_explain_missing_image(model_file, tmp_path, capsys):
    assert main(["explain", str(tmp_path / "nope.jpg"), "-m", "saliency", "--weights", model_file,
                 "--out", str(tmp_path / "x.png"), "--quiet"]) == 2
    assert "image file not found" in capsys.readouterr().err


def test_verify_passes_and_catches_a_broken_layer(model_file, capsys, monkeypatch):
    assert main(["verify", "--weights", model_file]) == 0
    report = capsys.readouterr().out
    for name in ("block1_conv1 (Conv2D)", "deconvnet rule", "Captum LayerGradCam", "integrated gradients"):
        assert name in report
    from cnnvis.layers import Dense
    original = Dense.backward
    monkeypatch.setattr(Dense, "backward", lambda self, g, cache, rule="gradient":
                        tuple(1.01 * dx for dx in original(self, g, cache, rule)))
    assert main(["verify", "--weights", model_file]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_verify_passes_out_of_the_box_on_the_bundled_model(capsys):
    # integrated gradients used to fail at 1.5e-9: Captum's float32 Gauss-Legendre weights
    assert main(["verify"]) == 0
    out, err = capsys.readouterr()
    assert "FAIL" not in out and "0 failed" in err
    ig = [line for line in out.splitlines() if line.startswith("integrated gradients vs Captum")]
    assert len(ig) == 1 and float(ig[0].split()[-3]) < 1e-14  # max relative difference: rounding


def test_verify_a_float64_network(tmp_path, capsys):
    # a float64 cnnvis file loads as float64; verify used to crash feeding its float32 input
    # to a float64 mirror
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 32, 32), classes=4, seed=3)
    path = save(net.astype(np.float64), tmp_path / "f64.h5")
    assert main(["verify", "--weights", str(path), "--no-methods"]) == 0
    assert "forward, float32" in capsys.readouterr().out


def test_verify_without_captum_says_which_checks_did_not_run(model_file, monkeypatch, capsys):
    # a check asked for that could not run is in the table, with the reason, and no pass
    import sys
    monkeypatch.setitem(sys.modules, "captum.attr", None)  # `import captum.attr` now fails
    assert main(["verify", "--weights", model_file]) == 1
    out, err = capsys.readouterr()
    not_run = [line for line in out.splitlines() if "NOT RUN: captum is not installed" in line]
    assert len(not_run) == 6 and "Captum Saliency" in not_run[0]
    assert "FAIL" not in out and "0 failed, 6 not run" in err
    assert main(["verify", "--weights", model_file, "--no-methods"]) == 0  # not asked for


def test_verify_a_unit_target_against_captum(model_file, capsys):
    # a unit is explained as its score on both sides (Captum gets a forward returning it)
    assert main(["verify", "--weights", model_file, "--target", "block2_pool:3"]) == 0
    out, err = capsys.readouterr()
    for name in ("Captum Saliency", "Captum GuidedBackprop", "Captum Deconvolution",
                 "Captum LayerGradCam", "integrated gradients vs Captum"):
        (line,) = [line for line in out.splitlines() if name in line]
        assert line.endswith("ok") and float(line.split()[-4]) > 0, line  # max |diff|: not all zeros
    assert "0 failed, 0 not run" in err


def test_verify_says_why_grad_cam_cannot_explain_an_early_unit(model_file, capsys):
    assert main(["verify", "--weights", model_file, "--target", "block1_conv1_relu:1"]) == 1
    out, err = capsys.readouterr()
    (line,) = [line for line in out.splitlines() if "LayerGradCam" in line]
    assert "NOT RUN: the target is in 'block1_conv1_relu', which does not come after the CAM layer" in line
    assert "0 failed, 1 not run" in err

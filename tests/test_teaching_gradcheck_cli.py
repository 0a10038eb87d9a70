"""`cnnvis gradcheck LAYER` (issue 8): PASS with exit status 0 on every layer type, FAIL with
exit status 1 when a backward pass is deliberately broken.

The tolerance is the command's default, 1e-6 relative (norm-based, cnnvis/gradcheck.py):
float64 central differences with eps 1e-6 are accurate to ~1e-10 here, and the breakages
below are off by 1e-2 or more, so both outcomes are far from the threshold.
"""
import re

import numpy as np
import pytest

from cnnvis.cli import main
from cnnvis.layers import Conv2D, Dense, MaxPool2D, ReLU, Softmax


def run(capsys, *argv):
    code = main(["gradcheck", *argv, "--quiet"])
    return code, capsys.readouterr().out


def largest_rel_error(out):
    return float(re.search(r"largest rel error ([0-9.e+-]+)", out).group(1))


@pytest.mark.parametrize("argv", [
    ["conv"], ["conv", "--stride", "2", "--padding", "0", "--size", "7", "--kernel", "3"],
    ["conv", "--kernel", "1", "--channels", "2", "--filters", "3"],
    ["relu"], ["relu", "--rule", "deconvnet"], ["relu", "--rule", "guided"],
    ["maxpool"], ["maxpool", "--kernel", "3", "--stride", "2", "--padding", "1", "--size", "7"],
    ["dense"], ["softmax"], ["flatten"], ["dropout"], ["dropout", "--eval"],
])
def test_every_layer_passes(capsys, argv):
    code, out = run(capsys, *argv)
    assert code == 0, out
    assert "PASSED" in out and "FAIL" not in out
    assert largest_rel_error(out) < 1e-8  # measured <= 1.6e-10 (conv); see the module docstring
    assert "analytic" in out and "reference" in out  # entries side by side


def test_options_reach_the_layer(capsys):
    _, out = run(capsys, "conv", "--stride", "2", "--padding", "0", "--size", "7", "--filters", "5",
                 "--entries", "2")
    assert "stride=[2, 2]" in out and "padding=[0, 0, 0, 0]" in out and "out_channels=5" in out
    assert "input (2, 3, 7, 7)" in out
    assert out.count("\n(0, 0, 0, ") >= 2  # two entries per tensor shown
    _, out = run(capsys, "dropout")
    assert "training mode" in out


def scaled(method, factor):
    def broken(self, g, cache, rule="gradient"):
        return tuple(dx * factor for dx in method(self, g, cache, rule=rule))
    return broken


@pytest.mark.parametrize("layer, cls", [("conv", Conv2D), ("dense", Dense), ("maxpool", MaxPool2D),
                                        ("softmax", Softmax), ("relu", ReLU)])
def test_broken_backward_fails(capsys, monkeypatch, layer, cls):
    monkeypatch.setattr(cls, "backward", scaled(cls.backward, 1.01))  # 1% off
    code, out = run(capsys, layer)
    assert code == 1, out
    assert "FAILED" in out and "FAIL" in out.splitlines()[6]  # the input row of the table
    assert largest_rel_error(out) > 1e-3


def test_relu_without_its_mask_fails(capsys, monkeypatch):
    """The classic mistake: letting the gradient through dead units (deconvnet's rule)."""
    monkeypatch.setattr(ReLU, "backward", lambda self, g, cache, rule="gradient":
                        (np.where(g > 0, g, 0.0),))
    code, out = run(capsys, "relu")
    assert code == 1 and "FAILED" in out
    code, out = run(capsys, "relu", "--rule", "deconvnet")
    assert code == 0, out  # it is exactly the deconvnet rule


def test_bad_options(capsys):
    assert main(["gradcheck", "conv", "--kernel", "9"]) == 2
    assert "smaller than its 9x9 kernel" in capsys.readouterr().err
    assert main(["gradcheck", "dense", "--eps", "0"]) == 2
    assert "--eps" in capsys.readouterr().err
    assert main(["gradcheck", "lstm"]) == 2
    assert "invalid choice: 'lstm'" in capsys.readouterr().err

"""`cnnvis gradcheck` on the layers of residual and mobile networks (issue 14): batchnorm
(inference and --train), relu6, silu, sigmoid, add, concat, multiply, gap, avgpool, and
grouped / depthwise / dilated conv. PASS with exit status 0; FAIL with exit status 1 when a
backward pass is deliberately broken, including the classic mistakes.

Tolerance: the command's default, 1e-6 relative; float64 central differences are accurate
to ~1e-9 here (measured <= 5e-10, batchnorm --train), the breakages are off by 1e-2 or more.
"""
import numpy as np
import pytest

from cnnvis.cli import main
from cnnvis.commands.gradcheck import relu6_input
from cnnvis.layers import (Add, AvgPool2D, BatchNorm2d, Concat, Conv2D, GlobalAveragePool2D, Multiply,
                           ReLU6, Sigmoid, SiLU)
from test_teaching_gradcheck_cli import largest_rel_error, run, scaled


@pytest.mark.parametrize("argv", [
    ["batchnorm"], ["batchnorm", "--train"], ["batchnorm", "--train", "--batch", "1", "--channels", "2"],
    ["relu6"], ["relu6", "--rule", "deconvnet"], ["relu6", "--rule", "guided"],
    ["silu"], ["silu", "--rule", "guided"], ["sigmoid"], ["sigmoid", "--rule", "deconvnet"],
    ["add"], ["concat"], ["concat", "--filters", "1"], ["multiply"], ["gap"],
    ["avgpool"], ["avgpool", "--kernel", "3", "--stride", "2", "--padding", "1", "--size", "7"],
    ["conv", "--groups", "3"], ["conv", "--groups", "3", "--dilation", "2", "--size", "7"],
    ["conv", "--channels", "4", "--filters", "6", "--groups", "2"], ["conv", "--dilation", "2", "--padding", "2"],
])
def test_every_new_layer_passes(capsys, argv):
    code, out = run(capsys, *argv)
    assert code == 0, out
    assert "PASSED" in out and "FAIL" not in out
    assert largest_rel_error(out) < 1e-8


def test_options_reach_the_layer(capsys):
    _, out = run(capsys, "conv", "--groups", "3", "--dilation", "2", "--size", "7", "--entries", "0")
    assert "groups=3" in out and "dilation=[2, 2]" in out and "out_channels=3" in out  # depthwise
    assert "weight  (3, 1, 3, 3)" in out  # one input channel per filter
    _, out = run(capsys, "batchnorm", "--train")
    assert "training mode (batch statistics)" in out
    _, out = run(capsys, "batchnorm")
    assert "inference mode (running statistics)" in out
    _, out = run(capsys, "concat", "--filters", "2")
    assert "input (2, 3, 6, 6), (2, 2, 6, 6)" in out and "input1  (2, 2, 6, 6)" in out
    _, out = run(capsys, "sigmoid", "--rule", "guided")
    assert "reference: central differences" in out  # a smooth activation: the plain gradient
    _, out = run(capsys, "relu6", "--rule", "guided")
    assert "reference: the guided rule" in out


def test_relu6_input_reaches_the_upper_kink_safely():
    x = relu6_input((2, 3, 6, 6), np.random.default_rng(0))
    assert (x > 6).mean() > 0.05 and ((x > 0) & (x < 6)).mean() > 0.3
    assert np.abs(x).min() > 0.1 and np.abs(np.abs(x) - 6).min() > 1e-3


@pytest.mark.parametrize("argv, cls", [
    (["batchnorm"], BatchNorm2d), (["batchnorm", "--train"], BatchNorm2d), (["relu6"], ReLU6),
    (["silu"], SiLU), (["sigmoid"], Sigmoid), (["add"], Add), (["concat"], Concat), (["multiply"], Multiply),
    (["gap"], GlobalAveragePool2D), (["avgpool"], AvgPool2D), (["conv", "--groups", "3"], Conv2D),
])
def test_broken_backward_fails(capsys, monkeypatch, argv, cls):
    monkeypatch.setattr(cls, "backward", scaled(cls.backward, 1.01))  # 1% off
    code, out = run(capsys, *argv)
    assert code == 1, out
    assert "FAILED" in out and "FAIL" in out.splitlines()[6]  # the (first) input row of the table
    assert largest_rel_error(out) > 1e-3


def test_batchnorm_training_needs_the_full_backward(capsys, monkeypatch):
    """The classic mistake: in training mode, backward as if mu and var were constants."""
    def affine_only(self, g, cache, rule="gradient"):
        _, inv = cache
        return (g * (self.params["weight"] * inv)[:, None, None],)

    monkeypatch.setattr(BatchNorm2d, "backward", affine_only)
    code, out = run(capsys, "batchnorm", "--train")
    assert code == 1 and "FAILED" in out


def test_relu6_needs_its_upper_mask(capsys, monkeypatch):
    """ReLU's backward at a ReLU6 lets g through above 6, where the output is flat."""
    monkeypatch.setattr(ReLU6, "backward", lambda self, g, y, rule="gradient": (g * (y > 0),))
    code, out = run(capsys, "relu6")
    assert code == 1 and "FAILED" in out


def test_add_copies_rather_than_splits(capsys, monkeypatch):
    """Sending half the gradient to each input (as if the Add averaged) fails."""
    monkeypatch.setattr(Add, "backward", lambda self, g, n, rule="gradient": (g / 2,) * n)
    code, out = run(capsys, "add")
    assert code == 1 and "FAILED" in out


def test_bad_options(capsys):
    assert main(["gradcheck", "conv", "--groups", "2"]) == 2
    assert "--groups 2 must divide" in capsys.readouterr().err
    assert main(["gradcheck", "avgpool", "--kernel", "2", "--padding", "2"]) == 2
    assert "more than half the kernel" in capsys.readouterr().err

"""docs/backprop-rules.md covers the layers of residual and mobile networks and the residual
trace (issue 14), fast: this reads the committed page, which tests/test_teaching_doc.py
(slow: it runs the generator) proves is what the generator writes today."""
import os
import re

import pytest

from cnnvis.teaching import explain_residual, trace_residual, write
from cnnvis.teaching import equations as eq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def doc():
    with open(os.path.join(ROOT, "docs", "backprop-rules.md"), encoding="utf-8") as f:
        return f.read()


def section(doc, number):
    return doc.split(f"\n## {number}.")[1].split("\n## ")[0]


@pytest.mark.parametrize("heading, path", [
    ("### ReLU and ReLU6", "cnnvis/layers/activations.py"),
    ("### BatchNorm2d", "cnnvis/layers/batchnorm.py"),
    ("### Add: the residual connection", "cnnvis/graph.py"),
    ("### Depthwise and grouped convolution", "cnnvis/layers/conv.py"),
    ("### Global average pooling", "cnnvis/layers/global_pool.py"),
])
def test_each_new_layer_has_a_subsection_naming_its_file(doc, heading, path):
    line = next(line for line in section(doc, 1).splitlines() if line.startswith(heading))
    assert f"`{path}`" in line


def test_section_1_names_only_files_that_exist(doc):
    for path in re.findall(r"`((?:cnnvis|tests)/[\w/]+\.py)`", section(doc, 1)):
        assert os.path.exists(os.path.join(ROOT, path)), path


@pytest.mark.parametrize("name", ["BN_INFERENCE", "BN_INFERENCE_BACK", "BN_PARAMS", "BN_TRAIN", "BN_TRAIN_BACK",
                                  "ADD", "ADD_BACK", "FORK_BACK", "DEPTHWISE", "DEPTHWISE_BACK",
                                  "DEPTHWISE_PARAMS", "GROUPED", "GAP", "GAP_BACK", "RELU6", "SIGMOID", "SILU"])
def test_the_equations_are_equations_py(doc, name):
    assert f"```math\n{getattr(eq, name).latex}\n```" in section(doc, 1)


def test_relu6_beside_relu_in_the_rules_table(doc):
    rows = [line for line in section(doc, 1).splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| rule | ReLU backward | ReLU6 backward |")
    for rule, row in zip(("gradient", "deconvnet", "guided"), rows[1:]):
        cells = row.split(" | ")
        assert cells[1] == f"${eq.RELU_BACK[rule].latex}$" and cells[2] == f"${eq.RELU6_BACK[rule].latex}$"


def test_smooth_activations_and_captum(doc):
    text = " ".join(section(doc, 1).split())
    assert "SiLU (swish) and Sigmoid (`cnnvis/layers/activations.py`) pass their plain gradient under every rule" in text
    assert "They are not rectifiers" in text and "its hooks act on `nn.ReLU` only" in text


def test_section_3_is_the_residual_trace(doc):
    traced = write(explain_residual(trace_residual(), level=3), "markdown")
    assert traced.rstrip("\n") in section(doc, 3)
    assert "`cnnvis trace --residual --format markdown`" in section(doc, 3)

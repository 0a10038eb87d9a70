"""`cnnvis trace --residual` (issue 14): the tiny residual block's traced numbers are the
engine's, agree with an independent NumPy computation from the definitions, and show the Add
copying its gradient to both inputs and the input receiving the sum of the two paths. Every
number is float64 and a multiple of 1/16 or 1/25 (dyadic or exact in float64 up to rounding
of the mean), so comparisons are exact (==) but for the softmax and the 1/25 means."""
import re

import numpy as np
import pytest

from cnnvis.cli import main
from cnnvis.errors import InputError
from cnnvis.layers import RULES
from cnnvis.teaching import (ResidualSpec, explain_residual, residual_example, trace_report,
                             trace_residual, write)

SPECS = [ResidualSpec(), ResidualSpec(5, 1), ResidualSpec(4, 2)]


# ---- an independent reference: the definitions, written with loops --------------------------
def conv_ref(x, w, b):
    """3x3 cross-correlation with padding 1 (zeros outside)."""
    c, n, _ = x.shape
    xp = np.zeros((c, n + 2, n + 2))
    xp[:, 1:-1, 1:-1] = x
    y = np.zeros((w.shape[0], n, n))
    for o, p, q in np.ndindex(y.shape):
        y[o, p, q] = b[o] + np.sum(w[o] * xp[:, p:p + 3, q:q + 3])
    return y


def conv_back_ref(g, w):
    """dx of conv_ref: each g[o,p,q] spread over its padded 3x3 patch, weighted by W[o]."""
    n = g.shape[1]
    dxp = np.zeros((w.shape[1], n + 2, n + 2))
    for o, p, q in np.ndindex(g.shape):
        dxp[:, p:p + 3, q:q + 3] += w[o] * g[o, p, q]
    return dxp[:, 1:-1, 1:-1]


def rule_ref(x, g, rule):
    return g * {"gradient": x > 0, "deconvnet": g > 0, "guided": (x > 0) & (g > 0)}[rule]


def reference(t):
    """Forward values and, per rule, (branch term, skip term) at the input, from the definitions."""
    p = {name: t.net[name].params for name in ("conv1", "conv2", "dense")}
    a1 = conv_ref(t.x, p["conv1"]["weight"], p["conv1"]["bias"])
    a2 = conv_ref(np.maximum(a1, 0), p["conv2"]["weight"], p["conv2"]["bias"])
    s = a2 + t.x
    m = np.maximum(s, 0).mean(axis=(1, 2))
    z = p["dense"]["weight"] @ m + p["dense"]["bias"]
    forward = {"conv1": a1, "conv2": a2, "add": s, "gap": m, "dense": z}
    paths = {}
    for rule in RULES:
        g = np.broadcast_to(p["dense"]["weight"][t.target][:, None, None] / s[0].size, s.shape)
        at_add = rule_ref(s, g, rule)
        g1 = rule_ref(a1, conv_back_ref(at_add, p["conv2"]["weight"]), rule)
        paths[rule] = (conv_back_ref(g1, p["conv1"]["weight"]), at_add)
    return forward, paths


@pytest.fixture(scope="module", params=SPECS, ids=str)
def traced(request):
    return trace_residual(request.param, seed=0)


def test_trace_is_the_engine(traced):
    """Forward values and each backward step equal one full engine pass from the logits."""
    net, seed = traced.net, traced.seed[None]
    net.forward(traced.x[None])
    for name, v in traced.forward.items():
        assert np.array_equal(v, net.activations[name][0]), name
    for rule in RULES:
        b = traced.backward[rule]
        for name, until in [("dense", "gap"), ("gap", "relu2"), ("relu2", "add"), ("conv2", "relu1"),
                            ("relu1", "conv1")]:
            whole = net.backward(seed, start="dense", until=until, rule=rule)[0]
            assert np.array_equal(b[name], whole), (rule, name)
        at_add = net.backward(seed, start="dense", until="add", rule=rule)[0]
        assert np.array_equal(b["branch"], at_add) and np.array_equal(b["skip"], at_add), rule
        assert np.array_equal(b["input"], net.backward(seed, start="dense", rule=rule)[0]), rule


def test_the_add_copies_and_the_input_sums(traced):
    """At the Add both inputs get g; at the input, the engine's gradient is exactly the branch
    term plus the skip term, and neither term alone."""
    for rule in RULES:
        b = traced.backward[rule]
        assert np.array_equal(b["branch"], traced.gradient_into("add", rule))
        assert np.array_equal(b["skip"], b["branch"])
        assert np.array_equal(b["input"], b["conv1"] + b["skip"]), rule
        assert not np.array_equal(b["input"], b["conv1"]) and not np.array_equal(b["input"], b["skip"])


def test_trace_matches_the_definitions(traced):
    forward, paths = reference(traced)
    for name, v in forward.items():
        np.testing.assert_allclose(traced.forward[name], v, rtol=0, atol=1e-12, err_msg=name)
    e = np.exp(forward["dense"] - forward["dense"].max())
    np.testing.assert_allclose(traced.forward["softmax"], e / e.sum(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(traced.cross_entropy, e / e.sum() - np.eye(2)[traced.target], rtol=0, atol=1e-12)
    for rule in RULES:
        branch, skip = paths[rule]
        np.testing.assert_allclose(traced.backward[rule]["conv1"], branch, rtol=0, atol=1e-12, err_msg=rule)
        np.testing.assert_allclose(traced.backward[rule]["skip"], skip, rtol=0, atol=1e-12, err_msg=rule)


def test_example_conditions(traced):
    """What the draw promises (residual.py): integers up to the pool, both ReLUs kill and keep,
    the paths meet at a pixel under every rule, three different input gradients."""
    f = traced.forward
    for name in ("conv1", "conv2", "add"):
        assert np.array_equal(f[name], np.round(f[name])), name
    assert 0.25 <= (f["conv1"] > 0).mean() <= 0.75
    assert (f["add"] < 0).any() and (f["add"] > 0).any()
    assert 0 < abs(f["dense"][0] - f["dense"][1]) <= 3 and traced.target == int(np.argmax(f["dense"]))
    meet = np.logical_and.reduce([(traced.backward[r]["conv1"] != 0) & (traced.backward[r]["skip"] != 0)
                                  for r in RULES])
    assert meet.any()
    inputs = [traced.backward[r]["input"] for r in RULES]
    assert not any(np.array_equal(inputs[i], inputs[j]) for i in range(3) for j in range(i + 1, 3))


def test_default_numbers_are_sixteenths():
    """Input 4x4: every number after the pool and in the backward pass is k/16, printed exactly."""
    t = trace_residual()
    for rule in RULES:
        for name, v in t.backward[rule].items():
            assert np.array_equal(v * 16, np.round(v * 16)), (rule, name)
    assert np.array_equal(t.forward["gap"] * 16, np.round(t.forward["gap"] * 16))


# ---- printing -------------------------------------------------------------------------------
def grid_after(text, header, groups=1):
    """The grids of numbers printed under a line equal to ``header``: ``groups`` side by side."""
    lines = text.splitlines()
    rows = []
    for line in lines[lines.index(header) + 1:]:
        if not line.strip():
            break
        rows.append([float(v) for v in line.split()])
    return np.split(np.array(rows), groups, axis=1)


def test_printed_numbers_are_the_engine_numbers():
    t = trace_residual()
    text = write(explain_residual(t), "text")
    assert np.array_equal(grid_after(text, "y = conv1(x)")[0], t.forward["conv1"][0])
    assert np.array_equal(grid_after(text, "y = conv2(x)")[0], t.forward["conv2"][0])
    branch, skip, total = grid_after(text, "conv2 output (the branch)    x (the skip)    y = conv2 + x", 3)
    assert np.array_equal(branch, t.forward["conv2"][0]) and np.array_equal(skip, t.x[0])
    assert np.array_equal(total, t.forward["add"][0])
    for rule in RULES:
        header = next(line for line in text.splitlines() if line.startswith(f"branch term ({rule})"))
        branch, skip = grid_after(text, header, 2)
        assert np.array_equal(branch, t.backward[rule]["conv1"][0]), rule
        assert np.array_equal(skip, t.backward[rule]["skip"][0]), rule
        assert np.array_equal(grid_after(text, f"dx = dS/d(input) ({rule})")[0], t.backward[rule]["input"][0])
        header = next(line for line in text.splitlines() if line.startswith(f"dx_1, to the branch (conv2) ({rule})"))
        to_branch, to_skip = grid_after(text, header, 2)
        assert np.array_equal(to_branch, to_skip) and np.array_equal(to_branch, t.backward[rule]["branch"][0])


def test_worked_entries_add_up():
    """Every 'name[i,j] = a*b + ... = result' (and 'a + b = c', 'sum / 16 = m') in the text holds."""
    text = write(explain_residual(trace_residual()), "text")
    chains = re.findall(r"(?:y|z|dx|m)\[[\d,]+\]((?: = [-\d.()*+/ ]+?)+)(?=[;:]|\.\s|\.$|\n|$)", text, re.MULTILINE)
    assert len(chains) >= 10
    sums = 0
    for chain in chains:
        parts = [p for p in chain.split(" = ")[1:]]
        values = [eval(p) for p in parts]  # only digits, signs, points, *, +, / and parentheses
        assert all(abs(v - values[-1]) < 1e-4 for v in values), chain
        sums += " + " in parts[0] and "*" not in parts[0]
    assert sums >= 4  # the add forward, and branch + skip under each of the three rules


def test_formats_and_rules():
    md = trace_report(fmt="markdown", residual=True)
    assert md.startswith("# A tiny residual block") and "```math" in md and "dx_1 = g, \\qquad dx_2 = g" in md
    tex = trace_report(ResidualSpec(), fmt="latex")
    assert "\\section*{A tiny residual block" in tex and "\\begin{bmatrix}" in tex and "```" not in tex
    assert "dx^{\\text{skip}}" in tex and "-\\textgreater{}" in tex
    guided = trace_report(rules=("guided",), residual=True)
    assert "skip term\n" in guided and "(deconvnet)" not in guided and "(gradient)" not in guided
    assert trace_report(residual=True) == trace_report(residual=True)
    assert trace_report(residual=True, seed=1) != trace_report(residual=True)
    assert "printed to 4 decimals" in trace_report(ResidualSpec(3, 1))


def test_target_and_errors():
    assert residual_example(seed=0, target=1)[2] == 1
    with pytest.raises(InputError, match="2 classes"):
        residual_example(target=2)
    with pytest.raises(InputError, match="meant to be read"):
        ResidualSpec(size=7)
    with pytest.raises(InputError, match="meant to be read"):
        ResidualSpec(channels=3)
    with pytest.raises(InputError, match="rules"):
        trace_residual(rules=("lrp",))


def test_cli(capsys, tmp_path):
    assert main(["trace", "--residual"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A tiny residual block traced") and "the gradients add" in out
    assert "dx_2, to the skip (the input) (deconvnet)" in out
    assert main(["trace", "--residual", "--format", "latex", "--rule", "deconvnet", "--size", "5",
                 "--channels", "2", "--out", str(tmp_path / "r.tex")]) == 0
    tex = (tmp_path / "r.tex").read_text()
    assert "input 2x5x5" in tex and "relu2 under the deconvnet rule" in tex
    assert main(["trace", "--residual", "--kernel", "3"]) == 2
    assert "leave out --in-channels and --kernel" in capsys.readouterr().err
    assert main(["trace", "--residual", "--size", "8"]) == 2
    assert main(["trace", "--size", "6", "--channels", "2"]) == 0  # the plain trace keeps its options
    assert "max-pool" in capsys.readouterr().out

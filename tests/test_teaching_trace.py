"""`cnnvis trace` (issue 8): the traced numbers are the engine's, agree with an independent
NumPy computation from the definitions, are printed exactly, and the three rules differ
where they should. Everything is float64 on small integers, so every comparison but the
softmax is exact (==); the softmax is compared to 1e-12 (float64 rounding of exp)."""
import re

import numpy as np
import pytest

from cnnvis.cli import main
from cnnvis.errors import InputError
from cnnvis.layers import RULES
from cnnvis.layers.pool import switch_positions
from cnnvis.teaching import TinySpec, explain, tiny_example, trace_example, trace_report, write
from cnnvis.teaching.blocks import number, numbers

SPECS = [TinySpec(), TinySpec(7, 1, 2, 3), TinySpec(6, 2, 1, 2), TinySpec(8, 3, 2, 3)]


# ---- an independent reference: the definitions, written with loops -------------------------
def conv_ref(x, w, b):
    f, _, k, _ = w.shape
    n = x.shape[1] - k + 1
    y = np.zeros((f, n, n))
    for o in range(f):
        for p in range(n):
            for q in range(n):
                y[o, p, q] = b[o] + np.sum(w[o] * x[:, p:p + k, q:q + k])
    return y


def pool_ref(a):
    """2x2 max-pool and the switch (row, col) of each window: the first maximum in row-major order."""
    f, h, w = a.shape
    y = np.zeros((f, h // 2, w // 2))
    s = np.zeros((f, h // 2, w // 2, 2), int)
    for o, p, q in np.ndindex(y.shape):
        window = a[o, 2 * p:2 * p + 2, 2 * q:2 * q + 2]
        i, j = divmod(int(np.argmax(window)), 2)  # argmax returns the first maximum
        y[o, p, q] = window[i, j]
        s[o, p, q] = (2 * p + i, 2 * q + j)
    return y, s


def backward_ref(x, w, b, wd, c, rule):
    """dS/dx for S = z[c], by the definitions: dense^T, unpool, the ReLU rule, conv^T."""
    pre = conv_ref(x, w, b)
    pooled, s = pool_ref(np.maximum(pre, 0))
    g_pool = wd[c].reshape(pooled.shape)
    g = np.zeros_like(pre)
    for o, p, q in np.ndindex(pooled.shape):
        g[o, s[o, p, q, 0], s[o, p, q, 1]] += g_pool[o, p, q]
    keep = {"gradient": pre > 0, "deconvnet": g > 0, "guided": (pre > 0) & (g > 0)}[rule]
    g = g * keep
    k = w.shape[2]
    dx = np.zeros_like(x)
    for o, p, q in np.ndindex(g.shape):
        dx[:, p:p + k, q:q + k] += w[o] * g[o, p, q]
    return g, dx


@pytest.fixture(scope="module", params=SPECS, ids=str)
def traced(request):
    return trace_example(request.param, seed=0)


def test_trace_is_the_engine(traced):
    """Forward values, switches and each backward step equal one full engine pass."""
    net = traced.net
    x = traced.x[None]
    net.forward(x)
    for name, value in traced.forward.items():
        assert np.array_equal(value, net.activations[name][0]), name
    assert np.array_equal(traced.switches, switch_positions(net.caches["pool"])[0])
    seed = traced.seed[None]
    for rule in RULES:
        for name, until in [("dense", "flatten"), ("flatten", "pool"), ("pool", "relu"), ("relu", "conv")]:
            whole = net.backward(seed, start="dense", until=until, rule=rule)[0]
            assert np.array_equal(traced.backward[rule][name], whole), (rule, name)
        assert np.array_equal(traced.backward[rule]["conv"], net.backward(seed, start="dense", rule=rule)[0])


def test_trace_matches_the_definitions(traced):
    """An independent NumPy computation (loops over the definitions) gives the same numbers."""
    p = {name: traced.net[name].params for name in ("conv", "dense")}
    w, b, wd, bd = p["conv"]["weight"], p["conv"]["bias"], p["dense"]["weight"], p["dense"]["bias"]
    pre = conv_ref(traced.x, w, b)
    pooled, switches = pool_ref(np.maximum(pre, 0))
    z = wd @ pooled.reshape(-1) + bd
    assert np.array_equal(traced.forward["conv"], pre)
    assert np.array_equal(traced.forward["pool"], pooled)
    assert np.array_equal(traced.switches, switches)
    assert np.array_equal(traced.forward["dense"], z)
    e = np.exp(z - z.max())
    np.testing.assert_allclose(traced.forward["softmax"], e / e.sum(), rtol=0, atol=1e-12)
    onehot = np.eye(2)[traced.target]
    np.testing.assert_allclose(traced.cross_entropy, e / e.sum() - onehot, rtol=0, atol=1e-12)
    assert traced.target == int(np.argmax(z))  # explained: the predicted class
    for rule in RULES:
        g_relu, dx = backward_ref(traced.x, w, b, wd, traced.target, rule)
        assert np.array_equal(traced.backward[rule]["relu"], g_relu), rule
        assert np.array_equal(traced.backward[rule]["conv"], dx), rule


def test_one_entry_by_hand():
    """Seed 0's conv output and input gradient at one position, written out from the definition."""
    t = trace_example(seed=0)
    x, w, b = t.x[0], t.net["conv"].params["weight"][0, 0], t.net["conv"].params["bias"][0]
    y01 = b + sum(w[i, j] * x[0 + i, 1 + j] for i in range(3) for j in range(3))
    assert t.forward["conv"][0, 0, 1] == y01
    g = t.backward["gradient"]["relu"][0]  # dS/d(conv output) under the gradient rule
    # dx[0, 2, 2] = sum over (i, j) of W[i, j] * g[2 - i, 2 - j]: every (i, j) lands inside g
    dx22 = sum(w[i, j] * g[2 - i, 2 - j] for i in range(3) for j in range(3))
    assert t.backward["gradient"]["conv"][0, 2, 2] == dx22


def test_rules_differ_where_they_should(traced):
    """Identical above the ReLU; at the ReLU, the gradient rule keeps live units (any sign),
    deconvnet keeps positive signals (live or dead), guided both; the inputs all differ."""
    b = traced.backward
    for name in ("dense", "flatten", "pool"):
        assert all(np.array_equal(b["gradient"][name], b[r][name]) for r in RULES)
    x, g = traced.forward["conv"], b["gradient"]["pool"]
    live_negative, dead_positive = (x > 0) & (g < 0), (x < 0) & (g > 0)
    assert live_negative.any() and dead_positive.any()
    assert np.array_equal(b["gradient"]["relu"][live_negative], g[live_negative])
    assert not b["deconvnet"]["relu"][live_negative].any() and not b["guided"]["relu"][live_negative].any()
    assert np.array_equal(b["deconvnet"]["relu"][dead_positive], g[dead_positive])
    assert not b["gradient"]["relu"][dead_positive].any() and not b["guided"]["relu"][dead_positive].any()
    inputs = [b[r]["conv"] for r in RULES]
    assert not any(np.array_equal(inputs[i], inputs[j]) for i in range(3) for j in range(i + 1, 3))


def test_example_conditions(traced):
    """What the draw promises: a quarter to three quarters of the units alive, clear winners in
    live windows, integer pixels, logits 1 to 3 apart."""
    pre = traced.forward["conv"]
    assert 0.25 <= (pre > 0).mean() <= 0.75
    assert 1 <= abs(traced.forward["dense"][0] - traced.forward["dense"][1]) <= 3
    relu = traced.forward["relu"]
    for ch, p, q in np.ndindex(traced.forward["pool"].shape):
        window = relu[ch, 2 * p:2 * p + 2, 2 * q:2 * q + 2]
        if window.max() > 0:
            assert (window == window.max()).sum() == 1
    assert all(v == round(v) for v in traced.x.reshape(-1))


# ---- printing -------------------------------------------------------------------------------
def grid_after(text, header, groups=1):
    """The integer grids printed under a line equal to ``header``: ``groups`` side by side."""
    lines = text.splitlines()
    start = lines.index(header) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append([int(v) for v in line.split()])
    a = np.array(rows)
    return np.split(a, groups, axis=1)


def test_printed_numbers_are_the_engine_numbers():
    t = trace_example(seed=0)
    text = write(explain(t), "text")
    assert np.array_equal(grid_after(text, "y = conv(x)")[0], t.forward["conv"][0])
    assert np.array_equal(grid_after(text, "x")[0], t.x[0])
    printed = grid_after(text, "dx (gradient)       dx (deconvnet)    dx (guided)", 3)
    for rule, grid in zip(RULES, printed):
        assert np.array_equal(grid, t.backward[rule]["relu"][0]), rule
    header = next(line for line in text.splitlines() if line.startswith("dx = dS/d(input) (gradient)"))
    for rule, grid in zip(RULES, grid_after(text, header, 3)):
        assert np.array_equal(grid, t.backward[rule]["conv"][0]), rule
    # the softmax is the only non-integer: printed with 4 decimals
    assert re.search(r"^p\n  (\d\.\d{4})  (\d\.\d{4})$", text, re.MULTILINE)
    assert f"{t.forward['softmax'][0]:.4f}" in text
    switches = " ".join(f"({r},{c})" for r, c in t.switches[0].reshape(-1, 2))
    printed_switches = re.findall(r"\(\d,\d\)", text.split("switches s (row,col)")[1].split("\n\n")[0])
    assert " ".join(printed_switches) == switches


def test_number_formatting():
    assert number(3.0) == "3" and number(-0.0) == "0" and number(-2.0) == "-2"
    assert number(0.5) == "0.5000" and number(-0.00001) == "0.0000"
    assert list(numbers([1.0, 2.0])) == ["1", "2"]
    assert list(numbers([1.0, 0.25])) == ["1.0000", "0.2500"]  # one format per array


def test_worked_entries_add_up():
    """Each 'a*b + ...' check in the text sums to the number it states (evaluated here)."""
    text = write(explain(trace_example(seed=0)), "text")
    checks = re.findall(r"(?:y|z|dx)\[[\d,]+\] = ([-\d()* +]+) = (-?\d+)(?=\D|$)", text)
    assert len(checks) >= 5
    for expression, result in checks:
        assert eval(expression) == int(result), expression  # only digits, signs, * and +


def test_formats_and_rules():
    md = trace_report(fmt="markdown")
    assert "```math" in md and "```text" in md and md.startswith("# A tiny CNN")
    tex = trace_report(fmt="latex")
    assert "\\begin{bmatrix}" in tex and "\\section*" in tex and "```" not in tex
    assert "->" not in tex and "-\\textgreater{}" in tex  # a bare > prints as an inverted ? in OT1
    assert "\\setcounter{MaxMatrixCols}{10}" in tex
    guided = trace_report(rules=("guided",))
    assert "dx (guided)" in guided and "dx (deconvnet)" not in guided and "(gradient)" not in guided
    assert trace_report() == trace_report()  # deterministic
    assert trace_report(seed=1) != trace_report(seed=0)


def test_target_and_errors():
    assert tiny_example(seed=0, target=1)[2] == 1
    with pytest.raises(InputError, match="2 classes"):
        tiny_example(target=2)
    with pytest.raises(InputError, match="too small for a 2x2"):
        TinySpec(size=4, kernel=4)
    with pytest.raises(InputError, match="fewer than 3 pool windows"):
        TinySpec(size=4, kernel=3)
    with pytest.raises(InputError, match="meant to be read"):
        TinySpec(size=11)
    with pytest.raises(InputError, match="format"):
        trace_report(fmt="html")


def test_cli(capsys, tmp_path):
    assert main(["trace"]) == 0
    out = capsys.readouterr().out
    assert "Backward pass: explaining the logit" in out and "switches s (row,col)" in out
    assert main(["trace", "--format", "latex", "--rule", "deconvnet", "--size", "7", "--channels", "2",
                 "--out", str(tmp_path / "t.tex")]) == 0
    tex = (tmp_path / "t.tex").read_text()
    assert "ReLU under the deconvnet rule" in tex and "dx = \\begin{bmatrix}" in tex
    assert main(["trace", "--size", "3"]) == 2
    assert "too small" in capsys.readouterr().err

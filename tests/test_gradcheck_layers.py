"""Every layer's backward against central finite differences in float64 (issue 2 item 8).

Tolerance: 1e-6 relative (cnnvis.gradcheck's norm-based error). Central differences
with eps = 1e-6 in float64 are off by ~eps^2 |f'''| (truncation, ~1e-12) plus
~1e-16 / eps (rounding, ~1e-10); a correct backward measures ~1e-10 here, while a
wrong one (a missed term, a transposed kernel, a shifted pad) is off by >1e-2.
"""
import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.gradcheck import gradcheck_layer, gradcheck_network, kink_safe_input
from cnnvis.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
from cnnvis.graph import Network

TOL = 1e-6  # issue 2 item 8; see the module docstring for why it is safe and sharp


def assert_passed(result):
    assert result.passed(TOL), result.table(entries=5)


@pytest.fixture
def check(record_property):
    """assert_passed that also records the measured errors (see them with --junitxml)."""
    def run(result):
        record_property("abs", result.max_abs_error)
        record_property("rel", result.max_rel_error)
        assert_passed(result)
    return run


# (in, out, kernel, stride, padding, H, W); the comment says which path 'auto' takes
CONVS = [
    (1, 2, 3, 1, 1, 6, 6),              # Winograd, one input channel
    (3, 4, 3, 1, (1, 0, 2, 1), 6, 7),   # Winograd, RGB, asymmetric padding
    (4, 3, 3, 1, 1, 5, 6),              # Winograd, odd output height (cropped tile)
    (5, 2, 3, 1, (1, 0, 2, 1), 6, 5),   # Winograd, asymmetric padding
    (6, 4, 3, 1, 2, 4, 5),              # Winograd, padding 2 (its largest)
    (4, 3, 3, 1, 0, 7, 6),              # Winograd, no padding
    (5, 2, 3, 2, 1, 7, 7),              # im2col, stride 2
    (4, 3, 3, (2, 1), (0, 1, 1, 0), 8, 6),  # im2col, stride (2, 1), asymmetric padding
    (4, 3, 1, 1, 0, 5, 5),              # 1x1, im2col
    (32, 3, 1, 2, 0, 5, 6),             # 1x1 stride 2, im2col
    (1, 2, 5, 1, (2, 1, 0, 2), 7, 6),   # 5x5 im2col, one input channel, asymmetric padding
    (2, 3, 5, 1, 2, 6, 6),              # 5x5 im2col
    (3, 2, 5, 2, (0, 2, 1, 1), 9, 8),   # 5x5 stride 2, asymmetric padding
]


@pytest.mark.parametrize("c, o, k, s, pad, h, w", CONVS)
def test_conv2d(check, conv_algorithm, c, o, k, s, pad, h, w):
    layer = Conv2D(c, o, k, s, pad, rng=np.random.default_rng(c * 10 + o))
    layer.params["bias"] = np.linspace(-1, 1, o).astype(np.float32)
    result = gradcheck_layer(layer, (2, c, h, w))
    assert [t.name for t in result.tensors] == ["input", "weight", "bias"]
    check(result)


@pytest.mark.parametrize("rule", ["deconvnet", "guided"])
def test_conv2d_is_untouched_by_the_rule(check, conv_algorithm, rule):
    check(gradcheck_layer(Conv2D(4, 3, 3, padding=1), (2, 4, 5, 5), rule=rule))


POOLS = [  # (kernel, stride, padding, H, W)
    (2, 2, 0, 6, 6),             # VGG's (the 2x2 fast path)
    (2, 2, 0, 7, 5),             # odd sizes: the last row/column is dropped
    (3, 2, 0, 7, 7),             # overlapping windows: one input can win twice
    (3, 2, 1, 6, 7),             # padded (padding never wins)
    (3, 1, 1, 5, 5),             # stride 1, heavily overlapping
    (2, 2, (1, 0, 0, 1), 5, 5),  # asymmetric padding
    ((3, 2), (1, 2), 0, 6, 6),   # rectangular window and stride
]


@pytest.mark.parametrize("k, s, pad, h, w", POOLS)
@pytest.mark.parametrize("rule", ["gradient", "deconvnet", "guided"])
def test_maxpool2d(check, k, s, pad, h, w, rule):
    # Switches route g the same way under every rule, so all three are true gradients here.
    check(gradcheck_layer(MaxPool2D(k, s, pad), (2, 3, h, w), rule=rule))


def test_relu_gradient_rule(check):
    result = gradcheck_layer(ReLU(), (2, 3, 5, 4))
    assert result["input"].method == "central differences"
    check(result)


def relu_rules_by_hand(x, g):
    """DESIGN.md's table, written out independently of the engine."""
    return {"gradient": np.where(x > 0, g, 0.0), "deconvnet": np.where(g > 0, g, 0.0),
            "guided": np.where((x > 0) & (g > 0), g, 0.0)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_rules_equal_the_table(rng, dtype):
    # deconvnet and guided are not gradients: compare with the formula, entry by entry, exactly.
    x = rng.standard_normal((2, 4, 5, 6)).astype(dtype)
    x[0, 0, 0, :3] = 0.0  # x = 0 exactly: "x > 0" is false
    g = rng.standard_normal(x.shape).astype(dtype)
    g[0, 1, 0, :3] = 0.0
    relu = ReLU()
    _, cache = relu.forward(x)
    for rule, expected in relu_rules_by_hand(x, g).items():
        (got,) = relu.backward(g, cache, rule=rule)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected.astype(dtype), err_msg=rule)
    # the three rules really differ on this data (else the test above proves little)
    rules = relu_rules_by_hand(x, g)
    assert not np.array_equal(rules["gradient"], rules["deconvnet"])
    assert not np.array_equal(rules["deconvnet"], rules["guided"])


@pytest.mark.parametrize("rule", ["deconvnet", "guided"])
def test_gradcheck_compares_relu_rules_with_their_formula(rule):
    result = gradcheck_layer("relu", rule=rule)
    assert rule in result["input"].method
    assert result["input"].max_abs_error == 0.0  # a mask applied to g: no rounding at all


def test_dense(check):
    layer = Dense(7, 5, rng=np.random.default_rng(3))
    layer.params["bias"] = np.arange(5, dtype=np.float32)
    result = gradcheck_layer(layer, (3, 7))
    assert [t.name for t in result.tensors] == ["input", "weight", "bias"]
    check(result)


def test_flatten(check):
    check(gradcheck_layer(Flatten(), (2, 3, 4, 5)))


def test_dropout_training_mask_held_fixed(check):
    result = gradcheck_layer(Dropout(0.4), (2, 3, 6, 6), training=True, seed=7)
    check(result)
    # the mask is a real one: some inputs dropped, and there the numeric gradient is 0 too
    inp = result["input"]
    dropped = inp.analytic == 0
    assert 0 < dropped.sum() < dropped.size
    assert np.all(inp.reference[dropped] == 0)


def test_dropout_inference_is_identity(check):
    result = gradcheck_layer(Dropout(0.5), (2, 3, 4, 4), training=False)
    check(result)


def test_softmax(check):
    check(gradcheck_layer(Softmax(), (3, 7)))


# ---- the checker itself -------------------------------------------------------------------
class ScaledBackward(Dense):
    """A Dense whose backward is 0.1% off: the checker must catch it."""

    def backward(self, g, cache, rule="gradient"):
        (dx,) = super().backward(g, cache, rule)
        return (dx * 1.001,)

    def param_grads(self, g, cache):
        grads = super().param_grads(g, cache)
        return {**grads, "bias": grads["bias"] * 1.001}


def test_checker_catches_a_wrong_gradient():
    result = gradcheck_layer(ScaledBackward(6, 4), (2, 6))
    assert not result.passed(TOL)
    assert result["input"].rel_error == pytest.approx(1e-3, rel=1e-2)
    assert result["bias"].rel_error == pytest.approx(1e-3, rel=1e-2)
    assert result["weight"].passed(TOL)
    table = result.table()
    assert "FAIL" in table and "FAILED" in table


def test_kink_safe_input_is_away_from_kinks():
    x = kink_safe_input((2, 3, 10, 10), np.random.default_rng(0))
    assert x.dtype == np.float64 and np.abs(x).min() >= 0.1 and np.abs(x).max() <= 1.0
    gaps = np.diff(np.sort(x.reshape(-1)))
    assert gaps.min() >= 0.9 / (x.size - 1) - 1e-15  # no two entries within 2 eps
    assert (x > 0).any() and (x < 0).any()


def test_large_tensors_are_sampled_reproducibly():
    a = gradcheck_layer(Dense(40, 30), (2, 40), max_entries=25, seed=5)
    b = gradcheck_layer(Dense(40, 30), (2, 40), max_entries=25, seed=5)
    assert [len(t.index) for t in a.tensors] == [25, 25, 25]
    assert len(set(a["weight"].index.tolist())) == 25
    np.testing.assert_array_equal(a["weight"].index, b["weight"].index)
    assert "25/1200" in a.table()
    assert_passed(a)


def test_layer_by_type_name_and_defaults():
    for name in ["Conv2D", "maxpool2d", "ReLU", "dense", "Flatten", "Dropout", "softmax"]:
        result = gradcheck_layer(name, training=True)
        assert_passed(result)
    with pytest.raises(InputError, match="Conv2D.*MaxPool2D"):
        gradcheck_layer("Conv3D")
    with pytest.raises(InputError, match="gradient"):
        gradcheck_layer("ReLU", rule="backprop")


def test_callers_layer_is_untouched():
    layer = Conv2D(2, 3, 3)
    before = layer.params["weight"].copy()
    gradcheck_layer(layer, (1, 2, 5, 5))
    assert layer.params["weight"].dtype == np.float32
    np.testing.assert_array_equal(layer.params["weight"], before)


def test_table_shows_entries():
    text = gradcheck_layer("dense").table(entries=2)
    assert "input: first 2 entries checked" in text and "(0, 0)" in text
    assert "PASSED" in text and "rel error" in text


def test_network_whole(check, conv_algorithm):
    rng = np.random.default_rng(0)
    net = Network([Conv2D(2, 4, 3, padding=(1, 0, 2, 1), name="conv1", rng=rng), ReLU(name="relu1"),
                   MaxPool2D(3, 2, 1, name="pool1"), Conv2D(4, 3, 3, stride=2, name="conv2", rng=rng),
                   ReLU(name="relu2"), Flatten(name="flatten"), Dense(12, 6, name="fc", rng=rng),
                   Dropout(0.3, name="drop"), Dense(6, 3, name="out", rng=rng),
                   Softmax(name="softmax")], input_shape=(2, 11, 10))
    for layer in net.nodes:  # non-zero biases, so ReLUs see both signs
        if "bias" in layer.params:
            layer.params["bias"] = rng.uniform(-0.5, 0.5, layer.params["bias"].shape).astype(np.float32)
    x = rng.standard_normal((2, 2, 11, 10))
    result = gradcheck_network(net, x, training=True, max_entries=60, progress=False)
    assert [t.name for t in result.tensors] == ["input", "conv1.weight", "conv1.bias", "conv2.weight",
                                                "conv2.bias", "fc.weight", "fc.bias", "out.weight",
                                                "out.bias"]
    check(result)
    assert net.dtype == np.float32 and not net.training  # the caller's network is untouched

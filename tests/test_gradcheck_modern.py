"""The modern layers' backward against central finite differences in float64 (issue 18 item 11).

BatchNorm2d (inference and training), grouped / depthwise / dilated / bias-free / TF-'same'
convolutions, Add, Concat, Multiply (broadcast), GlobalAveragePool2D, ReLU6, SiLU, Sigmoid
and Identity, through cnnvis.gradcheck.gradcheck_layer (as tests/test_gradcheck_layers.py).

Tolerance: 1e-6 relative (gradcheck's norm-based error), for the reason given there: central
differences with eps = 1e-6 in float64 are off by ~1e-10 for a correct backward, a wrong one
(a missed term of the batch-norm backward, a group routed to the wrong channels, a
broadcast axis not summed) by > 1e-2. Measured here: <= 4e-10 for every layer on kink-safe
inputs (BatchNorm2d in training 3e-10); SiLU 1.5e-9 and Sigmoid 2e-8 at |x| up to 40, where
the derivative (down to 4e-18) is small against the rounding of y ~ 1 (~1e-16 / eps).

Rules. At the rectifiers (ReLU6) deconvnet and guided are compared with their formula
(DESIGN.md's table with ReLU6's mask 0 < x < 6); every other layer here is checked by
central differences under all three rules: the rule must not change them (SiLU and Sigmoid
pass their plain gradient under every rule, as Captum's hooks do).
"""
import numpy as np
import pytest

from cnnvis.gradcheck import gradcheck_layer, kink_safe_input
from cnnvis.layers import (Add, BatchNorm2d, Concat, Conv2D, GlobalAveragePool2D, Identity,
                           Multiply, ReLU6, Sigmoid, SiLU)

TOL = 1e-6  # see the module docstring
RULES = ["gradient", "deconvnet", "guided"]


@pytest.fixture
def check(record_property):
    """Assert the result passes TOL, recording its measured errors (see --junitxml)."""
    def run(result):
        record_property("abs", result.max_abs_error)
        record_property("rel", result.max_rel_error)
        assert result.passed(TOL), result.table(entries=5)
        return result
    return run


# ---- BatchNorm2d ------------------------------------------------------------------------
def batchnorm(c=3, eps=1e-5, momentum=0.1, seed=0):
    """A BatchNorm2d whose statistics and affine parameters are not the identity's."""
    rng = np.random.default_rng(seed)
    layer = BatchNorm2d(c, eps=eps, momentum=momentum)
    layer.params = {"weight": rng.uniform(0.5, 2, c), "bias": rng.uniform(-1, 1, c)}
    layer.buffers = {"running_mean": rng.uniform(-1, 1, c), "running_var": rng.uniform(0.5, 2, c)}
    return layer.astype(np.float64)


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
@pytest.mark.parametrize("rule", RULES)
def test_batchnorm(check, training, rule):
    result = check(gradcheck_layer(batchnorm(), (2, 3, 4, 5), rule=rule, training=training))
    assert [t.name for t in result.tensors] == ["input", "weight", "bias"]
    assert {t.method for t in result.tensors} == {"central differences"}


def test_batchnorm_training_small_batch_and_eps(check):
    # one image of 2x2 (4 values per channel) and EfficientNet's eps 1e-3: the batch-statistics
    # terms of the backward (mean(dxh), xh * mean(dxh * xh)) dominate here
    check(gradcheck_layer(batchnorm(4, eps=1e-3, momentum=0.01), (1, 4, 2, 2), training=True))


def test_batchnorm_training_gradient_is_not_the_inference_one():
    # the training backward really differs (else the two checks above prove the same thing)
    layer = batchnorm()
    x = kink_safe_input((2, 3, 4, 5), np.random.default_rng(0))
    g = np.random.default_rng(1).standard_normal(x.shape)
    (train,) = layer.backward(g, layer.forward_train(x, rng=None)[1])
    (infer,) = layer.backward(g, layer.forward(x)[1])
    assert np.abs(train - infer).max() > 0.1 * np.abs(infer).max()


# ---- Conv2D: groups, depthwise, dilation, no bias, TF 'same' ------------------------------
CONVS = {  # id: (Conv2D kwargs, input shape)
    "groups 2": (dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2), (2, 4, 6, 5)),
    "groups 3 stride 2": (dict(in_channels=6, out_channels=3, kernel_size=3, stride=2, groups=3),
                          (2, 6, 7, 8)),
    "depthwise 3x3": (dict(in_channels=5, out_channels=5, kernel_size=3, padding=1, groups=5),
                      (2, 5, 6, 6)),
    "depthwise 5x5 stride 2": (dict(in_channels=4, out_channels=4, kernel_size=5, stride=2, padding=2,
                                    groups=4), (2, 4, 9, 8)),
    "channel multiplier 2": (dict(in_channels=3, out_channels=6, kernel_size=3, padding=1, groups=3),
                             (2, 3, 5, 6)),
    "dilation 2": (dict(in_channels=3, out_channels=4, kernel_size=3, padding=2, dilation=2),
                   (2, 3, 7, 8)),
    "dilation 2 depthwise": (dict(in_channels=4, out_channels=4, kernel_size=3, padding=2, dilation=2,
                                  groups=4), (2, 4, 7, 6)),
    "no bias": (dict(in_channels=3, out_channels=4, kernel_size=3, padding=1, bias=False), (2, 3, 5, 5)),
    "same stride 2 even": (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same"),
                           (2, 3, 8, 6)),
    "same stride 2 odd": (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same"),
                          (2, 3, 7, 9)),
    "same 5x5 stride 2 depthwise odd/even": (
        dict(in_channels=4, out_channels=4, kernel_size=5, stride=2, padding="same", groups=4,
             bias=False), (2, 4, 9, 8)),
    "same stride 1 dilation 2": (dict(in_channels=3, out_channels=2, kernel_size=3, padding="same",
                                      dilation=2), (2, 3, 6, 7)),
}


def conv_layer(kwargs, seed=0):
    rng = np.random.default_rng(seed)
    layer = Conv2D(**kwargs, rng=rng)
    if "bias" in layer.params:
        layer.params["bias"] = np.linspace(-1, 1, layer.out_channels)
    return layer


@pytest.mark.parametrize("case", list(CONVS))
def test_conv2d_modern(check, conv_algorithm, case):
    kwargs, shape = CONVS[case]
    result = check(gradcheck_layer(conv_layer(kwargs), shape))
    names = ["input", "weight"] + (["bias"] if kwargs.get("bias", True) else [])
    assert [t.name for t in result.tensors] == names
    groups = kwargs.get("groups", 1)
    assert result["weight"].shape[1] == kwargs["in_channels"] // groups  # OIHW, I = C / groups


@pytest.mark.parametrize("rule", ["deconvnet", "guided"])
def test_grouped_conv_is_untouched_by_the_rule(check, rule):
    kwargs, shape = CONVS["depthwise 5x5 stride 2"]
    check(gradcheck_layer(conv_layer(kwargs), shape, rule=rule))


# ---- merges -------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
def test_add_three_inputs(check, rule):
    result = check(gradcheck_layer(Add(), [(2, 3, 4, 4)] * 3, rule=rule))
    assert [t.name for t in result.tensors] == ["input0", "input1", "input2"]


@pytest.mark.parametrize("shapes", [[(2, 2, 4, 3), (2, 3, 4, 3), (2, 1, 4, 3)], [(2, 5), (2, 3)]],
                         ids=["maps", "vectors"])
@pytest.mark.parametrize("rule", RULES)
def test_concat(check, shapes, rule):
    check(gradcheck_layer(Concat(), shapes, rule=rule))


@pytest.mark.parametrize("shapes", [[(2, 3, 4, 5), (2, 3, 1, 1)], [(2, 3, 1, 1), (2, 3, 4, 5)],
                                    [(2, 3, 4, 5), (2, 3, 4, 5)], [(2, 3, 4, 5), (1, 3, 1, 5)]],
                         ids=["gate", "gate first", "same shape", "batch and rows broadcast"])
@pytest.mark.parametrize("rule", RULES)
def test_multiply_broadcasting(check, shapes, rule):
    result = check(gradcheck_layer(Multiply(), shapes, rule=rule))
    assert [t.shape for t in result.tensors] == [tuple(s) for s in shapes]


# ---- pooling, identity --------------------------------------------------------------------
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("rule", RULES)
def test_global_average_pool(check, keepdims, rule):
    check(gradcheck_layer(GlobalAveragePool2D(keepdims=keepdims), (2, 3, 4, 5), rule=rule))


@pytest.mark.parametrize("rule", RULES)
def test_identity(check, rule):
    check(gradcheck_layer(Identity(), (2, 3, 4, 4), rule=rule))


# ---- activations --------------------------------------------------------------------------
def relu6_input(shape, rng):
    """Distinct values spread over [-10, 10] (so both kinks of ReLU6, 0 and 6, are crossed),
    kept 0.1 away from them: |x| >= 0.1 and |x - 6| >= 0.1."""
    n = int(np.prod(shape))
    x = np.linspace(-10, 10, n)
    for kink in (0.0, 6.0):
        near = np.abs(x - kink) < 0.1
        x[near] = kink + (x[near] - kink) / 2 + np.where(x[near] < kink, -0.1, 0.1)
    return rng.permutation(x).reshape(shape)


def test_relu6_input_is_away_from_kinks():
    x = relu6_input((2, 3, 5, 4), np.random.default_rng(0))
    assert np.abs(x).min() >= 0.1 and np.abs(x - 6).min() >= 0.1
    assert (x < 0).any() and ((x > 0) & (x < 6)).any() and (x > 6).any()


@pytest.mark.parametrize("rule", RULES)
def test_relu6(check, rule):
    x = relu6_input((2, 3, 5, 4), np.random.default_rng(0))
    result = check(gradcheck_layer(ReLU6(), inputs=[x], rule=rule))
    method = result["input"].method
    assert method == "central differences" if rule == "gradient" else rule in method
    if rule != "deconvnet":  # the upper kink is really used: no gradient where x > 6
        assert np.all(result["input"].analytic[x.reshape(-1)[result["input"].index] > 6] == 0)
    if rule != "gradient":
        assert result["input"].max_abs_error == 0.0  # a mask applied to g: no rounding


@pytest.mark.parametrize("layer", [SiLU(), Sigmoid()], ids=["SiLU", "Sigmoid"])
@pytest.mark.parametrize("rule", RULES)
def test_smooth_activations_pass_the_gradient_under_every_rule(check, layer, rule):
    result = check(gradcheck_layer(layer, (2, 3, 4, 5), rule=rule))
    assert result["input"].method == "central differences"  # no rule formula: the true gradient


@pytest.mark.parametrize("layer", [SiLU(), Sigmoid()], ids=["SiLU", "Sigmoid"])
def test_smooth_activations_large_inputs(check, layer):
    # |x| up to 40: exp(40) is finite but 1 + exp(-x) loses everything; the stable sigmoid
    # keeps the tiny tails (sigmoid(-40) = 4e-18), and central differences see them
    x = kink_safe_input((2, 3, 4, 5), np.random.default_rng(2)) * 40
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check(gradcheck_layer(layer, inputs=[x]))

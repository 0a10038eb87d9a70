"""Whole networks against PyTorch: VGG16 (random He weights, seed 0, 224x224, batch 2:
the bundled cat and dog photos) and a small VGG, under the three backward rules.

The torch side is torch_mirror(net): the same weights, one module per node. The
deconvnet and guided rules are implemented there the way Captum does, by a full
backward hook on every nn.ReLU that returns the modified grad_input:
    deconvnet: clamp(grad_output, min=0)      guided: clamp(grad_input, min=0)
(grad_input = grad_output * (x > 0), so the latter is g * (x > 0) * (g > 0)).

Kinks in float32 (tests/vgg16_reference.py): a few of VGG16's 30M ReLU and max-pool
decisions on the two photos lie within rounding of their kink and are taken differently by
the two libraries, which moves the input gradient by O(1) inside those units' receptive
fields. So the float32 input gradients are compared in three steps: (1) our decisions
equal PyTorch's natural ones except at near-kinks (each flip within 1e-5 of the layer's
scale of its kink); (2) with the decisions fixed to ours (aligned_model, which checks on
every call that each layer's output is PyTorch's natural layer's to within that 1e-5),
PyTorch autograd and the hooks give the same gradient to 1e-4 relative; (3) against
PyTorch's own decisions the gradients agree to 1e-4 relative outside the receptive fields
of the flipped decisions (the only place a flip can reach), and to 0.5 everywhere. In
float64 rounding is ~1e-16 and no decision flips: the small VGG here, and VGG16's methods
in test_methods_captum_vgg16.py, are compared with the natural mirror directly.
"""
import numpy as np
import pytest

from conftest import rel_err
from torch_rules import input_grad
from vgg16_reference import aligned_model, flip_region, natural_forward
import cnnvis
from cnnvis.images import load_image
from cnnvis.verify.torch_mirror import torch_mirror

RULES = ["gradient", "deconvnet", "guided"]
TOL_VGG16 = 1e-4  # float32, relative (issue 2's aim); measured 2e-6 (logits), ~1e-6 (gradients)
NATURAL = 0.5     # float32 against PyTorch's own decisions: the flips' O(1) spots (measured 1e-2 to 9e-2)
TARGETS = [281, 207]  # tabby cat, golden retriever (just indices: the weights are random)


def one_hot(n_classes, targets, dtype):
    g = np.zeros((len(targets), n_classes), dtype)
    g[np.arange(len(targets)), targets] = 1
    return g


# ---- VGG16 --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vgg16_run(torch):
    """Everything computed once: ours, PyTorch's natural pass and the aligned model's grads."""
    net = cnnvis.vgg16(seed=0)
    images = np.stack([load_image(name, (224, 224)) for name in ("cat", "dog")])
    x = net.preprocess(images)
    g = one_hot(1000, TARGETS, np.float32)
    mirror = torch_mirror(net)
    aligned = aligned_model(net, mirror, x, torch)  # runs net.forward(x), checks the decisions
    logits = net.activations["predictions"]
    ours = {rule: net.backward(g, start="predictions", rule=rule) for rule in RULES}
    theirs = {rule: input_grad(aligned, x, g, rule, torch)[1] for rule in RULES}
    natural = {rule: input_grad(mirror.head("predictions"), x, g, rule, torch)[1] for rule in RULES}
    torch_logits = natural_forward(mirror, x, torch)[0]
    return dict(net=net, x=x, logits=logits, ours=ours, torch_logits=torch_logits, theirs=theirs,
                natural=natural, decisions=aligned.decisions)


def test_vgg16_logits_float32(vgg16_run, record_property):
    err = rel_err(vgg16_run["logits"], vgg16_run["torch_logits"])
    record_property("logits rel", err)
    record_property("logits abs", float(np.abs(vgg16_run["logits"] - vgg16_run["torch_logits"]).max()))
    assert vgg16_run["logits"].shape == (2, 1000)
    assert err <= TOL_VGG16


def test_vgg16_decisions_differ_only_at_kinks(vgg16_run, record_property):
    # check_decisions (run when the aligned model was built) asserted each flip is a near-kink
    d = vgg16_run["decisions"]
    record_property("decision flips", d["flips"])
    record_property("decisions", d["decisions"])
    record_property("all-zero pool windows", d["zero windows"])
    assert d["zero windows"] > 1000  # the ties are really there
    assert d["flips"] <= 1e-5 * d["decisions"]  # a few in millions, else something is really different


@pytest.mark.parametrize("rule", RULES)
def test_vgg16_input_gradient_float32(vgg16_run, record_property, rule):
    ours, theirs = vgg16_run["ours"][rule], vgg16_run["theirs"][rule]
    err = rel_err(ours, theirs)
    record_property("input grad rel", err)
    record_property("input grad abs", float(np.abs(ours - theirs).max()))
    assert ours.shape == (2, 3, 224, 224) and np.abs(ours).max() > 0
    assert err <= TOL_VGG16


@pytest.mark.parametrize("rule", RULES)
def test_vgg16_natural_input_gradient_float32(vgg16_run, record_property, rule):
    """Against PyTorch's own decisions, flips included: equal to rounding (TOL_VGG16) outside
    the receptive fields of the flipped decisions, the only pixels a flip can reach, and
    within NATURAL everywhere. A flip in block4 or block5 sees most of the image (the 11 flips
    on the two photos cover 61% of the pixels), so the region is only required to leave a
    tenth of them, else the comparison outside it would prove little."""
    ours, natural = vgg16_run["ours"][rule], vgg16_run["natural"][rule]
    region = flip_region(vgg16_run["net"], vgg16_run["decisions"]["flipped"], ours.shape[2:])
    if region is None:  # no flip at all: equal everywhere
        region = np.zeros((ours.shape[0],) + ours.shape[2:], bool)
    outside = np.broadcast_to(~region[:, None], ours.shape)
    err_outside = float(np.abs(ours - natural)[outside].max() / np.abs(natural).max())
    err = rel_err(ours, natural)
    record_property("natural input grad rel", err)
    record_property("natural input grad outside the flips rel", err_outside)
    record_property("flip region share of pixels", float(region.mean()))
    assert region.mean() <= 0.9
    assert err_outside <= TOL_VGG16
    assert err <= NATURAL


def test_vgg16_rules_really_differ(vgg16_run):
    # the three gradients are different pictures (else the rule tests above prove little)
    o = vgg16_run["ours"]
    assert rel_err(o["deconvnet"], o["gradient"]) > 0.1
    assert rel_err(o["guided"], o["gradient"]) > 0.1
    assert rel_err(o["guided"], o["deconvnet"]) > 0.1


# ---- small VGG, float64 and float32, the natural mirror with nn.ReLU hooks -----------------
SMALL_TOL = {np.float64: 1e-12, np.float32: 1e-5}  # float64: ~1e3 x rounding; float32: no flips


def small_net_with_ties():
    """A small VGG whose negative biases zero many ReLU outputs: all-zero pool windows."""
    net = cnnvis.small_vgg(widths=(6, 8), input_shape=(3, 20, 20), hidden=(16,), classes=5, seed=3)
    rng = np.random.default_rng(3)
    for layer in net.nodes:
        if "bias" in layer.params:
            layer.params["bias"] = rng.uniform(-0.6, 0.1, layer.params["bias"].shape).astype(np.float32)
    return net


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rule", RULES)
def test_small_vgg_rules(torch, record_property, dtype, rule):
    net = small_net_with_ties().astype(dtype)
    x = np.random.default_rng(4).standard_normal((2, 3, 20, 20)).astype(dtype)
    net.forward(x, until="predictions")
    g = one_hot(5, [1, 3], dtype)
    ours = net.backward(g, start="predictions", rule=rule)
    # Deconvnet sends g through the switch of an all-zero window to a ReLU that lets any
    # positive g pass, so the tie-break shows in the result: our switches take the first
    # maximum in row-major order, like PyTorch's CPU max-pool, hence the exact agreement.
    windows = net.activations["block1_conv2_relu"].reshape(2, 6, 10, 2, 10, 2).max(axis=(3, 5))
    assert np.sum(windows == 0) > 10  # ties are really there
    mirror = torch_mirror(net)
    logits, theirs = input_grad(mirror.head("predictions"), x, g, rule, torch)
    err = rel_err(ours, theirs)
    record_property("input grad rel", err)
    record_property("input grad abs", float(np.abs(ours - theirs).max()))
    record_property("logits rel", rel_err(net.activations["predictions"], logits))
    record_property("logits abs", float(np.abs(net.activations["predictions"] - logits).max()))
    assert rel_err(net.activations["predictions"], logits) <= SMALL_TOL[dtype]
    assert err <= SMALL_TOL[dtype]

"""The deconvnet and guided rules at ReLU and ReLU6 against PyTorch backward hooks
implementing the same rule, and the smooth activations under every rule (issue 18 item 11).

The torch side is torch_mirror(net) with a full backward hook on every rectifier module
(as tests/test_vgg16_torch.py's install_rule_hooks, and as Captum does for nn.ReLU):
    deconvnet: clamp(grad_output, min=0)          = g * (g > 0)
    guided:    clamp(grad_input, min=0)           = g * mask(x) * (g > 0)
where autograd's grad_input is g * (x > 0) at nn.ReLU and g * (0 < x < 6) at nn.ReLU6
(hardtanh's backward: strictly inside the interval), so the hook on nn.ReLU6 gives
DESIGN.md's ReLU6 row. SiLU and Sigmoid get no hook: they pass their plain gradient under
every rule, in cnnvis (layers/activations.py) as in Captum: with ReLU in place of ReLU6,
cnnvis's guided and deconvnet equal Captum's GuidedBackprop and Deconvolution (measured 8e-16).

Captum and ReLU6. Captum 0.9.0's GuidedBackprop and Deconvolution register their hooks
on modules that are isinstance(module, torch.nn.ReLU) only, and nn.ReLU6 is an
nn.Hardtanh, not an nn.ReLU: on a network with ReLU6 (MobileNetV2, EfficientNet-Lite0)
Captum applies the rule at the nn.ReLU modules and sends the plain gradient through every
ReLU6 (verified below: Captum equals the mirror hooked at nn.ReLU only, to 1e-12, and on a
network of ReLU6 alone its GuidedBackprop and Deconvolution equal the plain gradient).
cnnvis treats ReLU6 as the rectifier it is (rectifier = True) and applies the rule there
too, so on such networks cnnvis's guided backprop and deconvnet differ from Captum's
(measured here: by 0.95 relative for guided, 1.5 for deconvnet) and equal the
ReLU6-hooked mirror instead. On
networks whose rectifiers are all nn.ReLU (VGG, ResNet) the two agree.

Tolerance: float64 1e-12 relative (the same sums in another order; measured 5e-16), float32
1e-5 (measured 4e-7; these networks are small, so no rectifier input lies within
float32 rounding of a kink, which the test checks).
"""
import numpy as np
import pytest

from conftest import rel_err
from torch_rules import input_grad
from cnnvis.graph import Network
from cnnvis.layers import (Add, BatchNorm2d, Conv2D, Dense, GlobalAveragePool2D, Multiply, ReLU,
                           ReLU6, Sigmoid, SiLU)
from cnnvis.verify.torch_mirror import torch_mirror

RULES = ["gradient", "deconvnet", "guided"]
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def torch_grad(model, x, g, torch, rule="gradient", kinds=()):
    """d(sum g * model(x))/dx with ``rule``'s hooks on the modules of types ``kinds``."""
    return input_grad(model, x, g, rule, torch, kinds)[1]


def modern_net(seed=0, relu6=ReLU6):
    """ReLU6, ReLU, a depthwise TF-'same' conv, batch norm, a squeeze-and-excitation gate
    (SiLU, Sigmoid, Multiply), a residual Add; ends in logits (no softmax). relu6=ReLU: the
    same network with ReLU in place of each ReLU6."""
    rng = np.random.default_rng(seed)
    layers = [Conv2D(3, 6, 3, padding=1, name="c1", rng=rng), relu6(name="r6a"),
              Conv2D(6, 6, 3, 2, "same", groups=6, bias=False, name="dw", rng=rng),
              BatchNorm2d(6, name="bn"), relu6(name="r6b"),
              Conv2D(6, 8, 1, name="pw", rng=rng), ReLU(name="r"),
              GlobalAveragePool2D(keepdims=True, name="se_pool"),
              Conv2D(8, 4, 1, name="se_reduce", rng=rng), SiLU(name="se_act"),
              Conv2D(4, 8, 1, name="se_expand", rng=rng), Sigmoid(name="se_gate"),
              Multiply(name="se", inputs=("r", "se_gate")),
              Conv2D(8, 8, 3, padding=1, name="c4", rng=rng), Add(name="add", inputs=("c4", "se")),
              relu6(name="out"), GlobalAveragePool2D(name="gap"), Dense(8, 5, name="fc", rng=rng)]
    bn = layers[3]
    bn.params = {"weight": rng.uniform(0.5, 1.5, 6), "bias": rng.uniform(-0.5, 0.5, 6)}
    bn.buffers = {"running_mean": rng.uniform(-0.5, 0.5, 6), "running_var": rng.uniform(0.5, 2, 6)}
    layers[13].params["weight"] *= 3  # c4: so that the last ReLU6's inputs pass 6 too
    for layer in layers:
        if "bias" in layer.params:
            layer.params["bias"] = rng.uniform(-0.5, 0.5, layer.params["bias"].shape)
    return Network([layer.astype(np.float32) for layer in layers], (3, 12, 12), name="modern")


def relu6_net(seed=0):
    """Convolutions and ReLU6 only (no nn.ReLU for Captum to hook)."""
    rng = np.random.default_rng(seed)
    layers = [Conv2D(3, 6, 3, padding=1, name="c1", rng=rng), ReLU6(name="r1"),
              Conv2D(6, 6, 3, padding=1, name="c2", rng=rng), ReLU6(name="r2"),
              GlobalAveragePool2D(name="gap"), Dense(6, 4, name="fc", rng=rng)]
    return Network(layers, (3, 10, 10), name="relu6_only")


@pytest.fixture(scope="module", autouse=True)
def one_thread(torch):
    """PyTorch on one thread (tests/test_models_torch.py: its two-thread pool stalls for
    seconds on a loaded 2-core machine; these networks are too small to gain from two)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(1)
    x = 4 * rng.standard_normal((2, 3, 12, 12))  # large enough that ReLU6 inputs pass 6
    g = rng.standard_normal((2, 5))
    return x, g


def run_both(net, x, g, dtype, torch):
    net = net.astype(dtype)
    mirror = torch_mirror(net)
    net.forward(x.astype(dtype))
    ours = {rule: net.backward(g.astype(dtype), rule=rule) for rule in RULES}
    theirs = {rule: torch_grad(mirror, x.astype(dtype), g.astype(dtype), torch, rule,
                               (torch.nn.ReLU, torch.nn.ReLU6)) for rule in RULES}
    return net, mirror, ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rules_equal_the_hooks_at_relu_and_relu6(torch, record_property, inputs, dtype):
    x, g = inputs
    net, _, ours, theirs = run_both(modern_net(), x, g, dtype, torch)
    for rule in RULES:
        err = rel_err(ours[rule], theirs[rule])
        record_property(f"{rule} rel", err)
        assert np.abs(theirs[rule]).max() > 0
        assert err <= TOL[dtype], rule
    # the rectifiers' inputs really visit both kinks' sides, far from the kinks themselves
    for name in ("r6a", "r6b", "out"):
        before = net.activations[net.inputs_of(name)[0]]
        assert (before > 6).mean() > 0.03 and (before < 0).mean() > 0.3, name
        assert np.abs(before).min() > 1e-4 and np.abs(before - 6).min() > 1e-4, name
    # and the rules differ from each other (else the comparison above proves little)
    assert rel_err(ours["deconvnet"], ours["gradient"]) > 0.1
    assert rel_err(ours["guided"], ours["gradient"]) > 0.1
    assert rel_err(ours["guided"], ours["deconvnet"]) > 0.1


def test_relu6_rule_uses_the_upper_mask(torch, inputs):
    # guided at ReLU6 masks x >= 6 as well: a hook that masked only x <= 0 (ReLU's rule on a
    # clipped unit) gives another answer
    x, g = inputs
    net, mirror, ours, _ = run_both(modern_net(), x, g, np.float64, torch)
    relu_mask_only = lambda mod, gin, gout: (gout[0].clamp(min=0) * (mod.seen > 0),)  # noqa: E731
    keep = lambda mod, inp, out: setattr(mod, "seen", inp[0].detach())  # noqa: E731
    hooks = []
    for m in mirror.modules():
        if isinstance(m, torch.nn.ReLU6):
            hooks += [m.register_forward_hook(keep), m.register_full_backward_hook(relu_mask_only)]
        elif isinstance(m, torch.nn.ReLU):
            hooks.append(m.register_full_backward_hook(lambda mod, gin, gout: (gin[0].clamp(min=0),)))
    try:
        xt = torch.tensor(x, requires_grad=True)
        mirror(xt).backward(torch.tensor(g))
    finally:
        for h in hooks:
            h.remove()
    assert rel_err(ours["guided"], xt.grad.numpy()) > 0.1


@pytest.mark.parametrize("layer", [SiLU(), Sigmoid()], ids=["SiLU", "Sigmoid"])
def test_smooth_activations_ignore_the_rule(layer):
    # DESIGN.md: smooth activations pass their plain gradient under every rule, bit for bit
    rng = np.random.default_rng(2)
    x, g = 3 * rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 4, 5))
    _, cache = layer.forward(x)
    (plain,) = layer.backward(g, cache, "gradient")
    for rule in ("deconvnet", "guided"):
        np.testing.assert_array_equal(layer.backward(g, cache, rule)[0], plain)
    assert not layer.rectifier
    assert (plain < 0).any()  # negative gradients pass: no rule clamps them


def test_smooth_activations_pass_the_gradient_as_captum(torch, record_property, inputs):
    # with ReLU as the only rectifier, Captum's GuidedBackprop and Deconvolution (hooks on
    # nn.ReLU, none on nn.SiLU / nn.Sigmoid) equal cnnvis's guided and deconvnet rules
    from captum.attr import Deconvolution, GuidedBackprop
    x, _ = inputs
    targets = [1, 3]
    net, mirror, ours, _ = run_both(modern_net(relu6=ReLU), x, np.eye(5)[targets], np.float64, torch)
    for rule, method in (("guided", GuidedBackprop), ("deconvnet", Deconvolution)):
        captum = method(mirror).attribute(torch.tensor(x), target=targets).detach().numpy()
        err = rel_err(ours[rule], captum)
        record_property(f"{rule} rel", err)
        assert err <= TOL[np.float64], rule


def test_captum_hooks_relu_not_relu6(torch, record_property, inputs):
    from captum.attr import Deconvolution, GuidedBackprop
    x, g = inputs
    net, mirror, ours, _ = run_both(modern_net(), x, np.eye(5)[[1, 3]], np.float64, torch)
    xt = torch.tensor(x)
    targets = [1, 3]
    for rule, method in (("guided", GuidedBackprop), ("deconvnet", Deconvolution)):
        captum = method(mirror).attribute(xt.clone(), target=targets).detach().numpy()
        relu_only = torch_grad(mirror, x, np.eye(5)[targets], torch, rule, (torch.nn.ReLU,))
        err = rel_err(captum, relu_only)
        record_property(f"{rule}: captum vs hooks at nn.ReLU only", err)
        assert err <= 1e-12  # Captum = the rule at nn.ReLU, the plain gradient at nn.ReLU6
        differ = rel_err(ours[rule], captum)
        record_property(f"{rule}: cnnvis vs captum", differ)
        assert differ > 0.1  # cnnvis applies the rule at ReLU6 as well


def test_captum_on_relu6_only_is_the_plain_gradient(torch, record_property):
    from captum.attr import Deconvolution, GuidedBackprop, Saliency
    net = relu6_net().astype(np.float64)
    mirror = torch_mirror(net)
    x = 4 * np.random.default_rng(3).standard_normal((2, 3, 10, 10))
    xt, targets = torch.tensor(x), [0, 2]
    plain = Saliency(mirror).attribute(xt.clone(), target=targets, abs=False).detach().numpy()
    g = np.eye(4)[targets]
    net.forward(x)
    for rule, method in (("guided", GuidedBackprop), ("deconvnet", Deconvolution)):
        captum = method(mirror).attribute(xt.clone(), target=targets).detach().numpy()
        np.testing.assert_array_equal(captum, plain)  # no hook at all: bit for bit
        ours = net.backward(g, rule=rule)
        assert rel_err(ours, plain) > 0.1, rule
    assert rel_err(net.backward(g), plain) <= 1e-12  # cnnvis's plain gradient is Captum's

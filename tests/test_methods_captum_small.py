"""Every gradient method against Captum 0.9.0 on a small VGG (float32, batch of 2 photos,
a different target per image), on the same weights through torch_mirror.

rel = max |ours - Captum| / max |Captum| (conftest.rel_err). TOL = 1e-5: float32 sums in
a different order through ~10 layers; measured 2e-7 to 8e-7 for every method here (no
ReLU or max-pool decision lies near its kink in this small network, unlike VGG16).
"""
import copy

import numpy as np
import pytest

from conftest import agreement, rel_err
from methods_nets import TARGETS, small, small_mirror
from cnnvis import methods as M
from cnnvis.graph import Network
from cnnvis.methods.adversarial import input_range, pixel_size

TOL = 1e-5
CAM_LAYER = "block2_conv2_relu"   # the default: the last ReLU before the last pool
UNIT_LAYER = "block2_conv1_relu"


@pytest.fixture(scope="module")
def setup(torch):
    net, x = small()
    model, logits = small_mirror()
    return net, x, torch.from_numpy(x), model, logits


def check(ours, theirs, record_property, name="rel"):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert ours.shape == theirs.shape
    assert np.abs(theirs).max() > 0  # a non-trivial reference, else the test proves nothing
    agreement(record_property, name, rel_err(ours, theirs), TOL)


@pytest.mark.parametrize("score", ["logit", "prob"])
def test_saliency(setup, record_property, score):
    from captum.attr import Saliency
    net, x, xt, model, logits = setup
    theirs = Saliency(logits if score == "logit" else model).attribute(xt, target=TARGETS, abs=False)
    check(M.saliency(net, x, TARGETS, score=score), theirs, record_property)


def test_saliency_map_is_max_abs_over_channels(setup, record_property):
    from captum.attr import Saliency
    net, x, xt, model, logits = setup
    theirs = Saliency(logits).attribute(xt, target=TARGETS, abs=True).detach().numpy().max(axis=1)
    check(M.saliency_map(M.saliency(net, x, TARGETS)), theirs, record_property)


def test_gradient_times_input(setup, record_property):
    from captum.attr import InputXGradient
    net, x, xt, model, logits = setup
    check(M.saliency(net, x, TARGETS, times_input=True),
          InputXGradient(logits).attribute(xt.clone(), target=TARGETS), record_property)


def test_deconvnet_class(setup, record_property):
    from captum.attr import Deconvolution
    net, x, xt, model, logits = setup
    check(M.deconvnet(net, x, TARGETS), Deconvolution(logits).attribute(xt, target=TARGETS),
          record_property)


def test_deconvnet_unit_one_hot(setup, record_property):
    from captum.attr import NeuronDeconvolution
    net, x, xt, model, logits = setup
    unit = M.Unit(UNIT_LAYER, 3, 1, 2)
    theirs = NeuronDeconvolution(logits, logits.module(UNIT_LAYER)).attribute(xt, (3, 1, 2))
    check(M.deconvnet(net, x, unit, seed="one-hot"), theirs, record_property)


def test_deconvnet_channel_activation_seed(setup, record_property):
    # Zeiler & Fergus's seed, the feature map itself, is d/dA of 0.5 * sum(A_c^2): Captum
    # reaches it with a callable neuron selector.
    from captum.attr import NeuronDeconvolution
    net, x, xt, model, logits = setup
    select = lambda out: 0.5 * (out[:, 3] ** 2).sum(dim=(1, 2))  # noqa: E731
    theirs = NeuronDeconvolution(logits, logits.module(UNIT_LAYER)).attribute(xt, select)
    check(M.deconvnet(net, x, M.Unit(UNIT_LAYER, 3)), theirs, record_property)


def test_guided_backprop_class_and_unit(setup, record_property):
    from captum.attr import GuidedBackprop, NeuronGuidedBackprop
    net, x, xt, model, logits = setup
    check(M.guided_backprop(net, x, TARGETS), GuidedBackprop(logits).attribute(xt, target=TARGETS),
          record_property, "class rel")
    a = net.forward(x, until=UNIT_LAYER)
    c, i, j = np.unravel_index(int(a[0].argmax()), a.shape[1:])  # a unit that is on in image 0
    theirs = NeuronGuidedBackprop(logits, logits.module(UNIT_LAYER)).attribute(xt, (c, i, j))
    check(M.guided_backprop(net, x, M.Unit(UNIT_LAYER, int(c), int(i), int(j))), theirs,
          record_property, "unit rel")


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_gradcam_is_layergradcam_plus_interpolate(setup, record_property, relu, mode):
    from captum.attr import LayerAttribution, LayerGradCam
    net, x, xt, model, logits = setup
    raw = LayerGradCam(logits, logits.module(CAM_LAYER)).attribute(
        xt, target=TARGETS, relu_attributions=relu)
    theirs = LayerAttribution.interpolate(raw, x.shape[2:], mode)[:, 0]
    ours = M.gradcam(net, x, TARGETS, relu=relu, upsample=mode, normalize=False)
    check(ours, theirs, record_property)
    check(M.gradcam(net, x, TARGETS, layer=CAM_LAYER, relu=relu, upsample=None, normalize=False),
          raw[:, 0], record_property, "layer-resolution rel")


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_guided_gradcam(setup, record_property, mode):
    from captum.attr import GuidedGradCam
    net, x, xt, model, logits = setup
    theirs = GuidedGradCam(logits, logits.module(CAM_LAYER)).attribute(
        xt, target=TARGETS, interpolate_mode=mode)
    check(M.guided_gradcam(net, x, TARGETS, upsample=mode), theirs, record_property)


@pytest.mark.parametrize("method,steps", [("gausslegendre", 8), ("riemann_trapezoid", 8),
                                          ("riemann_left", 5), ("riemann_right", 5),
                                          ("riemann_middle", 5)])
def test_integrated_gradients(setup, record_property, method, steps):
    from captum.attr import IntegratedGradients
    net, x, xt, model, logits = setup
    theirs, delta = IntegratedGradients(logits).attribute(
        xt, target=TARGETS, n_steps=steps, method=method, return_convergence_delta=True)
    ours = M.integrated_gradients(net, x, TARGETS, steps=steps, method=method, batch_size=3)
    check(ours.attributions, theirs, record_property)
    # Captum's delta is a float32 sum of 3072 terms, ours a float64 one: 1e-5 of the scores
    scale = np.abs(ours.scores).max()
    assert np.abs(ours.completeness_error - delta.numpy()).max() <= 1e-5 * scale


def test_integrated_gradients_custom_baseline_and_prob(setup, record_property, rng, torch):
    from captum.attr import IntegratedGradients
    net, x, xt, model, logits = setup
    base = rng.uniform(0, 1, x.shape).astype(np.float32)
    theirs = IntegratedGradients(model).attribute(xt, baselines=torch.from_numpy(base),
                                                  target=TARGETS, n_steps=6)
    ours = M.integrated_gradients(net, x, TARGETS, baseline=base, steps=6, score="prob")
    check(ours.attributions, theirs, record_property)


@pytest.mark.parametrize("squared", [False, True])
def test_smoothgrad_is_noisetunnel(setup, record_property, torch, squared):
    # Captum's noise drawn the way NoiseTunnel draws it (same seed, same call), passed to ours
    from captum.attr import NoiseTunnel, Saliency
    net, x, xt, model, logits = setup
    n, stdev = 4, 0.1
    torch.manual_seed(7)
    noise = torch.normal(0, torch.tensor(stdev).repeat((len(x) * n,) + x.shape[1:]))
    torch.manual_seed(7)
    theirs = NoiseTunnel(Saliency(logits)).attribute(
        xt, nt_type="smoothgrad_sq" if squared else "smoothgrad", nt_samples=n, stdevs=stdev,
        target=TARGETS, abs=False)
    ours = M.smoothgrad(net, x, TARGETS, n=n, squared=squared,
                        noise=noise.numpy().reshape((len(x), n) + x.shape[1:]), batch_size=3)
    check(ours, theirs, record_property)


def _bounds(net, torch):
    lo, hi = input_range(net)
    return (torch.tensor(lo, dtype=torch.float32).view(1, -1, 1, 1),
            torch.tensor(hi, dtype=torch.float32).view(1, -1, 1, 1))


@pytest.fixture(scope="module")
def adversarial_nets(setup, torch):
    """{'softmax': the small net and its whole mirror, 'logits': a copy without its final Softmax
    and the mirror up to the logits}; the losses of Captum that match ours on each."""
    net, x, xt, model, logits = setup
    bare = copy.deepcopy(net)
    bare = Network(bare.nodes[:-1], net.input_shape, net.preprocessing, net.class_names, "small_logits")
    cross_entropy = lambda out, t: torch.nn.functional.cross_entropy(out, t, reduction="none")  # noqa: E731
    return {("softmax", "cross-entropy"): (net, model, None),  # Captum's default -log(p) is it
            ("softmax", "nll"): (net, model, None),
            ("logits", "cross-entropy"): (bare, logits, cross_entropy),
            ("logits", "nll"): (bare, logits, None)}  # Captum's default: -log(logit)


ADVERSARIAL_CASES = [("softmax", "cross-entropy"), ("softmax", "nll"), ("logits", "cross-entropy"),
                     ("logits", "nll")]


@pytest.mark.parametrize("targeted", [False, True])
@pytest.mark.parametrize("case", ADVERSARIAL_CASES)
def test_fgsm_is_captum_fgsm(setup, adversarial_nets, torch, record_property, case, targeted):
    # Captum's FGSM: x + eps*sign(grad) untargeted, x - eps*sign(grad) targeted, where
    # |grad| > 1e-6, then clamp to the bounds (here per channel); loss as adversarial_nets.
    from captum.robust import FGSM
    _, x, xt, _, _ = setup
    net, model, loss_func = adversarial_nets[case]
    lo, hi = _bounds(net, torch)
    eps = 3.0  # grey levels
    theirs = FGSM(model, loss_func, lower_bound=lo, upper_bound=hi).perturb(
        xt, epsilon=float(eps * pixel_size(net)[0]), target=torch.tensor(TARGETS), targeted=targeted)
    ours = M.fgsm(net, x, TARGETS, epsilon=eps, unit="pixel", targeted=targeted, loss=case[1])
    # equal up to float32 rounding of eps * size (one ulp of the input scale): 1e-6
    agreement(record_property, "x abs", np.abs(ours.x - theirs.numpy()).max(), 1e-6)
    assert np.abs(ours.x - x).max() > 0
    np.testing.assert_allclose(ours.linf, eps, rtol=1e-5)  # every pixel moved by eps or clipped


@pytest.mark.parametrize("case", ADVERSARIAL_CASES)
def test_iterative_fgsm_is_captum_pgd_linf(setup, adversarial_nets, torch, record_property, case):
    from captum.robust import PGD
    _, x, xt, _, _ = setup
    net, model, loss_func = adversarial_nets[case]
    lo, hi = _bounds(net, torch)
    size = float(pixel_size(net)[0])
    theirs = PGD(model, loss_func, lower_bound=lo, upper_bound=hi).perturb(
        xt, radius=4 * size, step_size=size, step_num=6, target=torch.tensor(TARGETS))
    ours = M.iterative_fgsm(net, x, TARGETS, epsilon=4, step=1, steps=6, unit="pixel", loss=case[1])
    agreement(record_property, "x abs", np.abs(ours.x - theirs.numpy()).max(), 1e-6)  # as FGSM's
    assert ours.linf.max() <= 4 * (1 + 1e-5)


def test_fgsm_with_a_loss_of_ones_own_is_captum_fgsm_with_it(setup, adversarial_nets, torch):
    from captum.robust import FGSM
    _, x, xt, _, _ = setup
    net, model, _ = adversarial_nets[("logits", "nll")]
    rows = np.arange(len(TARGETS))

    def minus_score(outputs, t):  # J = -logit[t]: dJ/doutputs = -onehot
        grad = np.zeros_like(outputs)
        grad[rows, t] = -1
        return -outputs[rows, t], grad

    lo, hi = _bounds(net, torch)
    theirs = FGSM(model, lambda out, t: -out.gather(1, t[:, None])[:, 0], lower_bound=lo,
                  upper_bound=hi).perturb(xt, epsilon=float(2 * pixel_size(net)[0]), target=torch.tensor(TARGETS))
    ours = M.fgsm(net, x, TARGETS, epsilon=2, loss=minus_score)
    assert np.abs(ours.x - theirs.numpy()).max() <= 1e-6 and np.abs(ours.x - x).max() > 0


def test_fgsm_leaves_inputs_with_a_gradient_below_the_threshold_as_captum(setup, torch):
    # channel 2's first-layer weights times 1e-9: its gradients are ~1e-11, under Captum's 1e-6
    from captum.robust import FGSM

    from cnnvis.methods.adversarial import ZERO_GRADIENT
    from cnnvis.verify.torch_mirror import torch_mirror
    net, x, xt, _, _ = setup
    faint = copy.deepcopy(net)
    faint["block1_conv1"].params["weight"][:, 2] *= 1e-9
    g = M.saliency(faint, x, TARGETS)
    assert 0 < np.abs(g[:, 2]).max() <= ZERO_GRADIENT < np.abs(g[:, :2]).max()
    lo, hi = _bounds(faint, torch)
    theirs = FGSM(torch_mirror(faint), lower_bound=lo, upper_bound=hi).perturb(
        xt, epsilon=float(3 * pixel_size(faint)[0]), target=torch.tensor(TARGETS))
    ours = M.fgsm(faint, x, TARGETS, epsilon=3)
    np.testing.assert_array_equal(ours.x[:, 2], x[:, 2])  # not moved by rounding noise
    assert np.abs(ours.x[:, :2] - x[:, :2]).min() > 0
    assert np.abs(ours.x - theirs.numpy()).max() <= 1e-6

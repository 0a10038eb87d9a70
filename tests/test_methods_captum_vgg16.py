"""The gradient methods against Captum 0.9.0 on VGG16 (random He weights, seed 0, 224x224,
the bundled cat photo, batch 1), on the same weights through torch_mirror.

Kinks. In float32 a few of VGG16's ~14M ReLU and max-pool decisions lie within rounding
of their kink, and two correct libraries can decide them differently (tests/
vgg16_reference.py). One flipped max-pool switch in block1 moves the input gradient by O(1)
around one spot: measured 4% of max |gradient| for the cat photo, on 0.06% of the pixels. So:
  * the single-pass methods (Saliency, Deconvolution, GuidedBackprop, LayerGradCam,
    GuidedGradCam) run Captum in float32 on the mirror with its decisions fixed to ours
    (vgg16_reference.aligned_model: ReLU = x * our mask, max-pool = gather at our switches,
    still nn.ReLU modules for Captum's hooks; built for the cat photo, it checks our
    decisions against PyTorch's on it and, on each of Captum's calls, every layer's output
    against PyTorch's natural layer), TOL32 = 1e-4 relative (issue 3's aim; measured 5e-7
    to 7e-6);
  * the same methods in float64 on both sides, where rounding (~1e-16) is far from every
    kink, against Captum on the unmodified mirror (no copied decisions): TOL64 = 1e-9;
  * the methods that run other inputs than x (integrated gradients, SmoothGrad, FGSM),
    where no decisions can be fixed in advance, in float64 on both sides: TOL64 (measured
    3e-15 to 4e-15).
"""
import copy

import numpy as np
import pytest

from conftest import agreement, rel_err
from vgg16_reference import aligned_model, check_decisions, natural_forward
import cnnvis
from cnnvis import methods as M
from cnnvis.images import load_image
from cnnvis.verify.torch_mirror import torch_mirror

TOL32 = 1e-4
TOL64 = 1e-9
TARGET = 281      # tabby cat (an index only: the weights are random)
CAM_LAYER = "block5_conv3_relu"


@pytest.fixture(scope="module")
def vgg32(torch):
    net = cnnvis.vgg16(seed=0)
    x = net.preprocess(load_image("cat", (224, 224)))
    model = aligned_model(net, torch_mirror(net), x, torch)  # checks our decisions on x
    return net, x, torch.from_numpy(x), model


@pytest.fixture(scope="module")
def vgg64(vgg32, torch):
    net = copy.deepcopy(vgg32[0]).astype(np.float64)
    x = vgg32[1].astype(np.float64)
    return net, x, torch.from_numpy(x), torch_mirror(net)


def test_float64_decisions_are_pytorchs(vgg64, torch, record_property):
    # what lets the float64 tests below use the unmodified mirror: no decision flips
    net, x, _, model = vgg64
    net.forward(x)
    flips = check_decisions(net, *natural_forward(model, x, torch)[1:])["flips"]
    record_property("decision flips", flips)
    assert flips == 0


def check(ours, theirs, tol, record_property, name="rel"):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert ours.shape == theirs.shape
    assert np.abs(theirs).max() > 0
    agreement(record_property, name, rel_err(ours, theirs), tol)


def test_saliency_deconvnet_guided(vgg32, record_property):
    from captum.attr import Deconvolution, GuidedBackprop, Saliency
    net, x, xt, model = vgg32
    check(M.saliency(net, x, TARGET), Saliency(model).attribute(xt, target=TARGET, abs=False),
          TOL32, record_property, "saliency rel")
    check(M.deconvnet(net, x, TARGET), Deconvolution(model).attribute(xt, target=TARGET),
          TOL32, record_property, "deconvnet rel")
    check(M.guided_backprop(net, x, TARGET), GuidedBackprop(model).attribute(xt, target=TARGET),
          TOL32, record_property, "guided rel")


def test_gradcam_and_guided_gradcam(vgg32, record_property):
    from captum.attr import GuidedGradCam, LayerAttribution, LayerGradCam
    net, x, xt, model = vgg32
    layer = model[net.index(CAM_LAYER)]  # aligned_model: one module per node, in order
    raw = LayerGradCam(model, layer).attribute(xt, target=TARGET)
    for relu in (False, True):
        theirs = LayerAttribution.interpolate(raw.clamp(min=0) if relu else raw, (224, 224),
                                              "bilinear")[:, 0]
        check(M.gradcam(net, x, TARGET, relu=relu, normalize=False), theirs, TOL32,
              record_property, f"gradcam relu={relu} rel")
    check(M.guided_gradcam(net, x, TARGET),
          GuidedGradCam(model, layer).attribute(xt, target=TARGET), TOL32, record_property,
          "guided gradcam rel")


def test_saliency_deconvnet_guided_float64(vgg64, record_property):
    from captum.attr import Deconvolution, GuidedBackprop, Saliency
    net, x, xt, model = vgg64
    head = model.head("predictions")
    check(M.saliency(net, x, TARGET), Saliency(head).attribute(xt, target=TARGET, abs=False),
          TOL64, record_property, "saliency rel")
    check(M.deconvnet(net, x, TARGET), Deconvolution(head).attribute(xt, target=TARGET),
          TOL64, record_property, "deconvnet rel")
    check(M.guided_backprop(net, x, TARGET), GuidedBackprop(head).attribute(xt, target=TARGET),
          TOL64, record_property, "guided rel")


def test_gradcam_and_guided_gradcam_float64(vgg64, record_property):
    from captum.attr import GuidedGradCam, LayerAttribution, LayerGradCam
    net, x, xt, model = vgg64
    head, layer = model.head("predictions"), model.module(CAM_LAYER)
    raw = LayerGradCam(head, layer).attribute(xt, target=TARGET)
    for relu in (False, True):
        theirs = LayerAttribution.interpolate(raw.clamp(min=0) if relu else raw, (224, 224),
                                              "bilinear")[:, 0]
        check(M.gradcam(net, x, TARGET, relu=relu, normalize=False), theirs, TOL64,
              record_property, f"gradcam relu={relu} rel")
    check(M.guided_gradcam(net, x, TARGET), GuidedGradCam(head, layer).attribute(xt, target=TARGET),
          TOL64, record_property, "guided gradcam rel")


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_float64(vgg64, record_property, torch, method):
    # From a blurred baseline: random VGG16 has zero biases, so it is positively homogeneous
    # and from the zero baseline its path gradient would be constant (IG = x * gradient).
    from captum.attr import IntegratedGradients
    net, x, xt, model = vgg64
    base = M.gaussian_blur(x, 5.0)
    theirs, delta = IntegratedGradients(model.head("predictions")).attribute(
        xt, baselines=torch.from_numpy(base), target=TARGET, n_steps=2, method=method,
        return_convergence_delta=True)
    ours = M.integrated_gradients(net, x, TARGET, baseline="blur", blur_sigma=5.0, steps=2,
                                  method=method)
    check(ours.attributions, theirs, TOL64, record_property)
    agreement(record_property, "completeness error rel",
              abs(ours.completeness_error[0] - float(delta[0])) / abs(ours.scores[0]), TOL64)


def test_smoothgrad_float64(vgg64, record_property, torch):
    from captum.attr import NoiseTunnel, Saliency
    net, x, xt, model = vgg64
    n, stdev = 2, 20.0
    torch.manual_seed(3)
    noise = torch.normal(0, torch.tensor(stdev).repeat((n,) + x.shape[1:]))  # as NoiseTunnel
    torch.manual_seed(3)
    theirs = NoiseTunnel(Saliency(model.head("predictions"))).attribute(
        xt, nt_samples=n, stdevs=stdev, target=TARGET, abs=False)
    ours = M.smoothgrad(net, x, TARGET, n=n, noise=noise.numpy()[None])
    check(ours, theirs, TOL64, record_property)


def test_fgsm_float64(vgg64, torch, record_property):
    # Captum's default loss, -log(softmax output)[target], is NaN here: random VGG16's logits
    # spread over hundreds, so some probabilities underflow to 0 even in float64 and
    # autograd's 0 * (1 / 0) poisons the gradient. So Captum's FGSM is given the same loss
    # in its stable form, cross-entropy on the logits (its loss_func argument).
    from captum.robust import FGSM
    net, x, xt, model = vgg64
    cross_entropy = lambda out, t: torch.nn.functional.cross_entropy(out, t, reduction="none")  # noqa: E731
    lo, hi = (torch.tensor(v).view(1, -1, 1, 1) for v in M.adversarial.input_range(net))
    theirs = FGSM(model.head("predictions"), loss_func=cross_entropy, lower_bound=lo, upper_bound=hi).perturb(
        xt, epsilon=2.0, target=torch.tensor([TARGET])).numpy()
    ours = M.fgsm(net, x, TARGET, epsilon=2.0, unit="pixel")  # caffe: 1 grey level = 1
    # Captum leaves an input where it is when |dJ/dx| <= 1e-6 (FGSM.zero_thresh); we move
    # every input by sign(dJ/dx), as the paper. Elsewhere the results are equal.
    differ = np.abs(ours.x - theirs) > TOL64 * np.abs(x).max()
    record_property("inputs below Captum's zero_thresh", int(differ.sum()))
    assert differ.mean() <= 1e-4
    assert np.all(theirs[differ] == x[differ])
    np.testing.assert_allclose(np.abs(ours.x - x)[differ], 2.0, rtol=1e-12)
    assert np.abs(ours.x - x).max() > 0

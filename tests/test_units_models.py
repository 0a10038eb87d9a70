"""Every unit method on the two real architectures: the bundled Fashion-MNIST model with its
samples, and VGG16 (random weights: its conv stack at small sizes, the full network once at
224x224 for the predictions). What is checked here is that each runs end to end at these
sizes and gives results of the right shape and sense; exactness is checked on small
networks in the other test_units_* modules."""
import numpy as np
import pytest

from cnnvis.datasets import bundled_samples
from cnnvis.methods.activation_max import activation_maximization
from cnnvis.methods.deepdream import deepdream
from cnnvis.methods.embedding import embedding
from cnnvis.methods.feature_maps import feature_maps
from cnnvis.methods.filters import filter_images
from cnnvis.methods.predictions import top_k
from cnnvis.methods.targets import Unit
from cnnvis.methods.top_patches import top_patch_projections, top_patches
from cnnvis.models import bundled_model, vgg16


@pytest.fixture(scope="module")
def bundled():
    return bundled_model(), bundled_samples()


@pytest.fixture(scope="module")
def convs():
    return vgg16(include_top=False, input_shape=(3, 64, 64))


def test_bundled_model(bundled):
    net, data = bundled
    assert filter_images(net).images.shape == (32, 3, 3)  # 32 grey 3x3 first-layer filters
    x = net.preprocess(data.images)
    fm = feature_maps(net, x[:2], "block2_conv2_relu", sort=True, top_k=8)
    assert fm.maps.shape == (2, 8, 14, 14)
    units = [Unit("block2_conv2_relu", 5), Unit("fc1_relu", 7)]
    result = top_patches(net, "bundled", units, k=9, batch_size=25, inside=True, progress=False)
    assert result.count == 100 and [len(p) for p in result.patches] == [9, 9]
    assert len(top_patch_projections(net, result)[0]) == 9
    am = activation_maximization(net, None, "Trouser", steps=5,
                                 progress=False)
    assert am.images.shape == (1, 28, 28, 1) and am.scores[-1, 0] > am.scores[0, 0]
    dream = deepdream(net, x[:1], "block2_conv2", steps=2, octaves=2, progress=False)
    assert dream.images.shape == (1, 28, 28, 1)
    emb = embedding(net, x, data.labels, "pca", progress=False)
    pred = top_k(net, x, k=3)
    np.testing.assert_array_equal(emb.predictions, pred.classes[:, 0])
    assert (pred.classes[:, 0] == data.labels).mean() >= 0.85  # the trained model on its samples


def test_vgg16_conv_stack(convs):
    net = convs
    assert filter_images(net).images.shape == (64, 3, 3, 3)  # RGB first layer
    assert filter_images(net, "block5_conv3", "strongest").images.shape == (512, 3, 3)
    images = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    x = net.preprocess(images)
    assert feature_maps(net, x[:1], "block4_conv3_relu", sort=True, top_k=4).maps.shape == (1, 4, 8, 8)
    result = top_patches(net, images, [Unit("block3_conv1_relu", 7)], k=3, batch_size=2, progress=False)
    assert result.patches[0][0].crop.shape[-1] == 3
    am = activation_maximization(net, None, Unit("block5_conv1", 10), steps=2, octaves=2, size=(48, 48),
                                 jitter=2, progress=False)
    assert am.images.shape == (1, 48, 48, 3)
    assert deepdream(net, x[:1], "block3_conv3", steps=1, octaves=2, progress=False).images.shape == \
        (1, 64, 64, 3)
    emb = embedding(net, x, np.arange(5) % 2, "pca", progress=False)
    assert emb.points.shape == (5, 2) and emb.predictions is None and emb.layer == "block5_pool"


def test_vgg16_predictions_with_imagenet_names():
    """Zero weights (no 138M random draws) and random logit biases: the logits are the biases,
    whatever the image, so the top 5 and their probabilities are known."""
    from cnnvis.models.classes import imagenet_class_names
    names = imagenet_class_names()
    net = vgg16(class_names=names, init="zeros")
    bias = np.random.default_rng(1).standard_normal(1000)
    net["predictions"].params["bias"][:] = bias
    x = net.preprocess(np.random.default_rng(2).integers(0, 256, (224, 224, 3)))
    pred = top_k(net, x, k=5)
    best = np.argsort(-bias)[:5]
    np.testing.assert_array_equal(pred.classes[0], best)
    p = np.exp(bias - bias.max()) / np.exp(bias - bias.max()).sum()
    np.testing.assert_allclose(pred.probabilities[0], p[best], rtol=1e-5)  # float32 logits
    assert list(pred.names[0]) == [names[c] for c in best]

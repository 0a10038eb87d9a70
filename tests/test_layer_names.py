"""A layer name means what it means in the weights' own framework (issue 17 item 8).

Keras fuses a conv with its activation: in a Keras VGG16, 'block5_conv3' is the ReLU's output,
and Keras Grad-CAM tutorials pass layer_name='block5_conv3'. cnnvis's graph has both nodes, so
for weights read from Keras files a conv's name typed by a user selects its activation
(methods.targets.layer_node), 'NAME.pre' the convolution itself; other weights keep node names.
"""
import numpy as np
import pytest

import cnnvis
from cnnvis import methods as M
from cnnvis.loading import load
from cnnvis.methods.targets import layer_node
from cnnvis.pretrained import weights_path
from cnnvis.weights import save


@pytest.fixture(scope="module")
def hed():
    return load(weights_path("hed"))


def test_keras_weights_name_the_activation(hed, tmp_path):
    assert hed.naming == "keras"
    assert layer_node(hed, "block5_conv3") == "block5_conv3_relu"
    assert layer_node(hed, "block5_conv3.pre") == "block5_conv3"
    assert layer_node(hed, "block5_conv3_relu") == "block5_conv3_relu"
    assert layer_node(hed, "block5_pool") == "block5_pool"  # not a conv: itself
    save(hed, tmp_path / "hed.h5")  # our format keeps the rule
    assert layer_node(load(tmp_path / "hed.h5"), "block4_conv1") == "block4_conv1_relu"


def test_other_weights_keep_node_names():
    for net in (cnnvis.vgg16(include_top=False, input_shape=(3, 32, 32)), cnnvis.models.bundled_model()):
        assert net.naming is None
        assert layer_node(net, "block2_conv1") == "block2_conv1"


def test_keras_gradcam_layer_agrees_with_the_activation(hed):
    # Grad-CAM "at block5_conv3" as Keras means it equals Grad-CAM at our ReLU node
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    unit = M.Unit("block5_pool")  # the whole layer: every channel weighs in
    keras = M.gradcam(hed, x, unit, layer=layer_node(hed, "block5_conv3"))
    np.testing.assert_array_equal(keras, M.gradcam(hed, x, unit, layer="block5_conv3_relu"))
    assert np.abs(keras - M.gradcam(hed, x, unit, layer="block5_conv3")).max() > 0.05  # it matters

"""Small networks with known answers for the tests of the unit methods (tests/test_units_*.py)."""
import numpy as np

import cnnvis
from cnnvis.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax
from cnnvis.graph import Network
from cnnvis.preprocessing import Preprocessing

# pixels 0..255 -> inputs -1..1, so that a template with negative weights is reachable
SYMMETRIC = Preprocessing("L", 1 / 255, [0.5], [0.5])


def template(size=5):
    """A zero-mean oriented pattern (a diagonal edge with a bump), unit norm, float64."""
    i, j = np.mgrid[0:size, 0:size] - (size - 1) / 2
    t = np.tanh(i - j) + 0.5 * np.exp(-(i ** 2 + j ** 2) / 2)
    t -= t.mean()
    return t / np.linalg.norm(t)


def template_net(size=15, dtype=np.float64):
    """conv (1 -> 3, 5x5, valid) whose filter 0 is template(), filter 1 twice it and filter 2
    zero with bias -1 (dead after the ReLU); relu, 2x2 pool, flatten, dense 'fc' whose neuron 0
    weights are a whole-image pattern (the input flattened: see dense_template), 4 logits."""
    t = template()
    conv = Conv2D(1, 3, 5, name="conv")
    conv.params["weight"] = np.stack([t, 2 * t, np.zeros_like(t)])[:, None].astype(dtype)
    conv.params["bias"] = np.array([0.1, 0.1, -1.0], dtype)
    pooled = (size - 4) // 2
    fc = Dense(3 * pooled * pooled, 4, name="fc", rng=np.random.default_rng(3))
    logits = Dense(4, 4, name="logits", rng=np.random.default_rng(4))
    layers = [conv, ReLU(name="relu"), MaxPool2D(2, name="pool"), Flatten(name="flatten"), fc,
              ReLU(name="fc_relu"), logits, Softmax(name="softmax")]
    net = Network(layers, (1, size, size), SYMMETRIC, [f"class{k}" for k in range(4)], "template")
    return net.astype(dtype)


def dense_template(size=8, seed=5):
    """flatten -> dense 'fc' (3 neurons) on a 1 x size x size input; neuron 1's weights are a
    random unit-norm image ``pattern`` (size, size). Returns (net, pattern)."""
    rng = np.random.default_rng(seed)
    pattern = rng.standard_normal((size, size))
    pattern /= np.linalg.norm(pattern)
    fc = Dense(size * size, 3, name="fc", rng=rng)
    fc.params["weight"] = fc.params["weight"].astype(np.float64)
    fc.params["weight"][1] = pattern.ravel()
    net = Network([Flatten(name="flatten"), fc], (1, size, size), SYMMETRIC, name="dense_template")
    return net.astype(np.float64), pattern


def tiny_vgg(dtype=np.float32):
    """A random-weight small VGG, 3 x 16 x 16 -> 5 classes (blocks of 4 and 8 channels)."""
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 16, 16), classes=5, hidden=(16,),
                           seed=1, class_names=["a", "b", "c", "d", "e"])
    return net.astype(dtype).eval()

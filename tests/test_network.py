"""The Network contract of DESIGN.md on a chain of layers: what every method relies on.

forward(x, until, feeds) runs the nodes ``until`` needs (feeds resume from given outputs);
backward(grad, start, until, rule) takes dL/d(output of start) and returns dL/d(output of
until), or dL/d(input). Expected values come from running the layers one by one by hand
(y, cache = layer.forward(x); layer.backward(g, cache, rule)), or from hand-computed numbers.
Graphs (branches, merges) are tested in test_graph.py.
"""
import numpy as np
import pytest

import cnnvis
from cnnvis.errors import InputError, LayerNotFoundError
from cnnvis.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
from cnnvis.graph import Network
from cnnvis.preprocessing import Preprocessing

NAMES = ["conv1", "relu1", "pool1", "conv2", "relu2", "flatten", "fc", "drop", "out", "softmax"]


def make_net(seed=0):
    rng = np.random.default_rng(seed)
    net = Network([Conv2D(3, 4, 3, padding=1, name="conv1", rng=rng), ReLU(name="relu1"),
                   MaxPool2D(2, name="pool1"), Conv2D(4, 5, 3, name="conv2", rng=rng),
                   ReLU(name="relu2"), Flatten(name="flatten"), Dense(5 * 2 * 2, 6, name="fc", rng=rng),
                   Dropout(0.5, name="drop"), Dense(6, 3, name="out", rng=rng),
                   Softmax(name="softmax")], input_shape=(3, 8, 8), name="tiny")
    for layer in net.nodes:
        if "bias" in layer.params:
            layer.params["bias"] = rng.uniform(-0.1, 0.3, layer.params["bias"].shape).astype(np.float32)
    return net


@pytest.fixture
def net():
    return make_net()


@pytest.fixture
def x(rng):
    return rng.standard_normal((2, 3, 8, 8)).astype(np.float32)


def by_hand_forward(net, x, first, last):
    """Forward through layers first ... last (both included); each layer's cache in net.caches."""
    for layer in net.nodes[net.index(first):net.index(last) + 1]:
        x, net.caches[layer.name] = layer.forward(x)
    return x


def by_hand_backward(net, g, first, last, rule="gradient"):
    """Backward through layers first, first-1, ..., last (both included), from by_hand_forward's caches."""
    for layer in reversed(net.nodes[net.index(last):net.index(first) + 1]):
        (g,) = layer.backward(g, net.caches[layer.name], rule)
    return g


# ---- lookup ------------------------------------------------------------------------------
def test_names_and_lookup(net):
    assert net.names == NAMES and len(net) == 10 and net.output == "softmax"
    assert net["pool1"] is net.nodes[2] and net.is_chain()
    assert "fc" in net and "fc9" not in net
    assert net.inputs_of("conv1") == ("input",) and net.inputs_of("pool1") == ("relu1",)
    assert net.consumers("relu1") == ["pool1"] and net.consumers("input") == ["conv1"]
    assert net.is_ancestor("conv1", "softmax") and net.is_ancestor("input", "conv1")
    assert not net.is_ancestor("softmax", "conv1") and not net.is_ancestor("conv1", "conv1")


def test_unknown_layer_lists_the_names(net, x):
    for call in [lambda: net["conv3"], lambda: net.forward(x, until="conv3"),
                 lambda: net.backward(np.ones((2, 3)), until="conv3"), lambda: net.index("Conv1")]:
        with pytest.raises(LayerNotFoundError) as info:
            call()
        message = str(info.value)
        assert all(name in message for name in NAMES), message


def test_duplicate_and_default_names():
    with pytest.raises(InputError, match="'a'"):
        Network([ReLU(name="a"), ReLU(name="a")], (1, 4, 4))
    assert Network([ReLU(), ReLU()], (1, 4, 4)).names == ["relu_0", "relu_1"]
    with pytest.raises(InputError, match="'input'"):
        Network([ReLU(name="input")], (1, 4, 4))


def test_same_padding_is_tensorflows():
    # out = ceil(size / stride); total = (out - 1) * stride + kernel - size, the extra at the end
    assert MaxPool2D(3, stride=1, padding="same").pads(5, 5) == (1, 1, 1, 1)
    conv = Conv2D(3, 4, 3, stride=2, padding="same")
    assert conv.pads(224, 224) == (0, 1, 0, 1) and conv.pads(7, 8) == (1, 1, 0, 1)
    assert Conv2D(3, 4, 5, stride=2, padding="same").pads(56, 56) == (1, 2, 1, 2)
    assert Conv2D(3, 4, 4, padding="same").pads(6, 6) == (1, 2, 1, 2)  # stride 1: (k - 1) split
    assert conv.output_shape((3, 224, 223)) == (4, 112, 112)
    with pytest.raises(InputError, match="kernel_size must be a positive integer"):
        MaxPool2D("two")


def test_shapes_must_chain():
    with pytest.raises(InputError, match="'fc'"):
        Network([Flatten(name="flat"), Dense(10, 2, name="fc")], (1, 4, 4))


# ---- forward -------------------------------------------------------------------------------
def test_forward_whole_and_activations(net, x):
    y = net.forward(x)
    np.testing.assert_array_equal(y, by_hand_forward(make_net(), x, "conv1", "softmax"))
    assert list(net.activations) == NAMES
    shapes = net.output_shapes()
    for name, a in net.activations.items():
        assert a.shape == (2,) + shapes[name], name
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-6)  # softmax rows: float32 rounding


def test_forward_until_and_feeds(net, x):
    h = net.forward(x, until="pool1")
    np.testing.assert_array_equal(h, by_hand_forward(make_net(), x, "conv1", "pool1"))
    assert list(net.activations) == NAMES[:3]
    # from the middle: pool1's output given, the rest computed
    out = net.forward(None, until="out", feeds={"pool1": h})
    np.testing.assert_array_equal(out, by_hand_forward(make_net(), h, "conv2", "out"))
    np.testing.assert_array_equal(out, net.forward(x, until="out"))
    assert list(net.forward(None, until="out", feeds={"pool1": h}) is not None and net.activations) \
        == NAMES[2:9]  # the fed node's value, then what was computed
    # a single layer
    np.testing.assert_array_equal(net.forward(None, until="conv2", feeds={"pool1": h}),
                                  make_net()["conv2"].forward(h)[0])
    with pytest.raises(InputError, match="needs the network's input"):
        net.forward(None, until="pool1", feeds={"conv2": h})
    with pytest.raises(LayerNotFoundError):
        net.forward(None, feeds={"nope": h})


def test_bad_input(net, x):
    with pytest.raises(InputError, match=r"\(N, 3, H, W\)"):
        net.forward(x[:, :1])  # one channel
    with pytest.raises(InputError, match=r"\(N, 3, H, W\)"):
        net.forward(x[0])  # no batch axis
    with pytest.raises(InputError, match="8x8|8 input features|20 input features"):
        net.forward(np.zeros((1, 3, 12, 12), np.float32))  # the dense layer needs 8x8
    bad = x.copy()
    bad[1, 2, 3, 4] = np.nan
    with pytest.raises(InputError, match="NaN"):
        net.forward(bad)
    bad[1, 2, 3, 4] = np.inf
    with pytest.raises(InputError, match="infinite"):
        net.forward(bad)


# ---- backward ------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["gradient", "deconvnet", "guided"])
def test_backward_whole_and_partial(net, x, rng, rule):
    ref = make_net()
    ref.forward(x)
    net.forward(x)
    g = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(net.backward(g, rule=rule),
                                  by_hand_backward(ref, g, "softmax", "conv1", rule))
    # from 'out' (the logits) down to the output of 'pool1': layers out ... conv2
    got = net.backward(g, start="out", until="pool1", rule=rule)
    assert got.shape == net.activations["pool1"].shape
    np.testing.assert_array_equal(got, by_hand_backward(ref, g, "out", "conv2", rule))
    # and on from there to the input: the two halves compose to the whole
    rest = net.backward(got, start="pool1", rule=rule)
    np.testing.assert_array_equal(rest, net.backward(g, start="out", rule=rule))


def test_backward_span_errors(net, x, rng):
    net.forward(x)
    g = np.ones((2, 5, 2, 2), np.float32)
    for until in ["relu2", "fc"]:
        with pytest.raises(InputError, match="not before it"):
            net.backward(g, start="relu2", until=until)
    net.forward(None, until="relu2", feeds={"pool1": np.ones((2, 4, 4, 4), np.float32)})
    with pytest.raises(InputError, match="feeds"):  # the pass did not run conv1 ... pool1
        net.backward(g, start="relu2", until="conv1")
    assert net.backward(g, start="relu2", until="pool1").shape == (2, 4, 4, 4)
    with pytest.raises(InputError, match="gradient.*deconvnet.*guided"):
        net.backward(g, start="relu2", rule="backprop")


def test_backward_gradient_rule_is_the_gradient(net, x, rng):
    # d(sum g * out)/dx against central differences in float64 (cnnvis.gradcheck does the
    # same per layer; here one direction of the whole net, as the contract's smoke test)
    net.astype(np.float64)
    x64 = x.astype(np.float64)
    g = rng.standard_normal((2, 3))
    net.forward(x64, until="out")
    dx = net.backward(g, start="out")
    d = rng.standard_normal(x.shape)
    eps = 1e-6
    numeric = (np.sum(g * net.forward(x64 + eps * d, until="out")) -
               np.sum(g * net.forward(x64 - eps * d, until="out"))) / (2 * eps)
    assert np.sum(dx * d) == pytest.approx(numeric, rel=1e-7)  # O(eps^2) + rounding ~1e-9


# ---- parameters, modes, dtype --------------------------------------------------------------
def test_param_gradients(net, x, rng):
    g = rng.standard_normal((2, 3)).astype(np.float32)
    net.train(seed=3)
    net.forward(x)
    grads = net.param_gradients(g)
    assert list(grads) == ["out", "fc", "conv2", "conv1"]  # the reverse walk's order
    for name, pname, value in net.parameters():
        assert grads[name][pname].shape == value.shape, (name, pname)
    # dW of the last dense layer is g_out^T h by hand
    (ref_g,) = net["softmax"].backward(g, net.caches["softmax"])
    np.testing.assert_allclose(grads["out"]["weight"], ref_g.T @ net.activations["drop"], rtol=1e-6)
    # only some nodes: the same numbers, and nothing below the lowest one is visited
    some = net.param_gradients(g, nodes=["fc"])
    assert list(some) == ["fc"] and np.array_equal(some["fc"]["weight"], grads["fc"]["weight"])
    net.caches.pop("conv2")  # the walk must not need it: conv2 is below fc
    net.param_gradients(g, nodes=["fc"])
    assert net.param_gradients(np.ones((2, 6)), start="fc", nodes=["out"]) == {}  # out is not below fc
    assert net.param_count() == sum(v.size for _, _, v in net.parameters()) == 4 * 3 * 9 + 4 \
        + 5 * 4 * 9 + 5 + 20 * 6 + 6 + 6 * 3 + 3
    assert not net.eval().training and net.rng is None


def test_dropout_train_and_eval(net, x):
    a, b = net.forward(x, until="drop"), net.forward(x, until="drop")
    np.testing.assert_array_equal(a, b)  # inference: identity, deterministic
    np.testing.assert_array_equal(a, net.activations["fc"])
    net.train(seed=5)
    c, d = net.forward(x, until="drop"), net.forward(x, until="drop")
    fc = net.activations["fc"]
    assert not np.array_equal(c, d)  # a fresh mask each pass
    np.testing.assert_array_equal(c, net.train(seed=5).forward(x, until="drop"))  # the seed decides
    for out in (c, d):
        kept = out != 0
        np.testing.assert_allclose(out[kept], 2 * fc[kept], rtol=1e-6)  # scaled by 1 / (1 - p)
        assert 0 < kept.sum() < fc.astype(bool).sum()


def test_float64_mode(net, x):
    y32 = net.forward(x)
    net.astype(np.float64)
    assert net.dtype == np.float64
    assert all(v.dtype == np.float64 for _, _, v in net.parameters())
    y64 = net.forward(x)  # a float32 input is cast
    assert y64.dtype == np.float64
    assert all(a.dtype == np.float64 for a in net.activations.values())
    np.testing.assert_allclose(y32, y64, rtol=1e-5)  # float32 rounding through 5 layers
    assert net.backward(np.ones((2, 3))).dtype == np.float64


def test_predict_batches(net, x):
    # BLAS may block a GEMM differently for another batch size: float32 rounding only
    np.testing.assert_allclose(net.predict(x, batch_size=1), net.forward(x), rtol=1e-5)


# ---- summary -------------------------------------------------------------------------------
def test_summary_rows_and_fields(net):
    lines = net.summary().splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "params", "receptive", "field"]  # a chain: no inputs column
    rows = {line.split()[0]: line for line in lines[2:-1]}
    assert list(rows) == NAMES
    assert "(4, 8, 8)" in rows["conv1"] and "112" in rows["conv1"] and "3x3 / 1" in rows["conv1"]
    assert "(4, 4, 4)" in rows["pool1"] and "4x4 / 2" in rows["pool1"]
    assert "(5, 2, 2)" in rows["conv2"] and "8x8 / 2" in rows["conv2"] and "185" in rows["conv2"]
    assert "8x8 / 2" in rows["relu2"]
    for name in ["flatten", "fc", "drop", "out", "softmax"]:
        assert "whole image" in rows[name], name
    assert "tiny: 444 parameters" in lines[-1]


def test_summary_vgg16_conv_stack():
    net = cnnvis.vgg16(include_top=False)
    text = net.summary()
    rows = {line.split()[0]: line for line in text.splitlines()[2:-1]}
    assert "(512, 7, 7)" in rows["block5_pool"] and "212x212 / 32" in rows["block5_pool"]
    assert "1,792" in rows["block1_conv1"] and "2,359,808" in rows["block5_conv3"]
    assert "14,714,688 parameters" in text  # Keras's VGG16(include_top=False) count


# ---- preprocessing -------------------------------------------------------------------------
def test_caffe_mode_by_hand():
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 1] = (10, 20, 30)  # R, G, B
    x = Preprocessing.caffe()(image)
    assert x.shape == (1, 3, 2, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 0, 1], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)


def test_torchvision_mode_by_hand():
    image = np.full((1, 1, 3), (51, 102, 255), np.uint8)
    x = Preprocessing.torchvision()(image)
    expected = [(0.2 - 0.485) / 0.229, (0.4 - 0.456) / 0.224, (1.0 - 0.406) / 0.225]
    np.testing.assert_allclose(x[0, :, 0, 0], expected, rtol=1e-6)


def test_grayscale_mode_by_hand():
    image = np.full((2, 2, 3), (100, 50, 200), np.uint8)
    x = Preprocessing("L", 1 / 255)(image)
    assert x.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(x, (0.299 * 100 + 0.587 * 50 + 0.114 * 200) / 255, rtol=1e-6)
    g = Preprocessing("RGB")(np.full((2, 2), 7, np.uint8))  # a gray image for an RGB net
    assert g.shape == (1, 3, 2, 2) and np.all(g == 7)


@pytest.mark.parametrize("pre", [Preprocessing.caffe(), Preprocessing.torchvision(),
                                 Preprocessing("L", 1 / 255), Preprocessing("RGB", 2.0, [1, 2, 3], [4, 5, 6])])
def test_preprocess_deprocess_round_trip(rng, pre):
    net = Network([ReLU(name="r")], (pre.channels, 5, 4), preprocessing=pre)
    images = rng.integers(0, 256, (3, 5, 4, pre.channels)).astype(np.uint8)
    back = net.deprocess(net.preprocess(images))
    assert back.shape == images.shape
    np.testing.assert_allclose(back, images, atol=1e-3)  # float32 input: ~255 * 6e-8 * a few


def test_preprocess_errors():
    net = make_net()
    with pytest.raises(InputError, match="takes 8x8 images"):
        net.preprocess(np.zeros((12, 8, 3)))  # fc needs 20 features: 9x8 would do (2x2 maps)
    assert net.preprocess(np.zeros((9, 8, 3))).shape == (1, 3, 9, 8)
    with pytest.raises(InputError, match="NaN"):
        net.preprocess(np.full((8, 8, 3), np.nan))
    with pytest.raises(InputError, match="channel_order"):
        Preprocessing("HSV")
    with pytest.raises(InputError, match="positive std"):
        Preprocessing("RGB", 1, [0, 0, 0], [1, 0, 1])


def test_backward_needs_a_forward_and_the_right_shape(net, x):
    with pytest.raises(InputError, match="forward"):
        net.backward(np.ones((2, 3), np.float32))  # nothing cached yet
    net.forward(x, until="pool1")
    with pytest.raises(InputError, match="forward"):
        net.backward(np.ones((2, 3), np.float32))  # 'softmax' was not reached
    net.forward(x)
    # the shape of another layer's output: it used to come back silently wrong (a ReLU
    # read past the end of its cached output)
    with pytest.raises(InputError, match=r"\(2, 4, 8, 8\).*\(2, 1, 8, 8\)|\(2, 1, 8, 8\).*\(2, 4, 8, 8\)"):
        net.backward(np.ones((2, 1, 8, 8), np.float32), start="relu1")
    with pytest.raises(InputError, match="batch|shape"):
        net.backward(np.ones((3, 3), np.float32))


def test_layer_repr():
    assert repr(ReLU(name="r")) == "ReLU(name='r')"
    assert repr(Dropout(0.25)) == "Dropout(p=0.25, name=None)"
    assert repr(Dense(3, 2, name="fc")) == "Dense(in_features=3, out_features=2, bias=True, name='fc')"


def test_class_name_falls_back_to_the_index():
    from cnnvis.models import small_vgg
    assert small_vgg(classes=3, class_names=["a", "b", "c"]).class_name(1) == "b"
    assert small_vgg(classes=3).class_name(2) == "class 2"

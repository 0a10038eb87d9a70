"""The Network contract on graphs: branches, merges, topological order (DESIGN.md).

A small residual network and a small concatenating one are checked against running their
layers by hand, against PyTorch (the mirror walks the same graph; float64, 1e-12: the same
sums in another order), and by central differences (cnnvis.gradcheck, 1e-6 as for layers).
Receptive fields at a merge are checked by brute force (as tests/test_receptive.py does).
"""
import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.gradcheck import gradcheck_network
from cnnvis.graph import Network
from cnnvis.layers import (Add, BatchNorm2d, Concat, Conv2D, Dense, GlobalAveragePool2D, MaxPool2D,
                           Multiply, ReLU, Sigmoid, Softmax)
from cnnvis.loading import load
from cnnvis.receptive import projective_field, receptive_fields
from cnnvis.verify.torch_mirror import torch_mirror
from cnnvis.weights import save


def residual_net(seed=0):
    """conv -> relu -> [conv -> bn -> relu -> conv] + (the relu: identity) -> relu -> pool -> fc."""
    rng = np.random.default_rng(seed)
    layers = [Conv2D(3, 4, 3, padding=1, name="stem", rng=rng), ReLU(name="stem_relu"),
              Conv2D(4, 4, 3, padding=1, name="a", rng=rng), BatchNorm2d(4, name="a_bn"),
              ReLU(name="a_relu"), Conv2D(4, 4, 3, padding=1, name="b", rng=rng),
              Add(name="add", inputs=("b", "stem_relu")), ReLU(name="out_relu"),
              GlobalAveragePool2D(name="gap"), Dense(4, 3, name="fc", rng=rng), Softmax(name="softmax")]
    bn = layers[3]
    bn.params = {"weight": rng.uniform(0.5, 1.5, 4), "bias": rng.uniform(-0.5, 0.5, 4)}
    bn.buffers = {"running_mean": rng.uniform(-0.5, 0.5, 4), "running_var": rng.uniform(0.5, 2, 4)}
    bn.astype(np.float32)
    return Network(layers, (3, 8, 8), name="residual")


def concat_net(seed=1):
    """Two branches of different kernels concatenated (an Inception module), a squeeze-and-
    excitation gate, then a dense head."""
    rng = np.random.default_rng(seed)
    return Network([
        Conv2D(3, 4, 1, name="b1", rng=rng), Conv2D(3, 2, 5, padding=2, name="b5", inputs="input", rng=rng),
        MaxPool2D(3, 1, 1, name="bp", inputs="input"), Concat(name="cat", inputs=("b1", "b5", "bp")),
        ReLU(name="cat_relu"), GlobalAveragePool2D(keepdims=True, name="squeeze"),
        Conv2D(9, 9, 1, name="excite", rng=rng), Sigmoid(name="gate"),
        Multiply(name="scaled", inputs=("cat_relu", "gate")), MaxPool2D(2, name="pool"),
        GlobalAveragePool2D(name="gap"), Dense(9, 2, name="fc", rng=rng)], (3, 6, 6), name="concat")


def test_order_inputs_and_ancestry():
    net = residual_net()
    assert net.inputs_of("add") == ("b", "stem_relu") and not net.is_chain()
    assert net.consumers("stem_relu") == ["a", "add"]
    assert net.is_ancestor("stem", "add") and net.is_ancestor("a_relu", "add")
    assert not net.is_ancestor("a_relu", "stem_relu")
    # the same nodes (inputs named) listed out of order come back in an order where inputs come first
    shuffled = Network([net.nodes[k] for k in (0, 1, 6, 2, 3, 4, 5, 7, 8, 9, 10)], (3, 8, 8))
    assert shuffled.names.index("add") > shuffled.names.index("b")
    x = np.random.default_rng(2).standard_normal((2, 3, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(shuffled.forward(x), residual_net().forward(x))


def test_malformed_graphs_are_input_errors():
    with pytest.raises(InputError, match="'nope'"):
        Network([ReLU(name="r", inputs="nope")], (1, 4, 4))
    with pytest.raises(InputError, match="cycle"):
        Network([ReLU(name="a", inputs="b"), ReLU(name="b", inputs="a")], (1, 4, 4))
    with pytest.raises(InputError, match="takes 2 input"):
        Network([Multiply(name="m", inputs="input")], (1, 4, 4))
    with pytest.raises(InputError, match="adds inputs of one shape"):
        Network([Conv2D(1, 2, 1, name="c"), Add(name="add", inputs=("c", "input"))], (1, 4, 4))


def by_hand(net, x):
    """Each layer's forward on the outputs of its inputs, and the residual sum written out."""
    v = {"input": x}
    for node in net.nodes:
        v[node.name] = node.forward(*(v[i] for i in node.inputs))[0]
    return v


def test_forward_and_feeds_on_a_graph():
    net = residual_net()
    x = np.random.default_rng(3).standard_normal((2, 3, 8, 8)).astype(np.float32)
    v = by_hand(net, x)
    np.testing.assert_array_equal(net.forward(x), v["softmax"])
    np.testing.assert_array_equal(v["add"], v["b"] + v["stem_relu"])  # the residual sum
    # until= runs only what it needs: the branch 'a' ... 'b' is not needed for 'stem_relu'
    net.forward(x, until="stem_relu")
    assert set(net.activations) == {"stem", "stem_relu"}
    # feeds: both inputs of 'add' given, nothing before it runs
    out = net.forward(None, until="gap", feeds={"b": v["b"], "stem_relu": v["stem_relu"]})
    np.testing.assert_array_equal(out, v["gap"])
    assert "a" not in net.activations
    with pytest.raises(InputError, match="needs the network's input"):
        net.forward(None, until="add", feeds={"b": v["b"]})  # stem_relu's branch needs the input


@pytest.mark.parametrize("rule", ["gradient", "deconvnet", "guided"])
def test_backward_sums_the_branches(rule):
    net = residual_net()
    x = np.random.default_rng(4).standard_normal((2, 3, 8, 8)).astype(np.float32)
    net.forward(x, until="fc")
    g = np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32)
    at_relu = net.backward(g, start="fc", until="stem_relu", rule=rule)
    # by hand: the gradient arriving at 'add' goes to both branches, and the two are summed
    at_add = net.backward(g, start="fc", until="add", rule=rule)
    through_branch = net.backward(at_add, start="b", until="stem_relu", rule=rule)
    np.testing.assert_allclose(at_relu, through_branch + at_add, rtol=1e-6, atol=1e-7)
    assert net.backward(g, start="fc", rule=rule).shape == x.shape
    with pytest.raises(InputError, match="not before it"):
        net.backward(at_add, start="add", until="fc", rule=rule)


@pytest.mark.parametrize("make", [residual_net, concat_net])
def test_graph_agrees_with_pytorch_float64(torch, make):
    net = make().astype(np.float64)
    x = np.random.default_rng(6).standard_normal((2,) + net.input_shape)
    logits = net.output if net.output == "fc" else "fc"
    ours = net.forward(x, until=logits)
    g = np.random.default_rng(7).standard_normal(ours.shape)
    dx = net.backward(g, start=logits)
    mirror = torch_mirror(net)
    xt = torch.from_numpy(x).requires_grad_(True)
    theirs = mirror(xt, logits)
    theirs.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [residual_net, concat_net])
def test_graph_gradients_by_central_differences(make):
    result = gradcheck_network(make(), max_entries=40, progress=False)
    assert result.passed(1e-6), result.table(entries=3)
    names = [t.name for t in result.tensors]
    assert "input" in names and any(n.endswith(".weight") for n in names)


def test_param_gradients_visit_only_what_they_need():
    net = residual_net()
    x = np.random.default_rng(8).standard_normal((2, 3, 8, 8)).astype(np.float32)
    net.forward(x, until="fc")
    g = np.ones((2, 3), np.float32)
    grads = net.param_gradients(g, start="fc", nodes=["a", "fc"])
    assert set(grads) == {"a", "fc"}
    # the same as asking for all of them
    every = net.param_gradients(g, start="fc")
    assert set(every) == {"stem", "a", "a_bn", "b", "fc"}
    np.testing.assert_array_equal(grads["a"]["weight"], every["a"]["weight"])


def brute_force_changed(net, name, box):
    """Which units of ``name`` change when the pixels of a box change, by brute force: a random
    float64 image and the same with the box raised by 1; a unit changed where the two outputs
    differ by more than rounding (1e-9: Winograd's tiles mix neighbours at ~1e-16). Unlike
    the zero-image probe of tests/test_receptive.py this also sees a multiplicative gate."""
    net = __import__("copy").deepcopy(net).astype(np.float64)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((1,) + net.input_shape)
    moved = x.copy()
    r0, r1, c0, c1 = box
    moved[..., r0:r1, c0:c1] += 1
    a, b = net.forward(x, until=name)[0], net.forward(moved, until=name)[0]
    rows, cols = np.nonzero((np.abs(a - b) > 1e-9).any(axis=0))
    return (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) if len(rows) else (0, 0, 0, 0)


def test_fields_at_a_merge_cover_every_branch():
    # the residual Add sees what its widest input sees: the branch's two more 3x3 convs
    fields = receptive_fields(residual_net())
    assert fields["stem"].size == (3, 3) and fields["b"].size == (7, 7)
    assert fields["add"].size == (7, 7) and fields["add"].start == (-3, -3)
    assert "gap" not in fields  # global: every unit sees the whole image
    # the concatenation: the 5x5 branch is the widest, 1x1 and the 3x3 pool inside it
    assert receptive_fields(concat_net())["cat"].size == (5, 5)


@pytest.mark.parametrize("make, name", [(residual_net, "add"), (residual_net, "out_relu"),
                                        (concat_net, "cat"), (concat_net, "pool")])
def test_projective_fields_on_graphs_by_brute_force(make, name):
    net = make()
    h, w = net.input_shape[1:]
    for box in [(0, 1, 0, 1), (2, 4, 3, 4), (h - 1, h, w - 2, w), (1, h - 1, 0, w)]:
        assert projective_field(net, name, box) == brute_force_changed(net, name, box), box


def test_summary_shows_the_inputs_of_a_graph():
    lines = residual_net().summary().splitlines()
    assert lines[0].split()[:3] == ["layer", "type", "inputs"]
    add = next(line for line in lines if line.startswith("add "))
    assert "b, stem_relu" in add and "(4, 8, 8)" in add and "7x7 / 1" in add


def test_native_file_keeps_the_graph_and_the_statistics(tmp_path):
    net = residual_net()
    save(net, tmp_path / "residual.h5")
    back = load(tmp_path / "residual.h5")
    assert [(n.name, n.inputs) for n in back.nodes] == [(n.name, n.inputs) for n in net.nodes]
    np.testing.assert_array_equal(back["a_bn"].buffers["running_var"], net["a_bn"].buffers["running_var"])
    x = np.random.default_rng(9).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(back.forward(x), net.forward(x))

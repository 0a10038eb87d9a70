"""ONNX import (cnnvis/weights/onnx_file.py): models the suite exports from PyTorch, and small
graphs built with onnx.helper for the geometry and the refusals.

Exports use torch.onnx.export(..., dynamo=False) (the default exporter needs onnxscript), in
eval mode: with constant folding the exporter folds each BatchNorm into its Conv, with
do_constant_folding=False it keeps the BatchNormalization nodes; both are tested.
Tolerance, float32, rel = max|ours - torch| / max|torch| (conftest.rel_err): 1e-5 for the
logits and the input gradient. Our convolutions sum in another order than PyTorch's (and
Winograd transforms the operands); measured 2e-7 to 8e-7 (MobileNetV2's input gradient the
largest; see --junitxml's properties).
"""
import subprocess
import sys
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import cnnvis
import torch_models
from conftest import rel_err
from cnnvis.cli import main
from cnnvis.errors import BackendError, InputError, WeightsError
from cnnvis.layers import BatchNorm2d, Conv2D, Dense, ReLU, ReLU6
from cnnvis.loading import detect_format, load
from cnnvis.weights.onnx_file import OPS

TOL = 1e-5  # float32, relative; see the module docstring


def custom_model(torch):
    """Concat of a dilated grouped conv and a 1x1 conv, a ceil-mode average pool that does not
    count its padding, sigmoid gating (Mul), Clip(0, 6), a flattening Reshape, MatMul + Add,
    Gemm and Softmax."""
    nn, functional = torch.nn, torch.nn.functional

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, 2, 1)
            self.bn = nn.BatchNorm2d(8)
            self.act = nn.ReLU6()
            self.left = nn.Conv2d(8, 8, 3, 1, 2, dilation=2, groups=2, bias=False)
            self.right = nn.Conv2d(8, 4, 1)
            self.pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
            self.gate = nn.Conv2d(12, 12, 1)
            self.down = nn.MaxPool2d(2)
            self.w = nn.Parameter(torch.randn(12 * 4 * 4, 16) * 0.1)
            self.b = nn.Parameter(torch.randn(16))
            self.drop = nn.Dropout(0.3)
            self.fc = nn.Linear(16, 5)

        def forward(self, x):
            x = self.act(self.bn(self.stem(x)))
            x = self.pool(torch.cat([self.left(x), self.right(x)], 1))
            x = x * torch.sigmoid(self.gate(functional.avg_pool2d(x, x.shape[2:])))
            x = self.down(x)
            x = torch.relu(x.reshape(x.shape[0], -1) @ self.w + self.b)
            return torch.softmax(self.fc(self.drop(x)), 1)

    return Custom()


MODELS = {"resnet18": (lambda torch: torch_models.resnet("resnet18", classes=10), 64),
          "mobilenet_v2": (lambda torch: torch_models.mobilenet_v2(classes=10), 64),
          "custom": (custom_model, 32)}


@pytest.fixture(scope="module")
def exported(torch, tmp_path_factory):
    """exported(name, fold) -> (path of the .onnx file, the torch model in eval mode, its input size)."""
    done = {}

    def export(name, fold):
        if (name, fold) not in done:
            make, size = MODELS[name]
            torch.manual_seed(0)
            model = torch_models.randomize_batch_norms(make(torch))
            path = tmp_path_factory.mktemp("onnx") / f"{name}.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
                torch.onnx.export(model, (torch.randn(1, 3, size, size),), str(path), dynamo=False,
                                  do_constant_folding=fold)
            done[name, fold] = (path, model, size)
        return done[name, fold]
    return export


@pytest.fixture(scope="module")
def reference(torch, exported):
    """reference(name) -> (x, g, PyTorch's output at x, its input gradient for seed g), once per
    model (folded or not, the exports compute the same function)."""
    done = {}

    def run(name):
        if name not in done:
            _, model, size = exported(name, True)
            rng = np.random.default_rng(0)
            x = rng.standard_normal((2, 3, size, size)).astype(np.float32)  # exported with one image
            xt = torch.tensor(x, requires_grad=True)
            y = model.requires_grad_(False)(xt)
            g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
            y.backward(torch.tensor(g))
            done[name] = (x, g, y.detach().numpy(), xt.grad.numpy())
        return done[name]
    return run


@pytest.mark.parametrize("fold", [True, False], ids=["folded", "batchnorm"])
@pytest.mark.parametrize("name", list(MODELS))
def test_forward_and_input_gradient_equal_pytorchs(record_property, exported, reference, name, fold):
    path, _, size = exported(name, fold)
    net = load(path)
    assert detect_format(path) == "onnx" and net.input_shape == (3, size, size)
    assert any(isinstance(node, BatchNorm2d) for node in net.nodes) == (not fold)
    x, g, ty, tdx = reference(name)
    y = net.forward(x)
    dx = net.backward(g)
    for what, ours, theirs in (("forward", y, ty), ("input grad", dx, tdx)):
        err = rel_err(ours, theirs)
        record_property(f"{what} rel", err)
        print(f"{name} {'folded' if fold else 'batchnorm'} {what}: rel {err:.2e}")
        assert ours.shape == theirs.shape and err <= TOL, f"{what}: rel {err:.2e}"


def test_names_are_pytorchs_module_names(torch, exported):
    path, model, _ = exported("resnet18", False)
    net = load(path)
    modules = dict(model.named_modules())
    assert [n.name for n in net.nodes[:4]] == ["conv1", "bn1", "relu", "maxpool"]
    assert {"layer1.0.Add", "layer4.1.relus.2", "avgpool", "Flatten", "fc"} <= set(net.names)
    for node in net.nodes:
        if node.params:  # every layer with weights: the module of that name, its weights
            assert type(node) in (Conv2D, BatchNorm2d, Dense)
            state = modules[node.name].state_dict()
            assert all(np.array_equal(v, state[k].numpy()) for k, v in node.arrays().items()), node.name
    assert net["layer2.0.downsample.0"].stride == (2, 2)


def test_custom_layers_and_names(torch, exported):
    net = load(exported("custom", True)[0])
    kinds = {n.name: type(n).__name__ for n in net.nodes}
    assert kinds == {"stem": "Conv2D", "act": "ReLU6", "left": "Conv2D", "right": "Conv2D",
                     "Concat": "Concat", "pool": "AvgPool2D", "AveragePool": "AvgPool2D",
                     "gate": "Conv2D", "Sigmoid": "Sigmoid", "Mul": "Multiply", "down": "MaxPool2D",
                     "Reshape": "Flatten", "MatMul": "Dense", "Relu": "ReLU", "fc": "Dense",
                     "Softmax": "Softmax"}
    assert net["pool"].config() == {"kernel_size": [3, 3], "stride": [2, 2], "padding": [1, 1, 1, 1],
                                    "count_include_pad": False, "ceil_mode": True}
    assert (net["left"].groups, net["left"].dilation, "bias" in net["left"].params) == (2, (2, 2), False)
    assert "bias" in net["MatMul"].params  # MatMul + Add: one Dense
    assert net.inputs_of("Mul") == ("pool", "Sigmoid")


def test_round_trip_through_cnnvis_format(torch, exported, tmp_path):
    net = load(exported("custom", False)[0])
    again = load(cnnvis.weights.save(net, tmp_path / "custom.h5"))
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    assert again.names == net.names
    assert np.array_equal(again.forward(x), net.forward(x))


def test_cli_info_reads_onnx(torch, exported, capsys):
    assert main(["weights", "info", str(exported("custom", True)[0])]) == 0
    out = capsys.readouterr().out
    assert "format: onnx" in out and "MatMul" in out


# ---- small graphs built with onnx.helper -------------------------------------------------------
def model_file(tmp_path, nodes, shape=(1, 3, 8, 8), out_shape=None, initializers=(), opset=17):
    """An .onnx file: input 'x' (float, shape), output 'y', the nodes and initializers {name: array}."""
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(initializers).items()])
    path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), path)
    return path


def weights(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


PADDINGS = [  # Conv attributes, the pads (top, bottom, left, right) PyTorch applies first
    ({"pads": [1, 0, 2, 1]}, (1, 2, 0, 1)),
    ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, (0, 1, 0, 1)),
    ({"auto_pad": "SAME_LOWER", "strides": [2, 2]}, (1, 0, 1, 0)),
    ({"auto_pad": "VALID", "strides": [1, 2]}, (0, 0, 0, 0)),
    ({"auto_pad": "SAME_UPPER", "dilations": [2, 1]}, (2, 2, 1, 1)),
]


@pytest.mark.parametrize("attrs, pads", PADDINGS)
def test_conv_padding_as_pytorch_pads_first(torch, tmp_path, attrs, pads):
    w, b = weights(4, 3, 3, 3), weights(4, seed=1)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", kernel_shape=[3, 3], **attrs)
    net = load(model_file(tmp_path, [node], initializers={"w": w, "b": b}))
    x = weights(2, 3, 8, 8, seed=2)
    top, bottom, left, right = pads
    padded = torch.nn.functional.pad(torch.tensor(x), (left, right, top, bottom))
    expected = torch.nn.functional.conv2d(padded, torch.tensor(w), torch.tensor(b), attrs.get("strides", 1),
                                          dilation=attrs.get("dilations", 1)).numpy()
    assert rel_err(net.forward(x), expected) <= TOL


def test_pools_with_asymmetric_padding(torch, tmp_path):
    nodes = [helper.make_node("MaxPool", ["x"], ["m"], name="max", kernel_shape=[3, 3], strides=[2, 2],
                              pads=[0, 1, 1, 0]),
             helper.make_node("AveragePool", ["m"], ["y"], name="avg", kernel_shape=[2, 2],
                              auto_pad="SAME_UPPER", count_include_pad=1)]
    net = load(model_file(tmp_path, nodes))
    x = torch.tensor(weights(2, 3, 8, 8))
    functional = torch.nn.functional
    m = functional.max_pool2d(functional.pad(x, (1, 0, 0, 1), value=-np.inf), 3, 2)
    expected = functional.avg_pool2d(functional.pad(m, (0, 1, 0, 1)), 2, 1)  # ONNX's stride: 1
    assert rel_err(net.forward(x.numpy()), expected.numpy()) <= TOL
    assert (net["max"].padding, net["avg"].padding) == ((0, 1, 1, 0), "same")


def test_old_opset_clip_identity_and_gemm(tmp_path):
    # Clip's bounds as attributes (opset 6), a weight through an Identity, Gemm with transB=0
    # and a (1, out) bias, Dropout and Softmax
    w = weights(3 * 4 * 4, 5)
    nodes = [helper.make_node("Clip", ["x"], ["c"], name="clip", min=0.0, max=6.0),
             helper.make_node("Clip", ["c"], ["r"], name="relu", min=0.0),
             helper.make_node("Flatten", ["r"], ["f"], name="flat", axis=1),
             helper.make_node("Identity", ["w0"], ["w"], name="shared"),
             helper.make_node("Gemm", ["f", "w", "b"], ["z"], name="fc"),
             helper.make_node("Dropout", ["z"], ["d"], name="drop", ratio=0.5),
             helper.make_node("Softmax", ["d"], ["y"], name="probs", axis=1)]
    net = load(model_file(tmp_path, nodes, (1, 3, 4, 4), initializers={"w0": w, "b": weights(1, 5)}, opset=9))
    assert [type(n) for n in net.nodes][:2] == [ReLU6, ReLU]
    assert net.names == ["clip", "relu", "flat", "fc", "drop", "probs"]
    x = 4 * weights(2, 3, 4, 4, seed=3)
    z = np.clip(x, 0, 6).reshape(2, -1) @ w + weights(1, 5)
    expected = np.exp(z - z.max(1, keepdims=True))
    assert rel_err(net.forward(x), expected / expected.sum(1, keepdims=True)) <= TOL


REFUSED = [  # (nodes, initializers, what the error says)
    ([helper.make_node("Relu", ["x"], ["r"], name="act"),
      helper.make_node("Resize", ["r", "", "s"], ["y"], name="up")],
     {"s": np.array([1, 1, 2, 2], np.float32)}, "'up' is a Resize, which cnnvis does not translate"),
    ([helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clamp")],
     {"lo": np.float32(-1), "hi": np.float32(1)}, r"'clamp' \(Clip\): clips to \[-1.0, 1.0\]"),
    ([helper.make_node("Add", ["x", "c"], ["y"], name="shift")],
     {"c": np.ones((1, 3, 1, 1), np.float32)}, r"'shift' \(Add\): adds a constant"),
    ([helper.make_node("GlobalAveragePool", ["x"], ["p"], name="gap"),
      helper.make_node("Add", ["x", "p"], ["y"], name="broadcast")],
     {}, r"adds shapes \(1, 3, 8, 8\) and \(1, 3, 1, 1\)"),
    ([helper.make_node("Mul", ["x", "c"], ["y"], name="scale")],
     {"c": np.float32(2)}, "multiplies by a constant"),
    ([helper.make_node("Reshape", ["x", "s"], ["y"], name="fold")],
     {"s": np.array([1, 3, 64], np.int64)}, r"reshapes \(1, 3, 8, 8\) to \[1, 3, 64\]"),
    ([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], ceil_mode=1)],
     {}, "ceil_mode=1 is not supported"),
    ([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], pads=[2, 2, 2, 2])],
     {}, "'pool' \\(MaxPool\\): cnnvis's MaxPool2D cannot express it: max-pool padding"),
    ([helper.make_node("Flatten", ["x"], ["f"], name="flat"),
      helper.make_node("Gemm", ["f", "w"], ["y"], name="fc", alpha=2.0, transB=1)],
     {"w": np.ones((2, 192), np.float32)}, "alpha=2.0"),
    ([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
     {"w": np.ones((2, 3, 3, 3), np.int8)}, "its weight is int8; quantized models are not supported"),
]


@pytest.mark.parametrize("nodes, initializers, message", REFUSED)
def test_what_cannot_be_translated_is_refused_naming_the_node(tmp_path, nodes, initializers, message):
    path = model_file(tmp_path, nodes, initializers=initializers)
    with pytest.raises(WeightsError, match=message):
        load(path)


def test_unsupported_op_error_lists_the_supported_ones(tmp_path):
    nodes = [helper.make_node("LSTM", ["x", "w", "r"], ["y"], name="rnn", hidden_size=2)]
    with pytest.raises(WeightsError) as info:
        load(model_file(tmp_path, nodes, initializers={"w": weights(1, 8, 8), "r": weights(1, 8, 2)}))
    assert "'rnn' is a LSTM" in str(info.value)
    assert all(op in str(info.value) for op in OPS)


def test_batchnorm_in_training_mode_is_refused(tmp_path):
    stats = {k: np.ones(3, np.float32) for k in ("s", "b", "m", "v")}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], name="bn",
                            training_mode=1)
    with pytest.raises(WeightsError, match="'bn' .*export the model after model.eval"):
        load(model_file(tmp_path, [node], initializers=stats, opset=15))


def test_files_that_are_not_onnx(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        load(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\x07not a protobuf \xff\xff" * 20)
    with pytest.raises(WeightsError, match="junk.onnx is not a readable ONNX model"):
        load(tmp_path / "junk.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(WeightsError, match="holds no ONNX graph"):
        load(tmp_path / "empty.onnx")


def test_detected_by_content_and_net_refused(tmp_path):
    path = model_file(tmp_path, [helper.make_node("Relu", ["x"], ["y"], name="act")])
    renamed = tmp_path / "model.bin"
    renamed.write_bytes(path.read_bytes())
    assert detect_format(renamed) == "onnx"
    with pytest.raises(InputError, match="onnx file stores its own architecture"):
        load(path, net="resnet18")


def test_fixed_input_size_and_one_output_needed(tmp_path):
    relu = helper.make_node("Relu", ["x"], ["y"], name="act")
    with pytest.raises(WeightsError, match="fixed C, H, W"):
        load(model_file(tmp_path, [relu], shape=("N", 3, "H", "W")))
    assert load(model_file(tmp_path, [relu], shape=("N", 3, 8, 8))).input_shape == (3, 8, 8)


def test_missing_onnx_package_is_a_clear_error(tmp_path, monkeypatch):
    path = model_file(tmp_path, [helper.make_node("Relu", ["x"], ["y"], name="act")])
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    with pytest.raises(BackendError, match="pip install onnx"):
        load(path)


def test_cnnvis_imports_without_onnx():
    code = ("import sys; sys.modules['onnx'] = None; import cnnvis, cnnvis.loading; "
            "import cnnvis.weights.onnx_file")
    subprocess.run([sys.executable, "-c", code], check=True)

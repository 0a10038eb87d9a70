"""Keras 2 (legacy) VGG16 files: synthetic files in the published layout, against PyTorch.

The reference is a plain nn.Sequential VGG16 built here, its weights converted from the
Keras arrays by this test's own code (HWIO -> OIHW with permute, fc1's rows reordered
with reshape(7, 7, 512, 4096).transpose(2, 0, 1, 3)). Errors are
rel = max|ours - torch| / max|torch| (conftest.rel_err).

Tolerance 1e-4 relative in float32: both sides sum the same products in different orders
(our GEMM/Winograd vs PyTorch's kernels), 13 convs and 3 dense layers deep; rounding
alone gives ~1e-6 (measured values are in the assertion messages). Forgetting the fc1
permutation gives an error of order 1 (test_skipping_the_fc1_permutation_is_caught).
"""
import numpy as np
import pytest

from conftest import rel_err
from keras_files import VGG16_CONVS, vgg16_keras_weights, write_keras2
from cnnvis.errors import WeightsError
from cnnvis.images import load_image
from cnnvis.models import small_vgg
from cnnvis.loading import detect_format, load

TOL = 1e-4  # float32, see the module docstring
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])


def caffe_input(names=("cat", "dog")):
    """Keras's caffe preprocessing, written here: RGB -> BGR, minus the ImageNet mean, NCHW."""
    images = np.stack([load_image(n).astype(np.float64) for n in names])
    return (images[..., ::-1] - CAFFE_MEAN_BGR).transpose(0, 3, 1, 2).astype(np.float32)


def torch_vgg16(torch, weights, top=True):
    """(features, head) nn.Sequentials with the Keras weights, converted independently."""
    nn = torch.nn
    layers, c = [], 3
    for b, k, width in VGG16_CONVS:
        conv = torch.nn.utils.skip_init(nn.Conv2d, c, width, 3, padding=1)
        kernel, bias = weights[f"block{b}_conv{k}"]
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(kernel).permute(3, 2, 0, 1))  # HWIO -> OIHW
            conv.bias.copy_(torch.from_numpy(bias))
        layers += [conv, nn.ReLU()]
        if k == (2 if b <= 2 else 3):
            layers.append(nn.MaxPool2d(2))
        c = width
    features = nn.Sequential(*layers).eval()
    if not top:
        return features, None
    head = []
    for name in ("fc1", "fc2", "predictions"):
        kernel, bias = weights[name]
        if name == "fc1":  # rows (h, w, c) -> (c, h, w), the order of torch.flatten on NCHW
            kernel = kernel.reshape(7, 7, 512, -1).transpose(2, 0, 1, 3).reshape(25088, -1)
        lin = torch.nn.utils.skip_init(nn.Linear, *kernel.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))
            lin.bias.copy_(torch.from_numpy(bias))
        head += [lin, nn.ReLU()]
    return features, nn.Sequential(nn.Flatten(), *head[:-1]).eval()


@pytest.fixture(scope="module")
def keras_top(tmp_path_factory):
    """The published-layout top file (138M random weights), written once for the module."""
    weights, names = vgg16_keras_weights(np.random.default_rng(0), top=True)
    path = tmp_path_factory.mktemp("keras") / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    write_keras2(path, weights, names)
    return path, weights, names


@pytest.fixture(scope="module")
def loaded_top(keras_top):
    return load(keras_top[0])


@pytest.fixture(scope="module")
def torch_top(torch, keras_top):
    return torch_vgg16(torch, keras_top[1])


@pytest.fixture(scope="module")
def ours_top(loaded_top):
    """Our activations on the cat and dog photos (preprocessed by the network), run once."""
    net = loaded_top
    net.forward(net.preprocess(np.stack([load_image("cat"), load_image("dog")])), until="predictions")
    return {name: np.array(net.activations[name]) for name in ("block5_pool", "fc1", "predictions")}


def test_top_file_logits_match_pytorch(torch, keras_top, loaded_top, torch_top, ours_top,
                                       record_property):
    net, (features, head) = loaded_top, torch_top
    assert detect_format(str(keras_top[0])) == "keras"
    assert net.names[-2:] == ["predictions", "softmax"] and net.input_shape == (3, 224, 224)
    with torch.no_grad():
        pool5 = features(torch.from_numpy(caffe_input()))
        ref = head(pool5).numpy()
    err = rel_err(ours_top["predictions"], ref)
    record_property("logits_rel_err", err)
    assert err <= TOL, f"logits rel err {err:.2e}"
    err_pool = rel_err(ours_top["block5_pool"], pool5.numpy())
    record_property("block5_pool_rel_err", err_pool)
    assert err_pool <= TOL, f"block5_pool rel err {err_pool:.2e}"
    assert np.std(ref) > 0.1  # the logits are not all alike, so the comparison means something


def test_top_file_has_keras_preprocessing_and_imagenet_names(loaded_top):
    net = loaded_top
    pre = net.preprocessing.to_dict()
    assert pre["channel_order"] == "BGR" and pre["scale"] == 1.0
    np.testing.assert_allclose(pre["mean"], CAFFE_MEAN_BGR)
    assert len(net.class_names) == 1000
    assert net.class_names[0] == "tench" and net.class_names[281] == "tabby"
    assert net.class_names[999] == "toilet tissue"


def test_fc1_matches_keras_semantics(keras_top, ours_top, record_property):
    """Keras computes fc1 as (NHWC flatten of block5_pool) @ kernel + bias: check ours does."""
    kernel, bias = keras_top[1]["fc1"]
    pool5 = ours_top["block5_pool"]
    keras_fc1 = pool5.transpose(0, 2, 3, 1).reshape(len(pool5), -1) @ kernel + bias
    err = rel_err(ours_top["fc1"], keras_fc1)
    record_property("fc1_vs_keras_semantics_rel_err", err)
    assert err <= TOL, f"fc1 vs Keras semantics rel err {err:.2e}"


def test_notop_file_matches_pytorch(tmp_path, torch, keras_top, torch_top, record_property):
    weights, names = keras_top[1], keras_top[2]
    notop = {k: v for k, v in weights.items() if k.startswith("block")}
    path = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras2(path, notop, names[:names.index("block5_pool") + 1])
    net = load(path)
    assert "fc1" not in net and net.names[-1] == "block5_pool" and net.class_names is None
    x = caffe_input(("cat",))[:, :, 64:160, 64:160]  # the conv stack takes any size: 96x96 is faster
    ours = net.forward(x)
    with torch.no_grad():
        ref = torch_top[0](torch.from_numpy(np.ascontiguousarray(x))).numpy()
    err = rel_err(ours, ref)
    record_property("notop_block5_pool_rel_err", err)
    assert err <= TOL, f"notop block5_pool rel err {err:.2e}"


# ---- the layout variants and errors, on a small VGG (fast) ------------------------------
def small_keras(rng, classes=5):
    """Keras-layout weights of small_vgg((8, 16), input (3, 32, 32), hidden (32,), classes)."""
    shapes = {"block1_conv1": (3, 3, 3, 8), "block1_conv2": (3, 3, 8, 8),
              "block2_conv1": (3, 3, 8, 16), "block2_conv2": (3, 3, 16, 16),
              "fc1": (16 * 8 * 8, 32), "predictions": (32, classes)}
    weights = {k: (rng.standard_normal(s, np.float32) * np.float32(0.3),
                   rng.standard_normal(s[-1], np.float32) * np.float32(0.1)) for k, s in shapes.items()}
    names = ["input_1", "block1_conv1", "block1_conv2", "block1_pool", "block2_conv1",
             "block2_conv2", "block2_pool", "flatten", "fc1", "predictions"]
    return weights, names


def small_net(seed=9, classes=5):
    return small_vgg((8, 16), input_shape=(3, 32, 32), hidden=(32,), classes=classes, seed=seed)


def torch_small(torch, weights):
    nn = torch.nn
    mods = []
    for name in ("block1_conv1", "block1_conv2", "pool", "block2_conv1", "block2_conv2", "pool"):
        if name == "pool":
            mods.append(nn.MaxPool2d(2))
            continue
        kernel, bias = weights[name]
        conv = nn.Conv2d(kernel.shape[2], kernel.shape[3], 3, padding=1)
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(np.einsum("hwio->oihw", kernel)))
            conv.bias.copy_(torch.from_numpy(bias))
        mods += [conv, nn.ReLU()]
    k1, b1 = weights["fc1"]
    k1 = k1.reshape(8, 8, 16, 32).transpose(2, 0, 1, 3).reshape(1024, 32)  # (h,w,c) -> (c,h,w) rows
    fc1, out = nn.Linear(1024, 32), nn.Linear(32, weights["predictions"][0].shape[1])
    with torch.no_grad():
        fc1.weight.copy_(torch.from_numpy(np.ascontiguousarray(k1.T)))
        fc1.bias.copy_(torch.from_numpy(b1))
        out.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights["predictions"][0].T)))
        out.bias.copy_(torch.from_numpy(weights["predictions"][1]))
    return nn.Sequential(*mods, nn.Flatten(), fc1, nn.ReLU(), out).eval()


@pytest.mark.parametrize("style,chunks", [("keras1", 1), ("keras2", 1), ("keras2", 3)])
def test_weight_name_styles_into_a_given_network(tmp_path, torch, rng, style, chunks, record_property):
    """Keras 1 and 2 weight names, chunked layer_names, any network with Keras's layer names
    (the Flatten permutation is found from the network: (16, 8, 8) here)."""
    weights, names = small_keras(rng)
    path = tmp_path / "small.h5"
    write_keras2(path, weights, names, style=style, chunks=chunks)
    net = load(path, net=small_net())
    x = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        ref = torch_small(torch, weights)(torch.from_numpy(x)).numpy()
    err = rel_err(net.forward(x, until="predictions"), ref)
    record_property("logits_rel_err", err)
    assert err <= 1e-5, f"rel err {err:.2e}"  # 4 small layers: float32 rounding ~1e-7


def test_skipping_the_fc1_permutation_is_caught(tmp_path, rng, monkeypatch, record_property):
    """The Keras-semantics check has teeth: a loader that skips the NHWC -> NCHW row
    permutation of fc1 (patched in here) is off by an error of order 1."""
    weights, names = small_keras(rng)
    write_keras2(tmp_path / "small.h5", weights, names)
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    errors = []
    for skip in (False, True):
        if skip:
            monkeypatch.setattr("cnnvis.weights.layouts.flatten_shape", lambda net, name: None)
        net = load(tmp_path / "small.h5", net=small_net())
        net.forward(x, until="fc1")
        pool = np.asarray(net.activations["block2_pool"])
        keras_fc1 = pool.transpose(0, 2, 3, 1).reshape(2, -1) @ weights["fc1"][0] + weights["fc1"][1]
        errors.append(rel_err(net.activations["fc1"], keras_fc1))
    record_property("fc1_rel_err_with_and_without_permutation", errors)
    assert errors[0] <= 1e-5 and errors[1] > 0.1, errors


def write_small(tmp_path, rng, edit=None, names=None, **kw):
    weights, default_names = small_keras(rng, **kw)
    if edit:
        edit(weights)
    path = tmp_path / "bad.h5"
    write_keras2(path, weights, names or default_names)
    return path


def test_missing_layer_is_named(tmp_path, rng):
    weights, names = small_keras(rng)
    path = write_small(tmp_path, rng, names=[n for n in names if n != "block2_conv1"])
    with pytest.raises(WeightsError, match="no weights for layer.*block2_conv1"):
        load(path, net=small_net())


def test_shape_mismatch_names_layer_and_shapes(tmp_path, rng):
    path = write_small(tmp_path, rng, classes=7)
    with pytest.raises(WeightsError, match=r"'predictions' kernel has shape \(32, 7\).*needs \(32, 5\)"):
        load(path, net=small_net(classes=5))


def test_nan_weights_name_the_layer(tmp_path, rng):
    def poison(w):
        w["block1_conv2"][0][0, 0, 0, 0] = np.nan
    path = write_small(tmp_path, rng, edit=poison)
    with pytest.raises(WeightsError, match="'block1_conv2' weight contains NaN"):
        load(path, net=small_net())


def test_extra_layer_and_missing_dataset(tmp_path, rng):
    weights, names = small_keras(rng)
    weights["block3_conv1"] = weights["block2_conv2"]
    path = tmp_path / "extra.h5"
    write_keras2(path, weights, names + ["block3_conv1"])
    with pytest.raises(WeightsError, match="block3_conv1, which small_vgg does not have"):
        load(path, net=small_net())
    import h5py
    write_keras2(path, *small_keras(rng))
    with h5py.File(path, "r+") as f:
        del f["fc1"]["fc1_b_1:0"]
    with pytest.raises(WeightsError, match="layer 'fc1' has no dataset 'fc1_b_1:0'"):
        load(path, net=small_net())


def test_not_vgg16_without_net_says_what_to_do(tmp_path, rng):
    weights, names = small_keras(rng)
    path = tmp_path / "small_conv.h5"
    write_keras2(path, {k: v for k, v in weights.items() if k.startswith("block")}, names[:7])
    with pytest.raises(WeightsError, match="no weights for layer.*block3_conv1.*give net="):
        load(path)  # a small Keras net is not VGG16: every missing VGG16 layer is listed


def test_whole_model_file_reads_model_weights_group(tmp_path, rng):
    """model.save() in Keras 2 puts the same layout under /model_weights."""
    import h5py
    weights, names = small_keras(rng)
    write_keras2(tmp_path / "model.h5", weights, names)
    with h5py.File(tmp_path / "model.h5", "r+") as f:
        f.create_group("model_weights")
        for name in names:
            f.move(name, f"model_weights/{name}")
        f["model_weights"].attrs["layer_names"] = f.attrs["layer_names"]
        del f.attrs["layer_names"]
        f.attrs["model_config"] = "{}"
    assert detect_format(tmp_path / "model.h5") == "keras"
    net = load(tmp_path / "model.h5", net=small_net())
    np.testing.assert_array_equal(net["predictions"].params["weight"], weights["predictions"][0].T)

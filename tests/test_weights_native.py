"""cnnvis's own HDF5 format: exact round trips, and a clear WeightsError for each bad file."""
import os

import h5py
import numpy as np
import pytest

from cnnvis.errors import InputError, WeightsError
from cnnvis.models import small_vgg, vgg16
from cnnvis.preprocessing import Preprocessing
from cnnvis.loading import detect_format, load
from cnnvis.weights import save

NAMES = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
         "ankle boot ✓"]  # one non-ASCII name: class names are UTF-8


def randomized(net, rng):
    """Every parameter (biases too) set to random values, so nothing round-trips by accident."""
    for layer in net.nodes:
        for key, value in layer.params.items():
            layer.params[key] = rng.standard_normal(value.shape).astype(value.dtype)
    return net


def assert_same_network(a, b):
    assert b.name == a.name and b.input_shape == a.input_shape
    assert [(type(x).__name__, x.name, x.config()) for x in b.nodes] == \
        [(type(x).__name__, x.name, x.config()) for x in a.nodes]
    assert b.preprocessing.to_dict() == a.preprocessing.to_dict()
    assert b.class_names == a.class_names
    for (la, ka, va), (lb, kb, vb) in zip(a.parameters(), b.parameters(), strict=True):
        assert (la, ka) == (lb, kb) and va.dtype == vb.dtype
        assert np.array_equal(va, vb), f"{la}.{ka} changed in the round trip"


@pytest.fixture
def small(rng):
    pre = Preprocessing("L", 1 / 255, [0.2860], [0.3530])
    return randomized(small_vgg(class_names=NAMES, preprocessing=pre, dropout=0.25), rng)


def test_small_vgg_round_trips_exactly(tmp_path, small):
    path = save(small, tmp_path / "small.h5")
    assert detect_format(str(path)) == "cnnvis"
    assert_same_network(small, load(path))
    assert_same_network(small, load(path, format="cnnvis"))


def test_float64_network_round_trips_in_float64(tmp_path, small):
    small.astype(np.float64)
    assert_same_network(small, load(save(small, tmp_path / "f64.h5")))


def test_vgg16_notop_round_trips_exactly(tmp_path, rng):
    net = randomized(vgg16(include_top=False), rng)
    assert_same_network(net, load(save(net, tmp_path / "notop.h5")))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(WeightsError, match="weights file not found"):
        load(tmp_path / "nope.h5")
    with pytest.raises(WeightsError, match="is not a file"):
        load(tmp_path)


def test_text_file_renamed_h5(tmp_path):
    (tmp_path / "notes.h5").write_text("these are not weights\n")
    with pytest.raises(WeightsError, match="not an HDF5 file"):
        load(tmp_path / "notes.h5")


def test_truncated_file(tmp_path, small):
    path = save(small, tmp_path / "small.h5")
    data = path.read_bytes()
    for keep in (len(data) // 2, 4096):
        with open(tmp_path / "cut.h5", "wb") as f:
            f.write(data[:keep])
        with pytest.raises(WeightsError, match="truncated"):
            load(tmp_path / "cut.h5")


@pytest.fixture
def saved(tmp_path, small):
    return save(small, tmp_path / "small.h5")


def test_nan_weights_name_the_layer(saved):
    with h5py.File(saved, "r+") as f:
        f["weights/block2_conv1/weight"][0, 0, 0, 0] = np.nan
    with pytest.raises(WeightsError, match="layer 'block2_conv1' weight contains NaN"):
        load(saved)


def test_missing_dataset_names_the_layer(saved):
    with h5py.File(saved, "r+") as f:
        del f["weights/fc1/bias"]
    with pytest.raises(WeightsError, match="no bias for layer 'fc1'"):
        load(saved)
    with h5py.File(saved, "r+") as f:
        f["weights/fc1/bias"] = np.zeros(128, np.float32)
        del f["weights/predictions"]
    with pytest.raises(WeightsError, match="no weights for layer 'predictions'"):
        load(saved)


def test_shape_mismatch_gives_expected_and_found(saved):
    with h5py.File(saved, "r+") as f:
        del f["weights/block1_conv2/weight"]
        f["weights/block1_conv2/weight"] = np.zeros((16, 8, 3, 3), np.float32)
    with pytest.raises(WeightsError, match=r"'block1_conv2' weight has shape \(16, 8, 3, 3\), "
                                           r"the network needs \(16, 16, 3, 3\)"):
        load(saved)


def test_unknown_hdf5_layout_and_wrong_forced_format(tmp_path, saved):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["images"] = np.zeros((2, 3))
    with pytest.raises(WeightsError, match="no layout cnnvis knows.*images"):
        load(tmp_path / "other.h5")
    with pytest.raises(WeightsError, match="not a cnnvis file"):
        load(tmp_path / "other.h5", format="cnnvis")
    with pytest.raises(WeightsError, match="not a Keras 2 weights file"):
        load(saved, format="keras")
    with pytest.raises(InputError, match="unknown weights format 'tflite'"):
        load(saved, format="tflite")
    with pytest.raises(InputError, match="stores its own architecture"):
        load(saved, net=small_vgg())


def test_class_names_replaced_from_a_file(tmp_path, saved):
    (tmp_path / "names.txt").write_text("".join(f"class {i}\n" for i in range(10)), encoding="utf-8")
    assert load(saved, class_names=tmp_path / "names.txt").class_names[9] == "class 9"
    with pytest.raises(InputError, match="3 class names for 10 output units"):
        load(saved, class_names=["a", "b", "c"])


def test_failed_save_leaves_nothing_behind(tmp_path, small):
    target = tmp_path / "model.h5"
    small["fc1"].params["bias"] = np.array([object()] * 128)  # h5py cannot store objects
    with pytest.raises(TypeError):
        save(small, target)
    assert os.listdir(tmp_path) == []
    target.write_bytes(b"previous version")
    with pytest.raises(TypeError):
        save(small, target)
    assert os.listdir(tmp_path) == ["model.h5"] and target.read_bytes() == b"previous version"

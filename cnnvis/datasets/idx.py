"""The IDX file format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/).

    bytes 0-1  zero;  byte 2  element type (0x08 = uint8, ...);  byte 3  number of dims d
    then d big-endian uint32 sizes, then prod(sizes) elements, big-endian, C order.
Files may be gzip-compressed (recognised by their first bytes, not their name).
"""
import gzip
import os
import zlib

import numpy as np

from ..errors import InputError

TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """The file's bytes, gunzipped if it is gzip; an InputError naming the file if unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(f"dataset file not found: {path}; give the folder holding the IDX files, "
                         "or download them") from None
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc}); check the path and its permissions") from None
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise InputError(f"{path} is a truncated or corrupt gzip file ({exc}); "
                             "download it again") from None
    return data


def parse_idx(data, path="<bytes>", ndim=None):
    """The array stored in IDX bytes ``data``; ndim, if given, is checked (3 images, 1 labels)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in TYPES:
        raise InputError(f"{path} is not an IDX file (bad magic number {data[:4].hex() or 'none'}); "
                         "expected the MNIST/Fashion-MNIST format, e.g. train-images-idx3-ubyte.gz")
    dtype, d = np.dtype(TYPES[data[2]]), data[3]
    if ndim is not None and d != ndim:
        raise InputError(f"{path} holds a {d}-D array, expected {ndim}-D "
                         f"({'images' if ndim == 3 else 'labels'}); are the file names swapped?")
    header = 4 + 4 * d
    if len(data) < header:
        raise InputError(f"{path} is truncated: its header is cut short; download it again")
    shape = tuple(int(v) for v in np.frombuffer(data, ">u4", count=d, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise InputError(f"{path} should hold {expected} bytes of data for shape {shape}, "
                         f"has {len(data) - header}: the file is truncated or corrupt; download it again")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path, ndim=None):
    """Read an IDX file (gzip or not) into a native-endian NumPy array."""
    return parse_idx(read_bytes(path), os.fspath(path), ndim)



SPLIT_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def find_file(folder, stem):
    """folder/stem.gz or folder/stem, whichever exists, else None."""
    for name in (stem + ".gz", stem):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def read_split(folder, split):
    """(images uint8 (N, H, W), labels (N,)) of ``split`` ('train' | 'test') from an MNIST-layout
    folder: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...[.gz]."""
    if split not in SPLIT_FILES:
        raise InputError(f"split must be one of {tuple(SPLIT_FILES)}, got {split!r}")
    paths = [find_file(folder, stem) for stem in SPLIT_FILES[split]]
    if None in paths:
        missing = [s for s, p in zip(SPLIT_FILES[split], paths) if p is None]
        raise InputError(f"{folder} has no {' or '.join(m + '[.gz]' for m in missing)}; give the "
                         "folder holding the IDX files, or download them")
    images, labels = read_idx(paths[0], ndim=3), read_idx(paths[1], ndim=1)
    if len(images) != len(labels):
        raise InputError(f"{paths[0]} holds {len(images)} images but {paths[1]} holds "
                         f"{len(labels)} labels; one of them is from another dataset")
    if images.dtype != np.uint8:
        raise InputError(f"{paths[0]} holds {images.dtype} pixels; expected uint8 images: give "
                         "the MNIST or Fashion-MNIST image files")
    return images, labels

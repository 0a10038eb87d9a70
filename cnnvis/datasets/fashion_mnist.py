"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research; MIT licence): 70,000 28x28
grayscale images of 10 kinds of clothing, 60,000 for training and 10,000 for testing.

Read from its IDX files: path=, else the Debian package dataset-fashion-mnist's folder, else
cnnvis's download cache; download=True fetches the files from Zalando when they are missing.
"""
import os

from ..errors import InputError
from .dataset import Dataset
from .download import fetch
from .idx import SPLIT_FILES, find_file, read_split

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
DEBIAN_PATH = "/usr/share/datasets/fashion-mnist"
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MD5 = {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
       "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
       "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
       "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}  # from Zalando's README


def cache_dir():
    """Where download=True puts the files: $CNNVIS_DATA/fashion-mnist or ~/.cache/cnnvis/fashion-mnist."""
    root = os.environ.get("CNNVIS_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "cnnvis")
    return os.path.join(root, "fashion-mnist")


def _has_split(folder, split):
    return all(find_file(folder, stem) for stem in SPLIT_FILES[split])


def download(folder=None, split="train", url=URL, progress=None):
    """Fetch the split's two IDX files from ``url`` into ``folder`` (default cache_dir()).

    MD5s are checked against Zalando's published ones when fetching from Zalando. Returns folder.
    """
    from ..progress import bar
    folder = folder or cache_dir()
    if split not in SPLIT_FILES:
        raise InputError(f"split must be one of {tuple(SPLIT_FILES)}, got {split!r}")
    for stem in bar(SPLIT_FILES[split], desc="download", progress=progress, unit="file"):
        name = stem + ".gz"
        fetch(url.rstrip("/") + "/" + name, os.path.join(folder, name),
              md5=MD5[name] if url == URL else None)
    return folder


def fashion_mnist(split="train", path=None, download_missing=False, url=URL):
    """The Fashion-MNIST ``split`` ('train' | 'test') as a Dataset of uint8 (N, 28, 28) images.

    path: folder of the IDX files (gzip or not). Without it, the Debian package's folder
    /usr/share/datasets/fashion-mnist and then cache_dir() are tried.
    download_missing: fetch the files from ``url`` into path (or cache_dir()) if absent.
    """
    folders = [os.fspath(path)] if path else [DEBIAN_PATH, cache_dir()]
    found = next((f for f in folders if os.path.isdir(f) and _has_split(f, split)), None)
    if found is None and download_missing:
        found = download(folders[0] if path else cache_dir(), split, url)
    if found is None and path:
        found = folders[0]  # read_split names the missing files
    if found is None:
        raise InputError(f"Fashion-MNIST {split} files not found in {' or '.join(folders)}; install "
                         "the Debian package dataset-fashion-mnist, give path=, or download them "
                         "(download_missing=True; `cnnvis train --download`)")
    images, labels = read_split(found, split)
    return Dataset(images, labels, CLASS_NAMES, f"fashion-mnist-{split}")

"""Download the official Keras VGG16 weights (``cnnvis weights fetch vgg16 [--notop]``).

What is checked, and what is not: Keras publishes only MD5 digests of these files (the
``file_hash`` of keras.applications.vgg16). Their SHA-256 is not published and we could
not compute it offline, so REGISTRY holds none yet. A download is verified against, in
order: the SHA-256 you give (``sha256=``, ``--sha256``), a SHA-256 in REGISTRY, else
Keras's MD5. MD5 catches a corrupt or truncated download, not a deliberately forged file;
the file's SHA-256 is returned (and printed by the CLI) so you can pin it next time.
The file is streamed to a temporary name and renamed only once complete and verified: an
interrupted or mismatched download leaves nothing behind (and an older good file intact).
"""
import collections
import hashlib
import http.client
import os
import urllib.error
import urllib.request

from ..errors import InputError, OutputError, WeightsError
from ..io import atomic_path
from ..progress import bar

BASE = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
Entry = collections.namedtuple("Entry", "filename md5 sha256")
REGISTRY = {
    "vgg16": Entry("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                   "64373286793e3c8b2b4e3219cbf3544b", None),
    "vgg16-notop": Entry("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                         "6d6bbae143d832006294945121d1f1fc", None),
}
Fetched = collections.namedtuple("Fetched", "path sha256 checked downloaded")
CHUNK = 1 << 20


def default_dir():
    """$CNNVIS_HOME/weights, or ~/.cnnvis/weights."""
    return os.path.join(os.environ.get("CNNVIS_HOME") or os.path.expanduser("~/.cnnvis"), "weights")


def _expected(entry, sha256):
    """('sha256' | 'md5', hex digest) that the file must have."""
    if sha256:
        sha256 = sha256.strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise InputError(f"--sha256 must be 64 hexadecimal digits, got {sha256!r}")
        return "sha256", sha256
    return ("sha256", entry.sha256) if entry.sha256 else ("md5", entry.md5)


def _digests(path):
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return {"sha256": sha.hexdigest(), "md5": md5.hexdigest()}


def fetch(name="vgg16", dest=None, sha256=None, url=None, progress=None):
    """Download weights ``name`` ('vgg16' or 'vgg16-notop') into ``dest`` (default_dir()).

    sha256: the expected SHA-256 (hex); url: another source of the same file (a mirror,
    or a file:// URL). A file already in dest with the right digest is not downloaded again.
    Returns Fetched(path, sha256, checked, downloaded); checked is 'sha256' or 'md5'.
    """
    if name not in REGISTRY:
        raise InputError(f"no weights named {name!r} to fetch; choose one of {list(REGISTRY)}")
    entry = REGISTRY[name]
    kind, want = _expected(entry, sha256)
    path = os.path.join(dest or default_dir(), entry.filename)
    if os.path.isfile(path):
        have = _digests(path)
        if have[kind] == want:
            return Fetched(path, have["sha256"], kind, False)
    url = url or BASE + entry.filename
    have = _download(url, path, kind, want, progress)
    return Fetched(path, have, kind, True)


def _download(url, path, kind, want, progress):
    """Stream ``url`` to ``path`` atomically; returns the SHA-256 once ``kind`` matches ``want``."""
    try:
        response = urllib.request.urlopen(url, timeout=60)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WeightsError(f"cannot download {url} ({getattr(exc, 'reason', exc)}); check the "
                           "connection, or download the file yourself and load it with "
                           "cnnvis.load(path)") from None
    sha, md5, got = hashlib.sha256(), hashlib.md5(), 0
    total = int(response.headers.get("Content-Length") or 0)
    try:
        with response, atomic_path(path) as tmp, open(tmp, "wb") as out, \
                bar(total=round(total / 2**20, 1) or None, desc=os.path.basename(path),
                    progress=progress, unit="MB") as pbar:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                sha.update(chunk)
                md5.update(chunk)
                got += len(chunk)
                pbar.update(round(len(chunk) / 2**20, 3))
            if total and got != total:
                raise WeightsError(f"the download of {url} stopped after {got} of {total} bytes; "
                                   "nothing was kept: run the command again")
            have = {"sha256": sha.hexdigest(), "md5": md5.hexdigest()}
            if have[kind] != want:
                raise WeightsError(f"{url} has {kind} {have[kind]}, expected {want}: the download is "
                                   "corrupt or not the official file; nothing was kept")
    except OutputError:
        raise  # the disk, not the download: its own message
    except (OSError, http.client.HTTPException) as exc:
        raise WeightsError(f"the download of {url} was interrupted after {got} bytes ({exc}); "
                           "nothing was kept: run the command again") from None
    return have["sha256"]

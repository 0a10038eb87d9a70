"""`cnnvis weights fetch` with local file:// URLs (no network here): digests, atomicity, errors."""
import hashlib
import os
import urllib.request

import pytest

from cnnvis.cli import main
from cnnvis.errors import InputError, WeightsError
from cnnvis.weights.fetch import REGISTRY, Entry, fetch

FILENAME = REGISTRY["vgg16"].filename


@pytest.fixture
def source(tmp_path, rng):
    """A 3 MB stand-in for the weights file, its file:// URL and digests (computed here)."""
    data = rng.integers(0, 256, 3 * 2**20 + 123, dtype="uint8").tobytes()
    path = tmp_path / "server" / FILENAME
    path.parent.mkdir()
    path.write_bytes(data)
    return {"url": path.as_uri(), "data": data, "sha256": hashlib.sha256(data).hexdigest(),
            "md5": hashlib.md5(data).hexdigest(), "dir": tmp_path / "server"}


def files(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_good_sha256(tmp_path, source):
    dest = tmp_path / "weights"
    got = fetch("vgg16", dest, sha256=source["sha256"].upper(), url=source["url"], progress=False)
    assert got == (str(dest / FILENAME), source["sha256"], "sha256", True)
    assert (dest / FILENAME).read_bytes() == source["data"] and files(dest) == [FILENAME]
    again = fetch("vgg16", dest, sha256=source["sha256"], url="file:///nowhere", progress=False)
    assert again.downloaded is False  # already there with the right digest: no download


def test_bad_sha256_leaves_nothing(tmp_path, source):
    dest = tmp_path / "weights"
    with pytest.raises(WeightsError, match=f"has sha256 {source['sha256']}, expected 0+f.*nothing was kept"):
        fetch("vgg16", dest, sha256="0" * 63 + "f", url=source["url"], progress=False)
    assert files(dest) == []


def test_failed_download_keeps_an_older_file(tmp_path, source):
    dest = tmp_path / "weights"
    dest.mkdir()
    (dest / FILENAME).write_bytes(b"older file")
    with pytest.raises(WeightsError):
        fetch("vgg16", dest, sha256="ab" * 32, url=source["url"], progress=False)
    assert files(dest) == [FILENAME] and (dest / FILENAME).read_bytes() == b"older file"


def test_keras_md5_is_checked_when_no_sha256_is_known(tmp_path, source, monkeypatch):
    dest = tmp_path / "weights"
    with pytest.raises(WeightsError, match="has md5 .*expected 64373286793e3c8b2b4e3219cbf3544b"):
        fetch("vgg16", dest, url=source["url"], progress=False)  # Keras's real MD5: not our bytes
    assert files(dest) == []
    monkeypatch.setitem(REGISTRY, "vgg16", Entry(FILENAME, source["md5"], None))
    got = fetch("vgg16", dest, url=source["url"], progress=False)
    assert got.checked == "md5" and got.sha256 == source["sha256"]


def test_partial_file_fails_the_digest(tmp_path, source):
    cut = source["dir"] / "cut.h5"
    cut.write_bytes(source["data"][:2**20])
    with pytest.raises(WeightsError, match="nothing was kept"):
        fetch("vgg16", tmp_path / "weights", sha256=source["sha256"], url=cut.as_uri(), progress=False)
    assert files(tmp_path / "weights") == []


class Dropping:
    """A response that delivers ``limit`` bytes, then fails (raise) or just ends (short)."""

    def __init__(self, real, limit, mode):
        self.real, self.limit, self.mode, self.sent = real, limit, mode, 0
        self.headers = real.headers

    def read(self, n):
        if self.sent >= self.limit:
            if self.mode == "raise":
                raise ConnectionResetError("connection reset by peer")
            return b""
        chunk = self.real.read(min(n, self.limit - self.sent))
        self.sent += len(chunk)
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


@pytest.mark.parametrize("mode,message", [("raise", "interrupted after 1048576 bytes"),
                                          ("short", "stopped after 1048576 of 3145851 bytes")])
def test_interrupted_download_leaves_nothing(tmp_path, source, monkeypatch, mode, message):
    real_urlopen = urllib.request.urlopen
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout: Dropping(real_urlopen(url), 2**20, mode))
    with pytest.raises(WeightsError, match=message):
        fetch("vgg16", tmp_path / "weights", sha256=source["sha256"], url=source["url"], progress=False)
    assert files(tmp_path / "weights") == []


def test_bad_arguments(tmp_path):
    with pytest.raises(InputError, match="64 hexadecimal digits"):
        fetch("vgg16", tmp_path, sha256="xyz")
    with pytest.raises(InputError, match="no weights named 'resnet50'"):
        fetch("resnet50", tmp_path)
    with pytest.raises(WeightsError, match="cannot download file:///does/not/exist"):
        fetch("vgg16", tmp_path, url="file:///does/not/exist", progress=False)


def test_cli_fetch(tmp_path, source, capsys):
    dest = tmp_path / "weights"
    assert main(["weights", "fetch", "vgg16", "--dest", str(dest), "--url", source["url"],
                 "--sha256", source["sha256"]]) == 0
    printed = capsys.readouterr()
    assert printed.out == f"{dest / FILENAME}\n"  # the path on stdout, as every command prints what it wrote
    assert f"sha256 {source['sha256']}" in printed.err
    assert main(["weights", "fetch", "vgg16", "--notop", "--dest", str(dest), "--url", source["url"],
                 "--sha256", "1" * 64]) == 2
    assert "expected 1111" in capsys.readouterr().err
    assert files(dest) == [FILENAME]  # the notop file was not kept

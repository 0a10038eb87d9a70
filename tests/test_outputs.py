"""Outputs that cannot be written are clear errors, found before the work where they can be,
and never leave a file behind: a bad name, a folder in the way, no permission, a full disk."""
import errno
import os
import subprocess
import sys
from importlib import resources

import pytest

import cnnvis.io
from cnnvis.cli import main
from cnnvis.errors import OutputError
from cnnvis.models import bundled_model
from cnnvis.weights import save

BUNDLED = str(resources.files("cnnvis") / "data" / "fashion_mnist_vgg.h5")

# every command with an output, with the arguments it needs, and what its output is
COMMANDS = {
    "explain": (["explain", "sample:0", "-m", "occlusion", "--out"], "file"),
    "filters": (["filters", "--out"], "file"),
    "feature-maps": (["feature-maps", "--layer", "block1_conv1", "--out"], "file"),
    "top-patches": (["top-patches", "--layer", "block1_conv1", "--out"], "file"),
    "actmax": (["actmax", "--out"], "file"),
    "actmax --gif": (["actmax", "--gif"], "gif"),
    "deepdream": (["deepdream", "--layer", "block1_conv1", "--out"], "file"),
    "embed": (["embed", "--out"], "file"),
    "predict": (["predict", "--out"], "file"),
    "trace": (["trace", "--out"], "text"),
    "weights convert": (["weights", "convert", BUNDLED], "weights"),
    "demo": (["demo", "--quick", "--out"], "folder"),
    "train": (["train", "--dataset", "nowhere.csv", "--out"], "folder"),
    "weights fetch": (["weights", "fetch", "vgg16", "--url", "file:///nowhere", "--dest"], "folder"),
}
GOOD = {"file": "out.png", "gif": "out.gif", "text": "out.txt", "weights": "out.h5"}


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def run(capsys, argv):
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_existing_folder_as_a_file_or_a_file_as_a_folder_is_refused_at_once(tmp_path, capsys, name):
    argv, kind = COMMANDS[name]
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder.png").mkdir()
    target = tmp_path / "a_file" if kind == "folder" else tmp_path / "a_folder.png"
    before = listing(tmp_path)
    code, err = run(capsys, argv + [str(target)])
    assert code == 2 and str(target) in err and "Traceback" not in err
    assert ("is a file, not a folder" if kind == "folder" else "is a folder; give a file name") in err
    assert listing(tmp_path) == before


@pytest.mark.parametrize("name", [n for n, (_, kind) in COMMANDS.items() if kind != "folder"])
@pytest.mark.parametrize("bad", ["out", "out.xyz"])
def test_a_missing_or_unknown_extension_is_refused_at_once(tmp_path, capsys, name, bad):
    argv, kind = COMMANDS[name]
    code, err = run(capsys, argv + [str(tmp_path / bad)])
    known = cnnvis.io.KINDS[{"file": "picture"}.get(kind, kind)]
    assert code == 2 and "argument" in err and ", ".join(known) in err and f"out{known[0]}" in err
    assert listing(tmp_path) == []


@pytest.mark.parametrize("name", [n for n, (_, kind) in COMMANDS.items() if kind != "folder"])
def test_a_parent_that_is_a_file_is_refused_at_once(tmp_path, capsys, name):
    argv, kind = COMMANDS[name]
    (tmp_path / "a_file").write_text("x")
    code, err = run(capsys, argv + [str(tmp_path / "a_file" / "sub" / GOOD[kind])])
    assert code == 2 and f"{tmp_path / 'a_file'} is a file, not a folder" in err
    assert listing(tmp_path) == ["a_file"]


def test_a_folder_without_write_permission_is_refused_at_once(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    if os.access(folder, os.W_OK):  # root may write anyway: pretend it may not
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(folder) else real(p, mode))
    try:
        code, err = run(capsys, ["explain", "sample:0", "-m", "saliency", "-o", str(folder / "x.png")])
        assert code == 2 and f"no permission to write in {folder}" in err
        assert "choose a folder you can write to" in err
    finally:
        folder.chmod(0o700)
    assert listing(folder) == []


def test_weights_save_checks_its_path(tmp_path):
    net = bundled_model()
    with pytest.raises(OutputError, match="a weights file is named with one of .h5"):
        save(net, tmp_path / "model.pt")
    (tmp_path / "model.h5").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        save(net, tmp_path / "model.h5")
    assert listing(tmp_path) == ["model.h5"]


@pytest.mark.parametrize("code, fix", [(errno.EACCES, "choose a folder you can write to"),
                                       (errno.ENOSPC, "the disk is full"),
                                       (errno.EISDIR, "it is a folder")])
def test_an_os_error_while_writing_is_an_output_error_and_leaves_nothing(tmp_path, code, fix):
    path = tmp_path / "out.txt"
    with pytest.raises(OutputError, match=fix) as caught:
        with cnnvis.io.atomic_path(path) as tmp:
            open(tmp, "w").write("half")
            raise OSError(code, os.strerror(code), tmp if code != errno.ENOSPC else None)
    assert str(path) in str(caught.value) and isinstance(caught.value, OSError)
    assert listing(tmp_path) == []


def test_an_os_error_of_something_else_is_left_as_it_is(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        with cnnvis.io.atomic_path(tmp_path / "out.txt"):
            open(tmp_path / "some_input.txt")
    assert not isinstance(caught.value, OutputError) and listing(tmp_path) == []


# The file-size limit (RLIMIT_FSIZE) stands for a full disk. SIGXFSZ is left at its default,
# which kills the process: the CLI ignores it, so that the write fails with EFBIG instead.
UNDER_LIMIT = """
import resource, sys
import cnnvis.cli, cnnvis.render.common  # imports and matplotlib's font cache, before the limit
resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, resource.RLIM_INFINITY))
sys.exit(cnnvis.cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv, out", [(["weights", "convert", BUNDLED], "model.h5"),  # 3.5 MB
                                       (["filters", "--out"], "filters.png")])  # 13 kB
def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, argv, out):
    proc = subprocess.run([sys.executable, "-c", UNDER_LIMIT, *argv, str(tmp_path / out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write {tmp_path / out} (File too large)" in proc.stderr and "ulimit -f" in proc.stderr
    assert "Traceback" not in proc.stderr and listing(tmp_path) == []

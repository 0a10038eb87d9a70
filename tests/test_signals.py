"""A run ended by a signal leaves no temporary behind: a catchable signal is handled like
Ctrl-C (exit 128 + N), and what SIGKILL leaves is swept by the next run into that folder."""
import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

import cnnvis.io
from cnnvis.cli import main

# `cnnvis trace --out` in a child whose rename waits: the signal arrives mid-write, every time
STALLED_WRITE = """
import os, sys, time
real = os.replace
def stalled(a, b):
    print("writing", flush=True)
    time.sleep(60)
    real(a, b)
os.replace = stalled
from cnnvis.cli import main
sys.exit(main(sys.argv[1:]))
"""


def temporaries(folder):
    return [p.name for p in folder.rglob("*") if cnnvis.io.TEMPORARY.fullmatch(p.name)]


def default_signals():
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1):
        signal.signal(s, signal.SIG_DFL)


def stalled_trace(path):
    """A child writing `cnnvis trace` to path, stopped inside atomic_path (its temporary exists)."""
    # the child starts with every caught signal at its default, as from a terminal: under nohup
    # SIGHUP arrives ignored, and cnnvis rightly leaves an ignored signal ignored
    child = subprocess.Popen([sys.executable, "-c", STALLED_WRITE, "trace", "--out", str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    assert child.stdout.readline() == "writing\n"
    assert len(temporaries(path.parent)) == 1
    return child


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130),
                                       (signal.SIGUSR1, 138)])
def test_a_signal_mid_write_exits_128_plus_n_and_leaves_nothing(tmp_path, sig, code):
    child = stalled_trace(tmp_path / "trace.txt")
    child.send_signal(sig)
    _, err = child.communicate(timeout=30)
    assert child.returncode == code, err
    assert "Traceback" not in err and ("interrupted" if sig == signal.SIGINT else signal.Signals(sig).name) in err
    assert os.listdir(tmp_path) == []


def test_sigterm_stops_the_demo_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "report"
    child = subprocess.Popen([sys.executable, "-m", "cnnvis.cli", "demo", "--quick", "--quiet", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "images").glob("*"))) < 3:
        time.sleep(0.05)  # it is writing pictures
    child.terminate()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 143 and "terminated by SIGTERM" in err and "Traceback" not in err
    assert temporaries(out) == [] and not (out / "index.html").exists()


def test_a_killed_runs_temporary_is_swept_by_the_next_run(tmp_path, capsys):
    child = stalled_trace(tmp_path / "trace.txt")
    child.kill()  # SIGKILL: nothing can clean up
    child.communicate(timeout=30)
    (left,) = temporaries(tmp_path)
    os.utime(tmp_path / left, (time.time() - 60,) * 2)  # a minute ago
    assert main(["trace", "--out", str(tmp_path / "other.txt")]) == 0
    assert sorted(os.listdir(tmp_path)) == ["other.txt"]


def test_temporaries_that_are_held_or_fresh_are_not_swept(tmp_path, capsys):
    child = stalled_trace(tmp_path / "trace.txt")  # a live writer, holding its lock
    try:
        (held,) = temporaries(tmp_path)
        os.utime(tmp_path / held, (time.time() - 60,) * 2)
        fresh = tmp_path / ".x.abcdefgh.tmp.txt"  # unlocked, but written a moment ago
        fresh.write_text("")
        assert main(["trace", "--out", str(tmp_path / "other.txt")]) == 0
        assert sorted(os.listdir(tmp_path)) == sorted([held, fresh.name, "other.txt"])
    finally:
        child.kill()
        child.communicate(timeout=30)


def test_the_lock_is_what_tells_a_live_writer(tmp_path):
    with cnnvis.io.atomic_path(tmp_path / "x.txt") as tmp:
        fd = os.open(tmp, os.O_RDONLY)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)


def test_folders_skip_hidden_temporaries(tmp_path):
    from PIL import Image

    from cnnvis.datasets.stream import image_names
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    (tmp_path / ".a.abcdefgh.tmp.png").write_bytes(b"half a png")
    assert image_names(tmp_path) == ["a.png"]

"""Writing outputs: checked before the work starts, written to a temporary name and renamed,
so that a crash or a signal never leaves a half-written file; a write that fails is an
OutputError that names the path and the fix.

A temporary is ``.NAME.XXXXXXXX.tmp.EXT`` beside its output, locked (flock) while written.
A run killed beyond catching (SIGKILL, a power cut) leaves its temporary behind: readers of
folders skip hidden files, and the first write of a later run into that folder removes each
temporary of this pattern that no process holds and that is older than STALE_SECONDS.
"""
import contextlib
import errno
import os
import re
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # not on Windows: there, temporaries are neither locked nor swept
    fcntl = None

from .errors import CnnvisError, OutputError

# the extensions each kind of output may have; "picture" is what matplotlib's savefig writes
KINDS = {
    "picture": (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp"),
    "png": (".png",),
    "gif": (".gif",),
    "weights": (".h5", ".hdf5"),
    "text": (".txt", ".md", ".tex"),
}
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp(\.[^.]*)?")  # mkstemp(prefix=".NAME.", suffix=".tmp.EXT")
STALE_SECONDS = 10
FIXES = {
    errno.ENOSPC: "the disk is full: free some space, or write to another disk",
    errno.EDQUOT: "the disk quota is used up: free some space, or write to another disk",
    errno.EFBIG: "the file is over the size limit of this process or file system: raise the "
                 "limit (ulimit -f) or write to another file system",
    errno.EACCES: "choose a folder you can write to, or change its permissions",
    errno.EPERM: "choose a folder you can write to, or change its permissions",
    errno.EROFS: "the file system is read-only: write to another one",
    errno.EISDIR: "it is a folder: give a file name inside it",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another place",
    errno.EEXIST: "a part of the path is a file, not a folder: choose another place",
    errno.ENAMETOOLONG: "the name is too long: choose a shorter one",
}
_swept = set()  # folders already swept of stale temporaries by this process


def check_output(path, kind):
    """``path`` if it can be an output of ``kind`` (a key of KINDS), else an OutputError: its
    extension must be one of the kind's, it must not be a folder, and its folder must exist
    or be creatable, and be writable. Call before the work, so that a bad name costs nothing."""
    path = os.fspath(path)
    known = KINDS[kind]
    if os.path.isdir(path):
        raise OutputError(f"{path} is a folder; give a file name inside it, e.g. "
                          f"{os.path.join(path, 'out' + known[0])}")
    stem, ext = os.path.splitext(path)
    if ext.lower() not in known:
        has = f"the extension {ext!r}" if ext else "no extension"
        raise OutputError(f"{path} has {has}; a {kind} file is named with one of {', '.join(known)}, "
                          f"e.g. {os.path.basename(stem) or 'out'}{known[0]}")
    check_folder(os.path.dirname(os.path.abspath(path)))
    return path


def check_folder(folder):
    """``folder`` if it is, or can be made, a folder this process can write into; else an
    OutputError naming the file in the way or the folder without permission."""
    folder = os.fspath(folder)
    existing = os.path.abspath(folder)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise OutputError(f"cannot write into {folder}: {existing} is a file, not a folder; "
                          "choose another place, or move the file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into {folder}: no permission to write in {existing}; "
                          "choose a folder you can write to, or change its permissions")
    return folder


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``.

    On an exception (a signal made one too: see cnnvis/signals.py) the temporary is removed
    and ``path`` is left as it was; an OSError of the write becomes an OutputError.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    stem, ext = os.path.splitext(os.path.basename(path))
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{ext}", dir=folder)
    except OSError as exc:
        raise _output_error(exc, path) from None
    try:
        _lock(fd)
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make every output private
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if _is_write_error(exc, tmp, path):
            raise _output_error(exc, path) from None
        raise
    finally:
        os.close(fd)


def _is_write_error(exc, tmp, path):
    """Whether ``exc`` is an OSError of writing tmp or path (not, say, of reading an input)."""
    return (isinstance(exc, OSError) and not isinstance(exc, CnnvisError)
            and (exc.filename in (tmp, path) or exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)))


def _output_error(exc, path):
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return OutputError(f"cannot write {path} ({reason}): "
                       f"{FIXES.get(exc.errno, 'check the path and the disk, or choose another place')}")


def _lock(fd):
    """Hold an exclusive lock on the temporary while it is written (see remove_stale_temporaries)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: the temporary is never swept
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale_temporaries(folder):
    """Remove the temporaries of killed runs from ``folder`` (once per process and folder):
    files named like ours, older than STALE_SECONDS and locked by no process."""
    folder = os.path.abspath(folder)
    if fcntl is None or folder in _swept:
        return
    _swept.add(folder)
    for name in os.listdir(folder):
        if TEMPORARY.fullmatch(name):
            with contextlib.suppress(OSError):
                _remove_if_stale(os.path.join(folder, name))


def _remove_if_stale(path):
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < STALE_SECONDS:
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a live writer holds it
        os.remove(path)
    finally:
        os.close(fd)


def _umask():
    """The process umask, read without changing it where Linux tells it (/proc), else set back."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text):
    """Atomically write a text file (UTF-8)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def write_bytes(path, data):
    """Atomically write a binary file."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
    return path

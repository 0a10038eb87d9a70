"""Downloading a file over HTTP(S) (or file://), checked and written atomically."""
import hashlib
import urllib.error
import urllib.request

from ..errors import InputError
from ..io import write_bytes


def fetch(url, path, md5=None, timeout=60):
    """Download ``url`` to ``path`` (atomically); check its MD5 when ``md5`` is given. Returns path."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot download {url} ({reason}); check the connection, or fetch the "
                         f"file by hand and give its folder as path=") from None
    if md5 is not None and hashlib.md5(data).hexdigest() != md5:
        raise InputError(f"{url} downloaded, but its MD5 is {hashlib.md5(data).hexdigest()}, not "
                         f"{md5}: the download is corrupt or the file changed; try again")
    return write_bytes(path, data)

"""Progress bars for long work (sweeps, training, dataset scans), silent when not on a terminal.

progress=None (the default everywhere) shows a bar only when stderr is a terminal and
CNNVIS_PROGRESS is not '0'; True forces it, False silences it.
"""
import os
import sys

from tqdm.auto import tqdm


def enabled(progress=None):
    if progress is not None:
        return bool(progress)
    return os.environ.get("CNNVIS_PROGRESS", "1") != "0" and sys.stderr.isatty()


def bar(iterable=None, total=None, desc=None, progress=None, unit="it", initial=0):
    """A tqdm bar over ``iterable`` (or a manual one with ``total``), or a silent stand-in;
    ``initial``: the work already done before (a resumed run's), not counted in the rate."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled(progress),
                leave=False, dynamic_ncols=True, initial=initial)

"""Spreading work over the cores: Python threads running serial, GIL-free kernels.

Every CPU kernel is a serial Numba function compiled with nogil=True that works on a range
[lo, hi) of its outer loop (or on one chunk of a convolution). split(n, work) runs
work(lo, hi) on one contiguous part of [0, n) per core — the calling thread takes the first
part — and returns when all parts are done: one hand-off per operation. Inside, BLAS runs
single-threaded, so the GEMMs of the parts run side by side on their own cores.

Why not OpenMP (Numba's prange) plus multi-threaded BLAS: a Winograd layer then
synchronises both cores hundreds of times (two parallel loops and sixteen GEMMs per chunk),
and when another process competes for the cores each synchronisation can wait a scheduler
tick. Measured here with four other jobs running: a VGG16 layer that takes 20 ms alone took
6 s, against PyTorch's 3-7x slowdown. Splitting once per operation degrades like PyTorch.

CNNVIS_NUM_THREADS sets the number of threads (default: the cores this process may use); a
value that is not a whole number >= 1 is warned about, once, and the default used.
"""
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_state = {"pool": None, "blas": None}
_local = threading.local()


def num_threads():
    """Threads used by the CPU kernels: $CNNVIS_NUM_THREADS, else the usable cores."""
    env = os.environ.get("CNNVIS_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    if env:
        warnings.warn(f"CNNVIS_NUM_THREADS={env!r} is not a whole number >= 1, so it is ignored: using the "
                      f"default, {cores} threads (the cores this process may use); set it to e.g. 2, or unset it")
    return cores


def _pool(n):
    pool = _state["pool"]
    if pool is None or pool._max_workers < n:
        pool = _state["pool"] = ThreadPoolExecutor(n, thread_name_prefix="cnnvis")
    return pool


def _single_threaded_blas():
    """A context manager making BLAS single-threaded (threadpoolctl), or a no-op without it."""
    ctl = _state["blas"]
    if ctl is None:
        try:
            from threadpoolctl import ThreadpoolController
            ctl = _state["blas"] = ThreadpoolController()
        except ImportError:
            ctl = _state["blas"] = False
    if ctl is False:
        import contextlib
        return contextlib.nullcontext()
    return ctl.limit(limits=1, user_api="blas")


def split(n, work, min_items=1):
    """Run work(lo, hi) over [0, n) in contiguous parts, one per thread; parts smaller than
    min_items are not worth a thread. Returns the list of results, in order."""
    threads = min(num_threads(), max(1, n // max(1, min_items)))
    if threads <= 1:
        return [work(0, n)]
    bounds = np.linspace(0, n, threads + 1).round().astype(int)
    parts = [(int(bounds[k]), int(bounds[k + 1])) for k in range(threads)]
    with _single_threaded_blas():
        futures = [_pool(threads - 1).submit(work, lo, hi) for lo, hi in parts[1:]]
        first = work(*parts[0])
        return [first] + [f.result() for f in futures]


def workspace(name, size, dtype):
    """A flat scratch array owned by the calling thread, reused across calls (no page faults)."""
    key = (name, np.dtype(dtype).str)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(key)
    if buf is None or buf.size < size:
        buf = bufs[key] = np.empty(size, dtype)
    return buf[:size]


def blas_report():
    """One line on the BLAS NumPy uses: library, kernel architecture, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: (install threadpoolctl to see which)"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"BLAS: {i['internal_api']} {i.get('version')} kernels={i.get('architecture')} "
                     f"threads={i['num_threads']}" for i in libs) or "BLAS: unknown"

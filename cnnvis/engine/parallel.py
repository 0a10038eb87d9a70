"""Spreading work over the cores: Python threads running serial, GIL-free kernels.

Every CPU kernel is a serial Numba function compiled with nogil=True that works on a range
[lo, hi) of its outer loop (or on one chunk of a convolution). split(n, work) runs
work(lo, hi) on one contiguous part of [0, n) per core — the calling thread takes the first
part — and returns when all parts are done: one hand-off per operation. Inside, BLAS runs
single-threaded, so the GEMMs of the parts run side by side on their own cores; every GEMM
of the engine runs inside a split (BLAS's own threads never run during a pass).

Why not OpenMP (Numba's prange) plus multi-threaded BLAS: a Winograd layer then
synchronises both cores hundreds of times (two parallel loops and sixteen GEMMs per chunk),
and when another process competes for the cores each synchronisation can wait a scheduler
tick. Measured here with four other jobs running: a VGG16 layer that takes 20 ms alone took
6 s, against PyTorch's 3-7x slowdown. Splitting once per operation degrades like PyTorch.

CNNVIS_NUM_THREADS sets the number of threads (default: the cores this process may use); a
value that is not a whole number >= 1 is warned about, once, and the default used.
"""
import contextlib
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


def _blas_libraries():
    """threadpoolctl's controllers of the BLAS libraries loaded ([] without threadpoolctl)."""
    libs = _state["blas"]
    if libs is None:
        try:
            from threadpoolctl import ThreadpoolController
            libs = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
        except ImportError:
            libs = []
        _state["blas"] = libs
    return libs


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS on one thread inside the block (the setting is process-wide), restored after;
    nested blocks cost two ctypes calls and change nothing. Every split runs in one, and a
    network pass holds one from start to end (graph.py): OpenBLAS's own threads spin for a
    while after each multi-threaded call, taking a core from the next split. Measured on
    ResNet-50 at batch 8, BLAS set to one thread per split and back after: 1.42x PyTorch's
    time; held for the pass: 1.19x. (threadpoolctl's limit() rereads every library's state,
    20 us: too slow for ~170 splits per pass.)"""
    saved = [(lib, lib.get_num_threads()) for lib in _blas_libraries()]
    changed = [(lib, n) for lib, n in saved if n != 1]
    for lib, _ in changed:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in changed:
            lib.set_num_threads(n)


def split(n, work, min_items=1):
    """Run work(lo, hi) over [0, n) in contiguous parts, one per thread; parts smaller than
    min_items are not worth a thread. Returns the list of results, in order."""
    threads = min(num_threads(), max(1, n // max(1, min_items)))
    if threads <= 1:
        return [work(0, n)]
    bounds = [n * k // threads for k in range(threads + 1)]
    with single_threaded_blas():
        futures = [_pool(threads - 1).submit(work, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
        first = work(bounds[0], bounds[1])
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

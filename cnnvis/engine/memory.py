"""Keep freed memory for reuse instead of returning it to the OS (glibc only).

A VGG16 forward at batch 8 allocates ~100 MB activations per layer. glibc serves
blocks over 32 MB with a fresh mmap, so every forward page-faults its way through
~0.5 GB: measured here, a ReLU over 100 MB took 25.6 ms with a fresh array and
4.9 ms once malloc reuses its heap (PERF_NOTES.md saw the same for PyTorch's conv).
Raising the mmap and trim thresholds makes repeated passes reuse the same pages.
The process keeps its peak memory; set CNNVIS_MALLOC_TUNING=0 to leave malloc alone.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def tune_malloc():
    """Apply the thresholds once; returns True when they took effect."""
    if not sys.platform.startswith("linux") or os.environ.get("CNNVIS_MALLOC_TUNING", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1)
                    and libc.mallopt(M_TOP_PAD, 64 << 20))
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False

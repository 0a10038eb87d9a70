"""cpu_setup(): the process settings cnnvis's command line opts in to; ``import cnnvis`` makes none.

From the standard library alone, so that it can run before NumPy, OpenBLAS and OpenMP load.
Each setting is skipped when the user has made it, and each was measured on this project's
benchmark machine (2-core AMD Zen 4/5 with AVX-512):

* OPENBLAS_CORETYPE=SKYLAKEX on AMD CPUs with AVX-512: NumPy's OpenBLAS does not know Zen 5
  and falls back to its AVX2 'Haswell' kernels; its AVX-512 kernels run sgemm at 350-420
  instead of 200-240 GFLOP/s on our convolution shapes. Only effective before NumPy loads.
* malloc thresholds that keep freed memory for reuse (glibc only). A VGG16 forward at batch 8
  allocates ~100 MB activations per layer; glibc serves blocks over 32 MB with a fresh mmap,
  so every forward page-faults its way through ~0.5 GB: measured here, a ReLU over 100 MB
  took 25.6 ms with a fresh array and 4.9 ms once malloc reuses its heap (PERF_NOTES.md saw
  the same for PyTorch's conv). Raising the mmap and trim thresholds makes repeated passes
  reuse the same pages; the process keeps its peak memory. CNNVIS_MALLOC_TUNING=0: leave it.
"""
import ctypes
import ctypes.util
import os
import sys

AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
_done = {}


def _cpuinfo():
    """/proc/cpuinfo's fields ('vendor_id', 'flags', 'model name', ...) as {name: value}; {} off Linux."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read(1 << 16)
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in fields.items()}


def _avx512(info):
    """True when the CPU has the AVX-512 subsets OpenBLAS's SKYLAKEX kernels use."""
    return AVX512 <= set(info.get("flags", "").split())


def openblas_coretype():
    """The OPENBLAS_CORETYPE set now, or None (already set, NumPy loaded, not needed)."""
    if "OPENBLAS_CORETYPE" in os.environ or "numpy" in sys.modules:
        return None
    info = _cpuinfo()
    if info.get("vendor_id") == "AuthenticAMD" and _avx512(info):
        os.environ["OPENBLAS_CORETYPE"] = "SKYLAKEX"
        return "SKYLAKEX"
    return None


def tune_malloc():
    """Raise glibc's mmap and trim thresholds; True when they took effect."""
    if not sys.platform.startswith("linux") or os.environ.get("CNNVIS_MALLOC_TUNING", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1)
                    and libc.mallopt(M_TOP_PAD, 64 << 20))
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False


def cpu_setup():
    """Apply the settings once (call it before importing NumPy for the first); returns what was
    done: {'openblas_coretype': the value set or None, 'malloc_tuned': bool}."""
    if not _done:
        _done.update(openblas_coretype=openblas_coretype(), malloc_tuned=tune_malloc())
    return dict(_done)


def cpu_setup_report():
    """What cpu_setup() did in this process ({} when it was not called)."""
    return dict(_done)

"""Process settings that only work if made before NumPy, OpenBLAS and OpenMP load.

Imported first by cnnvis/__init__.py, from the standard library alone. Each setting
is skipped when the user has set the variable, and each was measured on this
project's benchmark machine (a 2-core AMD Zen 5 with AVX-512):

* OPENBLAS_CORETYPE=SKYLAKEX on AMD CPUs with AVX-512: NumPy's OpenBLAS does not
  know Zen 5 and falls back to its AVX2 'Haswell' kernels; its AVX-512 kernels
  run sgemm at 350-420 instead of 200-240 GFLOP/s on our convolution shapes.
"""
import os
import sys

AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


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
    """The OPENBLAS_CORETYPE cnnvis sets, or None (already set, NumPy loaded, not needed)."""
    if "OPENBLAS_CORETYPE" in os.environ or "numpy" in sys.modules:
        return None
    info = _cpuinfo()
    if info.get("vendor_id") == "AuthenticAMD" and _avx512(info):
        os.environ["OPENBLAS_CORETYPE"] = "SKYLAKEX"
        return "SKYLAKEX"
    return None


OPENBLAS_CORETYPE_SET = openblas_coretype()

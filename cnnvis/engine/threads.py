"""How the CPU kernels share the cores with the BLAS.

A convolution alternates Numba kernels (parallel loops on an OpenMP pool) and
OpenBLAS GEMMs (its own pool). An OpenMP worker that spin-waits after its loop
steals a core from the next GEMM: measured here, an im2col + GEMM pair went from
10 ms to 56-112 ms. OpenBLAS's own spinning yields the core, so only OpenMP
needs calming: OMP_WAIT_POLICY=PASSIVE makes its workers sleep at once.

libgomp reads that variable when it is loaded. If something loaded it before
cnnvis (``import torch`` first), it is too late, and Numba's 'workqueue' pool
(which sleeps on a condition variable; about 1.2x slower here) is used instead.
"""
import os

import numba


def _libgomp_loaded():
    try:
        with open("/proc/self/maps") as maps:
            return "libgomp" in maps.read()
    except OSError:
        return False


def configure_threads():
    """Set the OpenMP wait policy, or fall back to the workqueue layer; returns the layer asked for."""
    if "OMP_WAIT_POLICY" not in os.environ:
        if _libgomp_loaded():
            numba.config.THREADING_LAYER = "workqueue"
        else:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return numba.config.THREADING_LAYER


def blas_report():
    """One line on the BLAS NumPy uses: library, kernel architecture, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: (install threadpoolctl to see which)"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"BLAS: {i['internal_api']} {i.get('version')} kernels={i.get('architecture')} "
                     f"threads={i['num_threads']}" for i in libs) or "BLAS: unknown"

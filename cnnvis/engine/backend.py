"""Backend selection: NumPy + Numba on the CPU (default), CuPy on a GPU.

Backend-agnostic code asks the arrays it is given for their module, the Chainer way::

    xp = array_module(x)      # numpy or cupy
    y = xp.maximum(x, 0)

The default backend comes from ``set_backend`` or the ``CNNVIS_BACKEND``
environment variable (``cpu`` or ``gpu``). CuPy is imported only when the GPU
is asked for, so cnnvis imports without it.
"""
import os

import numpy as np

from ..errors import BackendError

BACKENDS = ("cpu", "gpu")
_state = {"name": None}


def check_backend(name):
    """``name`` if it is a backend this machine can run, else a BackendError saying why."""
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {BACKENDS} "
                           "(argument backend= or the CNNVIS_BACKEND environment variable)")
    if name == "gpu":
        cupy()  # fails early, with the reason, when there is no usable GPU
    return name


def get_backend():
    """Name of the default backend: set_backend(), else $CNNVIS_BACKEND, else 'cpu'."""
    if _state["name"] is None:
        _state["name"] = check_backend(os.environ.get("CNNVIS_BACKEND", "cpu").strip().lower() or "cpu")
    return _state["name"]


def set_backend(name):
    """Make ``name`` ('cpu' or 'gpu') the default backend for new networks."""
    _state["name"] = check_backend(name)


def cupy():
    """The cupy module, or a BackendError saying why the GPU backend cannot run."""
    try:
        import cupy as cp
    except ImportError as exc:
        raise BackendError("the GPU backend needs CuPy: pip install 'cnnvis[gpu]' "
                           f"(or cupy-cuda12x), or use backend='cpu' ({exc})") from None
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            raise BackendError("CuPy is installed but sees no GPU; use backend='cpu'")
    except cp.cuda.runtime.CUDARuntimeError as exc:
        raise BackendError(f"CuPy cannot reach a GPU ({exc}); use backend='cpu'") from None
    return cp


def is_gpu_array(x):
    """True for a cupy.ndarray, without importing cupy."""
    return type(x).__module__.split(".")[0] == "cupy"


def array_module(x):
    """numpy or cupy, whichever owns ``x``."""
    if is_gpu_array(x):
        import cupy as cp
        return cp
    return np


def to_host(x):
    """A NumPy array holding ``x`` (a copy only when ``x`` lives on the GPU)."""
    if is_gpu_array(x):
        return x.get()
    return np.asarray(x)


def to_device(x, backend):
    """``x`` as an array of ``backend`` ('cpu' -> numpy, 'gpu' -> cupy)."""
    if backend == "gpu":
        return cupy().asarray(x)
    return to_host(x)

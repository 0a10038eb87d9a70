"""Shared test fixtures. cnnvis's CPU settings are applied first, as the command line does
(before NumPy and torch load: see cnnvis/_startup.py)."""
import cnnvis

cnnvis.cpu_setup()

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(params=["auto", "im2col"])
def conv_algorithm(request):
    """Run under both conv paths: 'auto' (Winograd where it applies, else im2col) and 'im2col' only."""
    from cnnvis.engine import ops
    before = ops.settings["conv"]
    ops.set_conv_algorithm(request.param)
    yield request.param
    ops.set_conv_algorithm(before)


@pytest.fixture(scope="session")
def torch():
    import torch as _torch
    _torch.set_num_threads(2)
    return _torch


def rel_err(a, b):
    """max |a - b| / max |b| (0 when both are all zero)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max())

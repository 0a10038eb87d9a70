"""The engine owns the cores: BLAS runs on one thread inside splits and network passes
(engine/parallel.py), and the GEMMs the engine splits itself equal NumPy's."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from cnnvis.engine import ops
from cnnvis.engine.parallel import _blas_libraries, single_threaded_blas, split
from cnnvis.graph import Network
from cnnvis.layers import Dense, Flatten, Identity, ReLU


def blas_threads():
    """Thread counts of the BLAS libraries the engine controls (NumPy's: loaded before cnnvis's
    first split; a BLAS loaded later, torch's or SciPy's, is not the engine's)."""
    ours = {lib.filepath for lib in _blas_libraries()}
    return [lib["num_threads"] for lib in threadpool_info() if lib["filepath"] in ours]


@pytest.fixture
def two_blas_threads():
    if not blas_threads():
        pytest.fail("threadpoolctl sees no BLAS library; NumPy without BLAS?")
    with threadpool_limits(2, "blas"):
        yield


def test_single_threaded_blas_restores_and_nests(two_blas_threads):
    assert set(blas_threads()) == {2}
    with single_threaded_blas():
        assert set(blas_threads()) == {1}
        with single_threaded_blas():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}  # the inner block restores what it found
    assert set(blas_threads()) == {2}


def test_splits_run_blas_on_one_thread(two_blas_threads):
    seen = split(4, lambda lo, hi: blas_threads())
    assert all(set(v) == {1} for v in seen)
    assert set(blas_threads()) == {2}


class Probe(Identity):
    """Records the BLAS thread counts each time a pass runs it."""

    def forward(self, x):
        self.seen.append(blas_threads())
        return x, None

    def backward(self, g, cache, rule="gradient"):
        self.seen.append(blas_threads())
        return (g,)


def test_network_passes_hold_blas_on_one_thread(two_blas_threads):
    probe = Probe(name="probe")
    probe.seen = []
    rng = np.random.default_rng(0)
    net = Network([Flatten(), Dense(12, 6, rng=rng), ReLU(), probe, Dense(6, 3, rng=rng)], (3, 2, 2))
    x = np.random.default_rng(1).standard_normal((2, 3, 2, 2)).astype(np.float32)
    out = net.forward(x)
    net.backward(np.ones_like(out))
    net.param_gradients(np.ones_like(out))  # the first Dense's: through the probe
    assert len(probe.seen) == 3 and all(set(v) == {1} for v in probe.seen)
    assert set(blas_threads()) == {2}  # given back after each pass


@pytest.mark.parametrize("m, k, n", [(1, 25088, 4096), (8, 512, 1000), (3, 5, 7), (64, 300, 1)])
def test_split_matmul_equals_numpy(m, k, n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    for b in (w.T, np.ascontiguousarray(w.T)):  # a transposed view (a dense layer's W.T) and a copy
        y = ops.matmul(a, b)
        assert y.shape == (m, n) and y.dtype == np.float32
        np.testing.assert_allclose(y, a @ b, rtol=1e-5, atol=1e-5 * np.sqrt(k))

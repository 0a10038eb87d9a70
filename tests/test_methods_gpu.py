"""Every gradient method of issue 3 on the GPU backend equals the CPU backend (marker 'gpu',
deselected by default: run `pytest -m gpu` on a machine with CuPy and a GPU). The methods
take xp from their arrays, so the same code runs on both; this checks that nothing in them
mixes host and device arrays. Inputs are given as NumPy arrays (the methods move them) and
as CuPy arrays.

TOL = 1e-4 relative: float32 on two devices (cuBLAS and OpenBLAS/Winograd sum in different
orders), as tests/test_gpu.py.
"""
import numpy as np
import pytest

from conftest import rel_err
import cnnvis
from cnnvis import methods as M
from cnnvis.errors import BackendError

pytestmark = pytest.mark.gpu
TOL = 1e-4

METHODS = {
    "saliency": lambda n, x: M.saliency(n, x, [1, 3], times_input=True),
    "deconvnet unit": lambda n, x: M.deconvnet(n, x, M.Unit("block2_conv1_relu", 2)),
    "guided backprop": lambda n, x: M.guided_backprop(n, x, [1, 3]),
    "top-k": lambda n, x: M.deconvnet_top_k(n, x, "block2_conv1_relu", k=2).projections,
    "gradcam": lambda n, x: M.gradcam(n, x, [1, 3]),
    "gradcam++": lambda n, x: M.gradcam_plus_plus(n, x, [1, 3]),
    "guided gradcam": lambda n, x: M.guided_gradcam(n, x, [1, 3], upsample="bilinear"),
    "scorecam": lambda n, x: M.scorecam(n, x, [1, 3], batch_size=7, progress=False),
    "scorecam, the authors' code": lambda n, x: M.scorecam(n, x, [1, 3], batch_size=7, definition="code",
                                                          progress=False),
    "smoothgrad": lambda n, x: M.smoothgrad(n, x, [1, 3], n=3, seed=0, progress=False),
    "integrated gradients": lambda n, x: M.integrated_gradients(
        n, x, [1, 3], baseline="blur", steps=6, progress=False).attributions,
    "fgsm": lambda n, x: M.fgsm(n, x, [1, 3], epsilon=2.0).x,
    "iterative fgsm": lambda n, x: M.iterative_fgsm(n, x, [1, 3], epsilon=3.0, targeted=True,
                                                    progress=False).x,
}


@pytest.fixture(scope="module")
def nets():
    try:
        cp = cnnvis.engine.backend.cupy()
    except BackendError as exc:
        pytest.skip(f"no GPU backend here: {exc}")
    cpu = cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32), classes=5, seed=0)
    gpu = cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32), classes=5, seed=0).to("gpu")
    x = np.random.default_rng(1).uniform(0, 1, (2, 3, 32, 32)).astype(np.float32)
    return cpu, gpu, x, cp


@pytest.mark.parametrize("name", list(METHODS))
def test_method_on_gpu_equals_cpu(nets, name):
    cpu, gpu, x, cp = nets
    method = METHODS[name]
    reference = method(cpu, x)
    for given in (x, cp.asarray(x)):
        result = method(gpu, given)
        assert isinstance(result, np.ndarray)  # public results are host arrays
        if name in ("fgsm", "iterative fgsm"):
            # sign(gradient) flips where a gradient is within rounding of 0: count, not size
            assert np.mean(np.abs(result - reference) > 1e-6) <= 1e-3
        else:
            assert rel_err(result, reference) <= TOL

"""Parity on a real GPU (marker 'gpu', deselected by default; run `pytest -m gpu` on a GPU
machine): the CuPy backend against the CPU backend and against PyTorch on CUDA.
Skipped, with the reason, where CuPy or a GPU is missing."""
import numpy as np
import pytest

import cnnvis
from cnnvis.errors import BackendError

pytestmark = pytest.mark.gpu


def _gpu_or_skip():
    try:
        return cnnvis.engine.backend.cupy()
    except BackendError as exc:
        pytest.skip(f"no GPU backend here: {exc}")


# float32 on two devices: cuBLAS and OpenBLAS/Winograd sum in different orders
TOL = 1e-4


@pytest.mark.parametrize("conv", ["auto", "im2col"])
def test_vgg_forward_backward_matches_cpu(conv):
    _gpu_or_skip()
    from cnnvis.engine import ops
    ops.set_conv_algorithm(conv)
    try:
        cpu = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 32, 32), classes=10, seed=0)
        gpu = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 32, 32), classes=10, seed=0, ).to("gpu")
        x = np.random.default_rng(0).standard_normal((4, 3, 32, 32)).astype(np.float32)
        for rule in ("gradient", "deconvnet", "guided"):
            yc, yg = cpu.forward(x, until="predictions"), cnnvis.to_host(gpu.forward(x, until="predictions"))
            assert np.abs(yc - yg).max() <= TOL * np.abs(yc).max()
            seed = np.ones_like(yc)
            gc = cpu.backward(seed, start="predictions", rule=rule)
            gg = cnnvis.to_host(gpu.backward(seed, start="predictions", rule=rule))
            assert np.abs(gc - gg).max() <= TOL * np.abs(gc).max()
    finally:
        ops.set_conv_algorithm("auto")


def test_methods_match_cpu():
    _gpu_or_skip()
    from cnnvis.methods import gradcam, guided_backprop, integrated_gradients, saliency
    from cnnvis.methods.occlusion import occlusion
    cpu = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 32, 32), classes=10, seed=0)
    gpu = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 32, 32), classes=10, seed=0).to("gpu")
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    for method in (lambda n: saliency(n, x, 3), lambda n: guided_backprop(n, x, 3), lambda n: gradcam(n, x, 3),
                   lambda n: integrated_gradients(n, x, 3, steps=8),
                   lambda n: occlusion(n, x, 3, 8, 4, progress=False).heatmap):
        a, b = method(cpu), method(gpu)
        a, b = np.asarray(getattr(a, "attributions", a)), np.asarray(getattr(b, "attributions", b))
        assert np.abs(a - b).max() <= TOL * max(1e-6, np.abs(a).max())


def test_layers_match_torch_cuda():
    cp = _gpu_or_skip()
    import torch
    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no CUDA here")
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    from cnnvis.verify.torch_mirror import torch_mirror
    net = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 32, 32), classes=10, seed=0)
    model = torch_mirror(net).cuda()
    net.to("gpu")
    x = np.random.default_rng(2).standard_normal((4, 3, 32, 32)).astype(np.float32)
    xt = torch.from_numpy(x).cuda().requires_grad_(True)
    yt = model[:-1](xt)
    yt[:, 1].sum().backward()
    y = net.forward(cp.asarray(x), until="predictions")
    seed = cp.zeros_like(y)
    seed[:, 1] = 1
    g = net.backward(seed, start="predictions")
    assert np.abs(cnnvis.to_host(y) - yt.detach().cpu().numpy()).max() <= TOL * float(yt.abs().max())
    assert np.abs(cnnvis.to_host(g) - xt.grad.cpu().numpy()).max() <= TOL * float(xt.grad.abs().max())

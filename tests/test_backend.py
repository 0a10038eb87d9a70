"""Backend selection: CPU by default, the GPU by name or CNNVIS_BACKEND, clear errors without one."""
import subprocess
import sys

import numpy as np
import pytest

import cnnvis
from cnnvis.engine import backend
from cnnvis.errors import BackendError


def test_array_module_and_to_host():
    x = np.arange(3.0)
    assert backend.array_module(x) is np
    assert backend.to_host(x) is x
    assert backend.to_device([1, 2], "cpu").tolist() == [1, 2]


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(BackendError, match="unknown backend 'tpu'"):
        backend.set_backend("tpu")


def test_a_network_on_an_unknown_backend_is_a_clear_error():
    # it used to take any name and run on the CPU, reporting net.backend == 'tpu'
    from cnnvis.layers import ReLU
    from cnnvis.graph import Network
    with pytest.raises(BackendError, match="unknown backend 'tpu'"):
        cnnvis.small_vgg().to("tpu")
    with pytest.raises(BackendError, match="unknown backend 'GPU '"):
        Network([ReLU()], (1, 4, 4), backend="GPU ")


def _has_gpu():
    try:
        backend.cupy()
        return True
    except BackendError:
        return False


@pytest.mark.skipif(_has_gpu(), reason="checks the error raised where there is no GPU")
def test_gpu_without_one_is_a_clear_error():
    with pytest.raises(BackendError, match="backend='cpu'"):
        backend.set_backend("gpu")
    with pytest.raises(BackendError, match="backend='cpu'"):
        cnnvis.small_vgg().to("gpu")


def test_environment_variable_and_import_without_cupy():
    """CNNVIS_BACKEND selects the default; cnnvis imports without cupy (the GPU is asked for lazily)."""
    code = ("import sys, cnnvis; assert 'cupy' not in sys.modules; "
            "print(cnnvis.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"CNNVIS_BACKEND": "cpu", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "cpu"
    bad = subprocess.run([sys.executable, "-c", "import cnnvis; cnnvis.get_backend()"],
                         capture_output=True, text=True, env={"CNNVIS_BACKEND": "quantum", "PATH": ""})
    assert bad.returncode != 0 and "unknown backend 'quantum'" in bad.stderr

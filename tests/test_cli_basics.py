"""`cnnvis` itself: help, info, summary, and clear errors."""
import subprocess
import sys

from cnnvis.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name.replace("_", "-") in out


def test_info_reports_the_setup(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "BLAS:" in out and "CPU threads" in out


def test_summary_of_the_bundled_model(capsys):
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "block2_conv2" in out and "870,634 parameters" in out and "16x16 / 4" in out


def test_missing_weights_file_is_a_clear_error(capsys, tmp_path):
    assert main(["summary", "--weights", str(tmp_path / "nope.h5")]) == 2
    assert "not found" in capsys.readouterr().err


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "cnnvis.cli", "summary", "--model", "vgg16-notop"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "14,714,688 parameters" in out.stdout

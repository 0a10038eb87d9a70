"""`cnnvis evaluate`: the table, its CSV and the figures; options checked before any work."""
import csv
import os

import pytest

from cnnvis.cli import main


def test_evaluate_writes_the_table_and_figures(tmp_path, capsys):
    out = tmp_path / "ev"
    argv = ["evaluate", "--images", "3", "--methods", "saliency", "gradcam", "random", "--metrics", "deletion",
            "insertion", "randomization", "pointing-game", "--step", "0.25", "--similarities", "spearman",
            "--sanity-images", "2", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"{out}\n"  # the path written, alone on stdout
    printed = (out / "table.txt").read_text(encoding="utf-8")
    assert "randomization:spearman" in printed and "pointing-game" in printed and "*" in printed
    assert sorted(os.listdir(out)) == ["curves.png", "randomization.png", "table.csv", "table.txt"]
    with open(out / "table.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {(r["method"], r["metric"]) for r in rows} == {
        (m, c) for m in ("saliency", "gradcam", "random")
        for c in ("deletion", "insertion", "randomization:spearman", "pointing-game")}
    random = {r["metric"]: float(r["mean"]) for r in rows if r["method"] == "random"}
    assert random["randomization:spearman"] == pytest.approx(1.0)  # the control ignores the model
    assert all(r["n"] == "3" for r in rows if r["metric"] in ("deletion", "insertion"))


@pytest.mark.parametrize("argv, expected", [
    (["--step", "0"], "step must be a fraction"),
    (["--step", "2"], "argument --step"),
    (["--metrics", "accuracy"], "argument --metrics: invalid choice"),
    (["--image", "cat", "--target", "label"], "--target label needs the bundled samples"),
    (["cat", "dog", "--target", "label"], "--target label needs the bundled samples"),
    (["--model", "vgg16-notop", "--metrics", "data-randomization"], "--random-labels"),
])
def test_bad_options_are_refused_before_any_work(tmp_path, capsys, argv, expected):
    assert main(["evaluate", "--out", str(tmp_path / "ev"), "--quiet"] + argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "ev").exists()

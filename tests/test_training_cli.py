"""`cnnvis train` end to end on a tiny synthetic digits CSV: every promised output is written."""
import gzip
import json

import numpy as np
from PIL import Image

from cnnvis.cli import main
from cnnvis.loading import load


def digits_csv(tmp_path):
    """A gzipped CSV of 60 two-class 28x28 'digits' (bright left or right half)."""
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 2
    pixels = rng.integers(0, 40, (60, 28, 28))
    pixels[labels == 0, :, :14] += 200  # two classes: bright left or right half
    pixels[labels == 1, :, 14:] += 200
    rows = np.concatenate([pixels.reshape(60, -1), labels[:, None]], axis=1)
    csv = tmp_path / "digits.csv.gz"
    csv.write_bytes(gzip.compress("\n".join(",".join(map(str, r)) for r in rows).encode()))
    return csv


def test_train_command_writes_its_outputs(tmp_path, capsys):
    csv = digits_csv(tmp_path)
    out = tmp_path / "run"
    code = main(["train", "--dataset", str(csv), "--widths", "4", "--convs", "1", "--hidden", "8",
                 "--epochs", "2", "--batch-size", "16", "--val", "10", "--test-size", "10",
                 "--optimizer", "sgd", "--lr", "0.05", "--nesterov", "--weight-decay", "1e-4",
                 "--flip", "--shift", "1", "--gifs", "--gif-class", "1", "--gif-steps", "3",
                 "--out", str(out), "--quiet"])
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out / "model.h5")  # --quiet: only the model path
    net = load(out / "model.h5")
    assert net.class_names == [str(d) for d in range(10)] and net["block1_conv1"].out_channels == 4
    history = json.loads((out / "checkpoints" / "history.json").read_text())
    assert [r["epoch"] for r in history["epochs"]] == [1, 2]
    assert history["config"]["optimizer"] == "SGD" and history["config"]["nesterov"] is True
    assert history["config"]["train_size"] == 40 and history["config"]["val_size"] == 10
    assert sorted(p.name for p in (out / "checkpoints").glob("*.h5")) == \
        ["epoch_000.h5", "epoch_001.h5", "epoch_002.h5"]
    assert (out / "test.csv").read_text().splitlines()[0] == "epoch,test_loss,test_acc"
    for name, frames in (("curves.png", 1), ("filters.gif", 3), ("class_model.gif", 3)):
        with Image.open(out / name) as img:
            assert getattr(img, "n_frames", 1) == frames


def test_train_command_reports_user_errors(tmp_path, capsys):
    code = main(["train", "--dataset", str(tmp_path / "missing.csv"), "--quiet", "--out", str(tmp_path)])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_a_bad_gif_class_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    csv = str(digits_csv(tmp_path))
    assert main(["train", "--dataset", csv, "--gifs", "--gif-class", "eleven", "--test-size", "10",
                 "--out", str(out), "--quiet"]) == 2
    assert "no class 'eleven'" in capsys.readouterr().err and not out.exists()
    assert main(["train", "--dataset", csv, "--out", str(out), "--quiet"]) == 2  # --test-size 1000
    assert "--test-size 1000 does not fit the 60 images" in capsys.readouterr().err and not out.exists()

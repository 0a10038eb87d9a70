"""Issue 19, item 8: docs/units.md and the command line agree. Every picture of the page is
written by a command the page shows (docs/make_units_images.py runs exactly those), every such
command is one the CLI takes, and one rerun here draws the committed picture again."""
import os
import re
import sys

import numpy as np
from PIL import Image
from cli_runs import cli, texts

from cnnvis.cli import build_parser

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
sys.path.insert(0, DOCS)
import make_units_images  # noqa: E402


def pictures():
    page = open(os.path.join(DOCS, "units.md"), encoding="utf-8").read()
    return sorted(set(re.findall(r"!\[[^\]]*\]\((images/units_[^)]+)\)", page)))


def test_every_picture_of_the_page_is_made_by_a_command_it_shows(tmp_path):
    made = {name for _, written in make_units_images.commands() for name in written}
    assert pictures() and set(pictures()) <= made
    assert all(os.path.exists(os.path.join(DOCS, name)) for name in made)
    parser = build_parser()
    for argv, _ in make_units_images.commands():
        args = parser.parse_args([str(tmp_path) if a == "PHOTO_CROPS" else a for a in argv])  # the CLI takes it
        assert args.func


def test_a_docs_command_draws_the_docs_picture_again(tmp_path, capsys, monkeypatch):
    (argv, (name,)), = [(a, w) for a, w in make_units_images.commands() if w == ["images/units_predictions_right_bundled.png"]]
    monkeypatch.chdir(DOCS)
    out = tmp_path / "again.png"
    ran = cli(capsys, monkeypatch, *[str(out) if a == name else a for a in argv], "-q")
    assert ran.code == 0 and "label: Pullover" in texts(ran.figure)  # the true label: the CLI draws it
    again, committed = (np.asarray(Image.open(p).convert("RGB"), np.float64) for p in (out, os.path.join(DOCS, name)))
    assert again.shape == committed.shape and np.abs(again - committed).mean() < 2


def test_embed_takes_a_folder_and_a_size(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for k in range(4):
            Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(tmp_path / label / f"{k}.png")
    ran = cli(capsys, monkeypatch, "embed", "--source", tmp_path, "--model", "vgg16-notop", "--size", "32", "32",
              "--perplexity", "2", "-o", tmp_path / "e.png")
    assert ran.code == 0 and "input: images fitted to 32x32 (centre crop)" in ran.err
    assert {"cats", "dogs"} <= set(texts(ran.figure))  # a class per subfolder
    ran = cli(capsys, monkeypatch, "embed", "--source", tmp_path / "cats", "-o", tmp_path / "f.png", "-q")
    assert ran.code == 0  # a flat folder: coloured by the bundled model's predictions

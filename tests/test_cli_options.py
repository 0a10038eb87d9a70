"""Every number a command takes is checked as it is parsed, with the option's name in the
message: `cnnvis CMD: error: argument --NAME: ...`, exit status 2, no work done, nothing written."""
import argparse

import pytest

from cnnvis.cli import build_parser, main
from cnnvis.commands import options

CHECKED = {options.positive_int, options.nonneg_int, options.positive_float, options.nonneg_float,
           options.fraction, options.unit_interval, options.speedup, options.ints, options.sizes}
# plain int on purpose: a negative channel is an out-of-range error naming the range, and
# trace's --target has choices (0, 1)
PLAIN = {("feature-maps", "--channel"), ("deepdream", "--channel"), ("trace", "--target")}


def typed_options(parser=None, command=""):
    """(command, option, its type) of every option of every command that has a type."""
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from typed_options(sub, f"{command} {name}".strip())
        elif action.type is not None:
            yield command, (action.option_strings or [action.dest])[0], action.type


def test_every_number_option_is_checked_where_it_is_parsed():
    found = [(c, o, t) for c, o, t in typed_options() if not t.__name__.endswith(("file", "folder"))]
    assert len(found) > 70
    for command, option, kind in found:
        assert kind in CHECKED or (command, option) in PLAIN, f"{command} {option}: {kind.__name__}"


@pytest.mark.parametrize("argv, option, expected", [
    (["actmax", "--steps", "0"], "--steps", "a whole number >= 1"),
    (["actmax", "--size", "0", "0"], "--size", "a whole number >= 1"),
    (["actmax", "--lr", "nan"], "--lr", "a finite number > 0"),
    (["actmax", "--start", "2"], "--start", "<= 1"),
    (["actmax", "--seed", "-3"], "--seed", "a whole number >= 0"),
    (["embed", "--limit", "-5"], "--limit", "a whole number >= 1"),
    (["gradcheck", "conv", "--kernel", "0"], "--kernel", "a whole number >= 1"),
    (["gradcheck", "dropout", "--p", "1"], "--p", "< 1"),
    (["explain", "cat", "-m", "fgsm", "-o", "x.png", "--epsilon", "inf"], "--epsilon", "a finite number >= 0"),
    (["explain", "cat", "-m", "fgsm", "-o", "x.png", "--epsilon", "nan"], "--epsilon", "a finite number >= 0"),
    (["explain", "cat", "-m", "occlusion", "-o", "x.png", "--patch", "1.5"], "--patch", "a whole number"),
    (["explain", "cat", "-m", "occlusion", "-o", "x.png", "--speedup", "1"], "--speedup", "a finite number > 1"),
    (["deepdream", "--layer", "block1_conv1", "--lr", "-1"], "--lr", "a finite number > 0"),
    (["filters", "--max-filters", "0"], "--max-filters", "a whole number >= 1"),
    (["top-patches", "--layer", "block1_conv1", "--channels", "5-2"], "--channels", "0,3,5 or 0-7"),
    (["train", "--lr", "nan"], "--lr", "a finite number > 0"),
    (["train", "--widths", "32,0"], "--widths", "positive whole numbers"),
    (["train", "--dropout", "1.5"], "--dropout", "< 1"),
    (["predict", "--k", "0"], "--k", "a whole number >= 1"),
    (["trace", "--size", "0"], "--size", "a whole number >= 1"),
])
def test_a_bad_number_is_refused_with_the_options_name(tmp_path, monkeypatch, capsys, argv, option, expected):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"cnnvis {argv[0]}" in err and f"error: argument {option}" in err and expected in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", ["-1", "10"])
def test_a_class_index_out_of_range_names_the_range(tmp_path, capsys, target):
    out = tmp_path / "x.png"
    assert main(["explain", "sample:0", "-m", "saliency", "--target", target, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"class {target} is out of range" in err and "(0 .. 9)" in err and not out.exists()

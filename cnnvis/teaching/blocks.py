"""A small format-neutral document: headings, prose with math, display equations and grids
of numbers side by side; formats.py writes it as plain text, Markdown or LaTeX.

Numbers are printed exactly: an array whose entries are all integers prints as integers,
any other with a fixed number of decimals (``DECIMALS``).
"""
from dataclasses import dataclass

import numpy as np

DECIMALS = 4


@dataclass(frozen=True)
class Math:
    """One formula in two spellings: plain text (terminals) and LaTeX (Markdown, LaTeX)."""
    plain: str
    latex: str


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    """Prose: a sequence of str and Math pieces, written one after the other."""
    parts: tuple


@dataclass(frozen=True)
class Display:
    """Displayed equations, one per line."""
    lines: tuple


def display(*maths):
    return Display(tuple(maths))


@dataclass(frozen=True)
class Grid:
    """A labelled table of already formatted cells (rows of str)."""
    label: Math
    cells: tuple


@dataclass(frozen=True)
class Grids:
    """Grids shown side by side (one row of them)."""
    grids: tuple


def para(*parts):
    return Para(tuple(parts))


def is_integral(a):
    a = np.asarray(a, np.float64)
    return bool(np.all(a == np.round(a)))


def number(v, integral=None, decimals=DECIMALS):
    """One number as a string: an integer if it is one (or integral=True), else fixed decimals;
    never '-0'."""
    v = float(v)
    if integral if integral is not None else v == round(v):
        return str(round(v))
    text = f"{v:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def numbers(a, decimals=DECIMALS):
    """An array of numbers as an array of strings, all integers or all with ``decimals`` decimals."""
    a = np.asarray(a, np.float64)
    integral = is_integral(a)
    return np.vectorize(lambda v: number(v, integral, decimals), otypes=[object])(a)


def grid(label, values):
    """A Grid of a 1-D or 2-D array of numbers (or of strings already)."""
    a = np.asarray(values)
    cells = numbers(a) if a.dtype.kind in "fiub" else a
    cells = np.atleast_2d(cells)
    return Grid(label, tuple(tuple(str(c) for c in row) for row in cells))


def plane_grids(label, maps):
    """One Grid per channel of maps (C, H, W); a single channel gets the label alone."""
    if len(maps) == 1:
        return [grid(label, maps[0])]
    return [grid(Math(f"{label.plain}, channel {k}", f"{label.latex}\\ (\\text{{channel }} {k})"), m)
            for k, m in enumerate(maps)]

"""Write a document of blocks.py as plain text, Markdown (GitHub math) or LaTeX."""
import textwrap

from .blocks import Display, Grids, Heading, Para

FORMATS = ("text", "markdown", "latex")
WIDTH = 100      # text: wrap prose and grid rows at this many columns
NBSP = "\u00a0"  # keeps a formula on one line while prose is wrapped


def write(blocks, fmt="text"):
    """The document as one string in ``fmt`` ('text', 'markdown' or 'latex'), ending in a newline."""
    writer = {"text": _text, "markdown": _markdown, "latex": _latex}[fmt]
    head = [_latex_preamble(blocks)] if fmt == "latex" else []
    return "\n\n".join(head + [writer(b) for b in blocks]) + "\n"


# ---- grids as aligned columns (text, and Markdown code blocks) --------------------------------
def grid_lines(g):
    """A grid as lines: its label, then the cells right-aligned in columns."""
    width = max(len(c) for row in g.cells for c in row)
    rows = ["  ".join(c.rjust(width) for c in row) for row in g.cells]
    return [g.label.plain] + ["  " + r for r in rows]


def grids_lines(grids, width=WIDTH):
    """Grids side by side, wrapped onto further rows when wider than ``width``."""
    blocks = [grid_lines(g) for g in grids]
    rows, row, used = [], [], 0
    for b in blocks:
        w = max(len(line) for line in b)
        if row and used + 4 + w > width:
            rows.append(row)
            row, used = [], 0
        row.append((b, w))
        used += w + (4 if used else 0)
    rows.append(row)
    lines = []
    for k, row in enumerate(rows):
        if k:
            lines.append("")
        height = max(len(b) for b, _ in row)
        for i in range(height):
            cells = [(b[i] if i < len(b) else "").ljust(w) for b, w in row]
            lines.append("    ".join(cells).rstrip())
    return lines


# ---- text ----------------------------------------------------------------------------------
def _prose(parts, math, escape=lambda s: s):
    return "".join(escape(p) if isinstance(p, str) else math(p) for p in parts)


def _text(b):
    if isinstance(b, Heading):
        if b.level == 1:
            return f"{b.text}\n{'=' * len(b.text)}"
        return f"{b.text}\n{'-' * len(b.text)}" if b.level == 2 else f"* {b.text}"
    if isinstance(b, Para):
        joined = _prose(b.parts, lambda m: m.plain.replace(" ", NBSP))
        return textwrap.fill(joined, WIDTH, break_on_hyphens=False, break_long_words=False).replace(NBSP, " ")
    if isinstance(b, Display):
        return "\n".join("    " + m.plain for m in b.lines)
    if isinstance(b, Grids):
        return "\n".join(grids_lines(b.grids))
    raise TypeError(f"not a block: {b!r}")


# ---- Markdown ------------------------------------------------------------------------------
def _markdown(b):
    if isinstance(b, Heading):
        return f"{'#' * b.level} {b.text}"
    if isinstance(b, Para):
        return _prose(b.parts, lambda m: f"${m.latex}$")
    if isinstance(b, Display):
        return f"```math\n{_gathered(b)}\n```"
    if isinstance(b, Grids):
        return "```text\n" + "\n".join(grids_lines(b.grids)) + "\n```"
    raise TypeError(f"not a block: {b!r}")


def _gathered(b):
    """The LaTeX of a Display: one formula, or several centred lines."""
    if len(b.lines) == 1:
        return b.lines[0].latex
    return "\\begin{gathered} " + r" \\ ".join(m.latex for m in b.lines) + " \\end{gathered}"


# ---- LaTeX ---------------------------------------------------------------------------------
LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


def _latex_preamble(blocks):
    """What a LaTeX fragment needs: amsmath, and room for its widest matrix (amsmath allows 10)."""
    widest = max((len(row) for b in blocks if isinstance(b, Grids) for g in b.grids for row in g.cells),
                 default=0)
    return ("% a LaTeX fragment: \\input it into a document that loads amsmath\n"
            f"\\setcounter{{MaxMatrixCols}}{{{max(widest, 10)}}}")


def latex_escape(text):
    return "".join(LATEX_SPECIAL.get(ch, ch) for ch in text)


def _bmatrix(g):
    body = r" \\ ".join(" & ".join(row) for row in g.cells)
    return f"{g.label.latex} = \\begin{{bmatrix}} {body} \\end{{bmatrix}}"


def _latex(b):
    if isinstance(b, Heading):
        command = ("section", "subsection", "paragraph")[min(b.level, 3) - 1]
        return f"\\{command}*{{{latex_escape(b.text)}}}"
    if isinstance(b, Para):
        return _prose(b.parts, lambda m: f"${m.latex}$", latex_escape)
    if isinstance(b, Display):
        return f"\\[ {_gathered(b)} \\]"
    if isinstance(b, Grids):
        return "\\[ " + r" \qquad ".join(_bmatrix(g) for g in b.grids) + " \\]"
    raise TypeError(f"not a block: {b!r}")


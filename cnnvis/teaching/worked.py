"""Worked entries: a formula with the numbers of the trace substituted, in plain text and
LaTeX, e.g. y[0,0,1] = 1 + 2*1 + 1*2 + (-2)*1 = 3."""
from .blocks import Math, number


def idx(*ix):
    return ",".join(str(int(i)) for i in ix)


def at(name, *ix):
    """name[i,j] in plain text, name_{i,j} in LaTeX."""
    return Math(f"{name}[{idx(*ix)}]", f"{name}_{{{idx(*ix)}}}")


def value(v):
    """A number as a factor: negative numbers in parentheses."""
    text = number(v)
    return f"({text})" if text.startswith("-") else text


def worked(lhs, start, terms, result):
    """lhs = start + a1*b1 + a2*b2 + ... = result (terms: (a, b) pairs with no zero factor)."""
    plain = [number(start)] if start is not None else []
    latex = list(plain)
    for a, b in terms:
        plain.append(f"{value(a)}*{value(b)}")
        latex.append(f"{value(a)} \\cdot {value(b)}")
    if not plain:
        return Math(f"{lhs.plain} = {number(result)} (every term has a zero factor)",
                    f"{lhs.latex} = {number(result)}\\ \\text{{(every term has a zero factor)}}")
    return Math(f"{lhs.plain} = {' + '.join(plain)} = {number(result)}",
                f"{lhs.latex} = {' + '.join(latex)} = {number(result)}")


def where(k, channels):
    """A position (c, h, w) in words: '(h,w)' when there is one channel."""
    return f"({k[1]},{k[2]})" if channels == 1 else f"channel {k[0]}, ({k[1]},{k[2]})"


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def position(rc):
    return f"({int(rc[0])},{int(rc[1])})"

"""Teaching the exact backprop rules: a tiny network traced by hand-checkable numbers
(`cnnvis trace`), and the walkthrough docs/backprop-rules.md generated from the engine."""
from ..errors import InputError
from ..layers import RULES
from .explain import explain
from .formats import FORMATS, write
from .tiny import TinySpec, tiny_example
from .trace import Trace, trace_example


def trace_report(spec=None, seed=0, rules=RULES, target=None, fmt="text"):
    """The trace of the tiny example of ``seed`` as a string in ``fmt`` ('text', 'markdown',
    'latex'): forward values, switches, and the backward pass under each of ``rules``."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {FORMATS}, got {fmt!r}")
    return write(explain(trace_example(spec, seed, rules, target)), fmt)


__all__ = ["FORMATS", "TinySpec", "Trace", "explain", "tiny_example", "trace_example", "trace_report",
           "write"]

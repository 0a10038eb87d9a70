"""Teaching the exact backprop rules: a tiny network and a tiny residual block traced by
hand-checkable numbers (`cnnvis trace`, `cnnvis trace --residual`), and the walkthrough
docs/backprop-rules.md generated from the engine."""
from ..errors import InputError
from ..layers import RULES
from .explain import explain
from .formats import FORMATS, write
from .residual import ResidualSpec, residual_example
from .residual_explain import explain_residual
from .residual_trace import ResidualTrace, trace_residual
from .tiny import TinySpec, tiny_example
from .trace import Trace, trace_example


def trace_report(spec=None, seed=0, rules=RULES, target=None, fmt="text", residual=False):
    """The trace of the tiny example of ``seed`` as a string in ``fmt`` ('text', 'markdown',
    'latex'): forward values, switches, and the backward pass under each of ``rules``.
    residual=True (or a ResidualSpec): the tiny residual block instead (residual.py)."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {FORMATS}, got {fmt!r}")
    if residual or isinstance(spec, ResidualSpec):
        return write(explain_residual(trace_residual(spec, seed, rules, target)), fmt)
    return write(explain(trace_example(spec, seed, rules, target)), fmt)


__all__ = ["FORMATS", "ResidualSpec", "ResidualTrace", "TinySpec", "Trace", "explain", "explain_residual",
           "residual_example", "tiny_example", "trace_example", "trace_report", "trace_residual", "write"]

"""Shared setup for the benchmarks: CPU settings, A/B timing, the report header.

Every benchmark compares cnnvis with PyTorch (or Captum) in the same process, interleaving
the two sides (A B A B ...) and reporting medians and their ratio, because this 2-core
machine is shared and its speed drifts (PERF_NOTES.md).

BLAS kernels: NumPy's OpenBLAS picks its AVX2 'Haswell' kernels on AMD Zen 5, and the
project machines also preset OPENBLAS_CORETYPE=Haswell. With --blas auto (default) a
benchmark re-runs itself with OPENBLAS_CORETYPE=SKYLAKEX when the CPU has AVX-512 (PyTorch's
oneDNN uses AVX-512 there too); --blas keep leaves the environment alone. The header
states which kernels ran.
"""
import argparse
import os
import statistics
import sys
import time


def parse(description, add_arguments=None, argv=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--blas", choices=("auto", "keep"), default="auto",
                        help="auto: use OpenBLAS's AVX-512 kernels where the CPU has them (default)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions per side")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    if "numpy" in sys.modules:
        raise RuntimeError("benchmarks must call parse() before importing numpy (it may restart the process)")
    if args.blas == "auto" and os.environ.get("OPENBLAS_CORETYPE") != "SKYLAKEX":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from cnnvis._startup import _avx512, _cpuinfo
        if _avx512(_cpuinfo()):
            env = dict(os.environ, OPENBLAS_CORETYPE="SKYLAKEX")
            os.execve(sys.executable, [sys.executable] + sys.argv, env)
    return args


def setup_torch():
    """cnnvis's CPU settings first (they must precede PyTorch's OpenMP), then torch on 2 threads."""
    import cnnvis
    cnnvis.cpu_setup()
    import torch
    torch.set_num_threads(2)
    return torch


def header(title):
    """The report's first lines: versions (torch's when the benchmark loaded it), BLAS, CPU, command."""
    import numpy as np

    import cnnvis
    from cnnvis._startup import _cpuinfo
    from cnnvis.engine.parallel import blas_report, num_threads
    torch = sys.modules.get("torch")
    with_torch = f"torch {torch.__version__} ({torch.get_num_threads()} threads), " if torch else ""
    print(f"# {title}")
    print(f"cnnvis {cnnvis.__version__}, {with_torch}numpy {np.__version__}, cnnvis CPU threads {num_threads()}")
    print(f"{blas_report()}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}; "
          f"CPU: {_cpuinfo().get('model name', 'unknown')}, {os.cpu_count()} cores")
    print(f"command: python {' '.join(sys.argv)}")
    print()


def time_ab(sides, repeats=5, warmup=1):
    """Median seconds of each callable in ``sides`` ({name: fn}), run interleaved."""
    for fn in sides.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in sides}
    for _ in range(repeats):
        for name, fn in sides.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}


def table(rows, headers):
    """Print a Markdown table."""
    widths = [max(len(str(r[k])) for r in rows + [headers]) for k in range(len(headers))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()

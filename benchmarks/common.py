"""Shared setup for the benchmarks: CPU settings, A/B timing, the report header.

Every benchmark compares cnnvis with PyTorch (or Captum) in the same process, interleaving
the two sides (A B A B ...) and reporting medians and their ratio, because this 2-core
machine is shared and its speed drifts (PERF_NOTES.md). PyTorch runs on as many threads as
cnnvis (setup_torch). Each timed call follows untimed calls of the same side (time_ab's
settling): PyTorch's OpenMP workers spin for 10-20 ms after each call and would take the
second core from a cnnvis call timed right after it.

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
    """cnnvis's CPU settings first (they must precede PyTorch's OpenMP), then torch on as many
    threads as cnnvis uses (cnnvis.engine.parallel.num_threads(): CNNVIS_NUM_THREADS or the cores)."""
    import cnnvis
    cnnvis.cpu_setup()
    import torch

    from cnnvis.engine.parallel import num_threads
    torch.set_num_threads(num_threads())
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


SETTLE_S = 0.02  # untimed calls of a side before each of its timed calls (see time_ab)


def time_ab(sides, repeats=5, warmup=1, settle_s=SETTLE_S):
    """Median seconds of each callable in ``sides`` ({name: fn}), run interleaved (A B A B ...).

    After ``warmup`` untimed calls of each side, every repetition times each side once, right
    after it has settled: untimed calls of the same side until ``settle_s`` has passed.
    PyTorch's OpenMP workers spin after each call (libgomp's default) and, on 2 cores, took
    the second core from the cnnvis call timed after them (a 6 ms op measured 12 ms; a 2.8 ms
    depthwise conv 4.7 ms up to 5 ms after F.conv2d, 3.6 ms after 10 ms, its own time after
    20 ms). In a network each engine's ops follow its own, so each side is timed after its
    own calls. A side whose warm-up call took over 50 * settle_s (1 s) is not settled: the
    spinning costs it at most settle_s, under 2%, and a settling call would double the run.
    """
    long = {}
    for name, fn in sides.items():
        for _ in range(max(1, warmup)):
            t = time.perf_counter()
            fn()
            long[name] = time.perf_counter() - t > 50 * settle_s
    times = {name: [] for name in sides}
    for _ in range(repeats):
        for name, fn in sides.items():
            start = time.perf_counter()
            while not long[name] and time.perf_counter() - start < settle_s:
                fn()
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

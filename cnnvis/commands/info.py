"""`cnnvis info`: versions, backend and CPU setup (what a benchmark report should quote)."""
import os
import platform


def run(args):
    import numba
    import numpy as np

    import cnnvis
    from cnnvis import engine
    from cnnvis._startup import cpu_setup_report
    from cnnvis.engine.parallel import blas_report, num_threads
    print(f"cnnvis {cnnvis.__version__}  python {platform.python_version()}  numpy {np.__version__}  "
          f"numba {numba.__version__}")
    print(f"backend: {engine.get_backend()}  CPU threads: {num_threads()} (CNNVIS_NUM_THREADS)")
    print(blas_report())
    done = cpu_setup_report()
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')} "
          f"(set by cnnvis: {done.get('openblas_coretype') is not None})  "
          f"malloc tuned: {done.get('malloc_tuned', False)}")


def add_parser(sub):
    p = sub.add_parser("info", help="versions, backend and CPU setup")
    p.add_argument("-q", "--quiet", action="store_true", help="(nothing to silence: the same option everywhere)")
    p.set_defaults(func=run)

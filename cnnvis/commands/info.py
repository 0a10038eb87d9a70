"""`cnnvis info`: versions, backend and CPU setup (what a benchmark report should quote)."""
import os
import platform


def run(args):
    import numba
    import numpy as np

    import cnnvis
    from cnnvis import _startup, engine
    from cnnvis.engine.threads import blas_report
    print(f"cnnvis {cnnvis.__version__}  python {platform.python_version()}  numpy {np.__version__}  "
          f"numba {numba.__version__}")
    print(f"backend: {engine.get_backend()}  numba threading layer: {engine.THREADING_LAYER}  "
          f"threads: {numba.config.NUMBA_NUM_THREADS}")
    print(blas_report())
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')} "
          f"(set by cnnvis: {_startup.OPENBLAS_CORETYPE_SET is not None})  "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}  malloc tuned: {engine.MALLOC_TUNED}")


def add_parser(sub):
    p = sub.add_parser("info", help="versions, backend and CPU setup")
    p.set_defaults(func=run)

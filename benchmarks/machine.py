"""The machine the benchmarks ran on, for BENCHMARKS.md: date, CPU (model, family, AVX-512),
cores, memory, GPU, and the versions of Python and the libraries compared.

    python benchmarks/machine.py
"""
import datetime
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpuinfo():
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                info[key.strip()] = value.strip()
    except OSError:
        pass
    return info


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        return f"{kib / 2 ** 20:.1f} GiB"
    except (OSError, StopIteration):
        return "unknown"


def gpu():
    if shutil.which("nvidia-smi") is None:
        return "none (no nvidia-smi)"
    done = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                          capture_output=True, text=True)
    return done.stdout.strip().replace("\n", "; ") or "none"


def version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def main():
    info = cpuinfo()
    flags = info.get("flags", "").split()
    print(f"command: python {' '.join(sys.argv)}")
    print(f"date: {datetime.date.today().isoformat()}")
    print(f"CPU: {info.get('model name', platform.processor() or 'unknown')}, family {info.get('cpu family', '?')}, "
          f"model {info.get('model', '?')}; AVX2 {'avx2' in flags}, AVX-512 {'avx512f' in flags}; "
          f"{os.cpu_count()} cores; hypervisor {'hypervisor' in flags}")
    print(f"memory: {memory_gib()}; GPU: {gpu()}")
    print(f"OS: {platform.platform()}; Python {platform.python_version()}")
    print("packages: " + ", ".join(f"{p} {version(p)}" for p in
                                   ("numpy", "numba", "torch", "captum", "scikit-image", "scipy")))
    sys.path.insert(0, ROOT)
    from cnnvis.engine.parallel import blas_report, num_threads
    print(f"cnnvis CPU threads: {num_threads()}; {blas_report()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")


if __name__ == "__main__":
    main()

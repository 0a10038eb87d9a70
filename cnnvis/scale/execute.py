"""Where the shards run: in this process, on a local cluster of worker processes, or on an
existing Dask cluster (dask.distributed, imported only for the last two).

    scheduler=None      $DASK_SCHEDULER_ADDRESS when it is set, else 'in-process'
    'in-process'        one shard after the other in this process: nothing to start, no dask
    'processes'         a LocalCluster of n_workers worker processes, one thread each, whose
                        cnnvis kernels and BLAS run on one thread (CNNVIS_NUM_THREADS=1,
                        OPENBLAS_NUM_THREADS=1, ...): the cores are shared out as workers;
                        started with spawn, which imports the main module again (a script
                        calls run() under if __name__ == "__main__")
    'tcp://HOST:PORT'   the Dask scheduler there (`dask scheduler`, `dask worker ADDRESS`);
                        also 'HOST:PORT' and the other protocols Dask knows ('tls://', ...)

On Dask each shard is one task. A task whose worker dies (kill -9, out of memory, a lost
machine) is run again on another worker by the scheduler, up to Dask's
distributed.scheduler.allowed-failures times (3 by default); a task that raises is retried
``retries`` times. What a task leaves half-done is never used: its files appear whole or not
at all (cnnvis.io), and its record is written last (records.py).
"""
import contextlib
import logging
import os
import re

from ..errors import BackendError, InputError

IN_PROCESS = "in-process"
LOCAL = "processes"
ADDRESS = re.compile(r"[a-z0-9+]+://.+|[^/\s:]+:\d+")
ONE_THREAD = ("CNNVIS_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
INSTALL = "pip install 'cnnvis[scale]' (or dask[distributed])"


def chosen(scheduler):
    """The scheduler a run uses: the argument, else $DASK_SCHEDULER_ADDRESS, else in-process."""
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or IN_PROCESS
    if scheduler not in (IN_PROCESS, LOCAL) and not ADDRESS.fullmatch(scheduler):
        raise InputError(f"unknown scheduler {scheduler!r}; give {IN_PROCESS!r}, {LOCAL!r} (a local cluster) or "
                         "the address of a Dask scheduler, tcp://HOST:PORT")
    return scheduler


def executor(scheduler, n_workers=2, retries=2):
    """The executor of a chosen() scheduler: a context manager whose run(fn, shards, job,
    out_dir) calls fn(job, shard, out_dir) for each shard and yields each shard as it is done.
    What a shard made is read from its record (records.py), not sent back: a record on disk
    is the result that survives a worker killed just after its task, and a shared output
    folder is checked that way."""
    if scheduler == IN_PROCESS:
        return InProcess()
    if int(n_workers) < 1:
        raise InputError(f"the number of workers must be at least 1, got {n_workers}")
    return DaskExecutor(None if scheduler == LOCAL else scheduler, int(n_workers), int(retries))


class InProcess:
    """Every shard in this process, in order."""
    description = IN_PROCESS
    dashboard = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, fn, shards, job, out_dir):
        for shard in shards:
            fn(job, shard, out_dir)
            yield shard


def distributed():
    """The dask.distributed module, or a BackendError saying how to install it."""
    try:
        import dask.distributed
    except ImportError:
        raise BackendError(f"running on a Dask cluster needs dask.distributed: {INSTALL}; without it, "
                           f"run in-process (scheduler {IN_PROCESS!r})") from None
    return dask.distributed


class DaskExecutor:
    """The shards as tasks of a Dask cluster: a LocalCluster started here (address None) or the
    scheduler at ``address``."""

    def __init__(self, address, n_workers=2, retries=2):
        self.address, self.n_workers, self.retries = address, n_workers, retries
        self.cluster = self.client = self.dashboard = None

    def __enter__(self):
        dd = distributed()
        import dask
        try:
            if self.address is None:
                self.cluster = dd.LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.ERROR,
                                               env=dict.fromkeys(ONE_THREAD, "1"))
                self.client = dd.Client(self.cluster)
            else:
                self.client = dd.Client(self.address, timeout=dask.config.get("distributed.comm.timeouts.connect"))
        except OSError as exc:  # includes the TimeoutError of a scheduler that does not answer
            self.__exit__(None, None, None)
            raise BackendError(f"cannot reach the Dask scheduler at {self.address} ({exc}); start one with "
                               "`dask scheduler` and workers with `dask worker ADDRESS`, or check the "
                               "address") from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        info = self.client.scheduler_info()
        self.dashboard = self.client.dashboard_link if "dashboard" in info.get("services", {}) else None
        workers = len(info.get("workers", {}))
        self.description = (f"local cluster of {self.n_workers} worker processes" if self.address is None else
                            f"Dask scheduler {self.address} ({workers} workers)")
        return self

    def __exit__(self, *exc):
        for part in (self.client, self.cluster):
            if part is not None:
                with contextlib.suppress(OSError, RuntimeError):  # a cluster already gone
                    part.close(timeout=10)
        self.client = self.cluster = None
        return False

    def run(self, fn, shards, job, out_dir):
        dd = distributed()
        futures = {self.client.submit(fn, job, s, out_dir, key=f"cnnvis-{job.kind}-{s.index:05d}-{s.key[:16]}",
                                      retries=self.retries, pure=False): s for s in shards}
        try:
            for future in dd.as_completed(futures):
                shard = futures[future]
                if future.status == "error":
                    try:
                        future.result()  # raises the task's exception
                    except dd.KilledWorker as exc:
                        raise BackendError(
                            f"shard {shard.index} (images {shard.first}..{shard.first + len(shard.items) - 1}) was "
                            f"running on a worker that died, each of the times it was tried ({exc}); out of memory? "
                            "give a smaller shard size or batch size, or workers with more memory") from None
                elif future.status == "cancelled":
                    raise BackendError(f"the scheduler cancelled shard {shard.index} (was it restarted?); run "
                                       "again: the shards already done are kept")
                yield shard
        finally:
            self.client.cancel([f for f in futures if not f.done()], force=True)

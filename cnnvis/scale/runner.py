"""run(): a job over many images, shard by shard, wherever the scheduler says, resumable.

The order of things: the inputs are listed and every parameter and target is checked (before
any work); the images are cut into shards; a shard whose record says it is done with the same
key is skipped (resume); the others run (execute.py), each writing its outputs and then its
record; the job reduces the records into the run's outputs; the manifest says what happened.
An interruption (Ctrl-C, a signal made an exception by cnnvis.signals, a failure) marks the
manifest 'interrupted' or 'failed' and is raised again; the finished shards stay finished.
"""
import contextlib
import os
import sys
import time
from dataclasses import replace

from ..datasets.stream import IMAGE_EXTENSIONS
from ..errors import BackendError, InputError
from ..io import check_folder
from ..progress import bar
from ..signals import Terminated
from .execute import chosen, executor
from .inputs import Item, collect
from .layout import Layout
from .manifest import Manifest
from .network import network
from .records import finished
from .shards import split
from .worker import run_shard

try:
    import fcntl
except ImportError:  # not on Windows: there, two runs into one folder are not stopped
    fcntl = None

LOCK = ".cnnvis-run.lock"


def run(job, inputs, out_dir, scheduler=None, shard_size=64, n_workers=2, retries=2, resume=True, quiet=False,
        extensions=IMAGE_EXTENSIONS):
    """Run ``job`` (jobs/) over ``inputs`` (paths, folders and CSV files: inputs.collect; or a
    list of inputs.Item) into the folder ``out_dir``; return the manifest (manifest.py).

    scheduler: None, 'in-process', 'processes' or a Dask scheduler's address (execute.py);
    n_workers: the local cluster's worker processes; retries: of a shard whose task raises;
    shard_size: images per shard, a multiple of the job's batch size (a smaller shard is one
    batch); resume: skip the shards a run with the same key finished (False: redo them all);
    quiet: no progress bar, no messages (on stderr); extensions: the image files of a folder.
    """
    started = time.perf_counter()
    out_dir = os.path.abspath(check_folder(os.fspath(out_dir)))
    scheduler = chosen(scheduler)
    items = list(inputs) if isinstance(inputs, (list, tuple)) and inputs and all(
        isinstance(i, Item) for i in inputs) else collect(inputs, extensions, exclude=out_dir)
    if int(shard_size) < 1:
        raise InputError(f"the shard size must be at least 1, got {shard_size}")
    shard_size = int(shard_size)
    job = replace(job, batch_size=min(int(job.batch_size), shard_size))
    if shard_size % job.batch_size:
        raise InputError(f"the shard size ({shard_size}) must be a multiple of the batch size ({job.batch_size}), "
                         "so that every shard's batches are those of one pass over all images")
    net = network(job.network)
    job.check(net, items)
    shards = split(items, shard_size, job.key())
    layout = Layout(out_dir)
    with _only_run_in(out_dir):
        manifest = Manifest(layout, job, net, items, shards, shard_size, scheduler)
        records = {}
        for shard in shards if resume else ():
            record = finished(layout, shard)
            if record is not None:
                records[shard.index] = record
                manifest.shard_done(shard, record, resumed=True)
        pending = [s for s in shards if s.index not in records]
        manifest.write()
        try:
            computing, startup = time.perf_counter(), 0.0
            resumed = sum(len(shards[k].items) for k in records)
            with bar(total=len(items), initial=resumed, desc=job.kind, unit="image",
                     progress=False if quiet else None) as pbar:
                if pending:
                    with executor(scheduler, n_workers, retries) as ex:
                        startup = time.perf_counter() - computing
                        manifest.data["scheduler"] = ex.description
                        if ex.dashboard and not quiet:
                            print(f"Dask dashboard: {ex.dashboard}", file=sys.stderr)
                        for shard in ex.run(run_shard, pending, job, out_dir):
                            record = records[shard.index] = _record(layout, shard)
                            manifest.shard_done(shard, record)
                            manifest.write(force=False)
                            pbar.update(len(shard.items))
            reducing = time.perf_counter()
            outputs = job.reduce(net, layout, [records[s.index] for s in shards], items)
        except (KeyboardInterrupt, Terminated):
            manifest.finish("interrupted", seconds=_seconds(started))
            raise
        except BaseException as exc:
            manifest.finish("failed", seconds=_seconds(started), error=f"{type(exc).__name__}: {exc}")
            raise
        return manifest.finish("complete", outputs, _seconds(started, computing, reducing, startup))


def _record(layout, shard):
    record = finished(layout, shard)
    if record is None:
        raise BackendError(f"shard {shard.index} is done but its record {layout.path(layout.record(shard.index))} "
                           "or an output it lists is not there; is the output folder on a file system that every "
                           "worker sees at the same path as this process?")
    return record


def _seconds(started, computing=None, reducing=None, startup=0.0):
    """The manifest's timings: total; startup (starting or reaching a cluster), shards (the
    rest of the shards' phase) and reduce, when the run got that far."""
    end = time.perf_counter()
    out = {"total": round(end - started, 3)}
    if computing is not None:
        out.update(startup=round(startup, 3), shards=round(reducing - computing - startup, 3),
                   reduce=round(end - reducing, 3))
    return out


@contextlib.contextmanager
def _only_run_in(out_dir):
    """Hold OUT/.cnnvis-run.lock for the run: a second run into the same folder is an InputError."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, LOCK), "a") as f:
        if fcntl is not None:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(f"another cnnvis run is writing into {out_dir}; wait for it to end, or give "
                                 "another output folder") from None
        yield

"""The run's manifest, OUT/manifest.json, rewritten (atomically) as the run goes and at its end:

    {"manifest": 1, "job": "explain", "status": "running" | "complete" | "interrupted" | "failed",
     "parameters": {...the job's...}, "network": {"model", "weights", "name", "input_shape"},
     "versions": {"cnnvis", "numpy", "dask", "distributed", "h5py", "python"},
     "scheduler": "in-process" | "local cluster of 2 worker processes" | "Dask scheduler tcp://...",
     "shard_size": 64, "started": ..., "finished": ..., "seconds": {"total", "startup", "shards", "reduce"},
     "images": {"total", "done", "failed"},
     "inputs": [{"path", "target", "name"}], "outputs": [paths relative to OUT],
     "failed": [{"index", "path", "error"}],
     "shards": [{"index", "first", "count", "status": "pending" | "done" | "resumed", "seconds",
                 "host", "pid"}],
     "error": "..." (when failed)}

'resumed': done by an earlier run with the same key (shards.py), skipped by this one.
"""
import datetime
import json
import platform
import time
from importlib import metadata

from ..io import write_text
from ..methods.targets import as_text
from .layout import MANIFEST

WRITE_EVERY = 5.0  # seconds between rewrites while shards finish


def versions():
    import numpy

    from .. import __version__
    out = {"cnnvis": __version__, "numpy": numpy.__version__, "python": platform.python_version()}
    for package in ("dask", "distributed", "h5py"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class Manifest:
    def __init__(self, layout, job, net, items, shards, shard_size, scheduler):
        self.layout, self.written = layout, 0.0
        self.data = {
            "manifest": 1, "job": job.kind, "status": "running", "parameters": job.parameters(),
            "network": dict(job.network.describe(), name=net.name, input_shape=list(net.input_shape)),
            "versions": versions(), "scheduler": scheduler, "shard_size": shard_size,
            "started": now(), "finished": None, "seconds": {},
            "images": {"total": len(items), "done": 0, "failed": 0},
            "inputs": [{"path": i.path, "target": None if i.target is None else as_text(i.target), "name": i.name}
                       for i in items],
            "outputs": [], "failed": [],
            "shards": [{"index": s.index, "first": s.first, "count": len(s.items), "status": "pending"}
                       for s in shards]}

    def shard_done(self, shard, record, resumed=False):
        entry = self.data["shards"][shard.index]
        entry.update(status="resumed" if resumed else "done", seconds=record["seconds"], host=record["host"],
                     pid=record["pid"])
        self.data["images"]["done"] += len(record["images"])
        self.data["images"]["failed"] += len(record["failed"])
        self.data["failed"] += record["failed"]
        self.data["outputs"] += record["outputs"] + ([record["part"]] if record.get("part") else [])

    def write(self, force=True):
        """Rewrite the file (when ``force`` or WRITE_EVERY seconds have passed since the last)."""
        if force or time.monotonic() - self.written >= WRITE_EVERY:
            write_text(self.layout.path(MANIFEST), json.dumps(self.data, indent=1) + "\n")
            self.written = time.monotonic()

    def finish(self, status, outputs=(), seconds=None, error=None):
        self.data.update(status=status, finished=now(), seconds=seconds or {})
        self.data["outputs"] = sorted(set(self.data["outputs"]) | set(outputs))
        self.data["failed"].sort(key=lambda f: f["index"])
        if error:
            self.data["error"] = error
        self.write()
        return self.data

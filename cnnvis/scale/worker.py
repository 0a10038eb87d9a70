"""One shard's work, wherever it runs (this process, a local worker process, a machine of a
cluster): build (or reuse) the network, read the images, let the job compute and write the
outputs, then write the completion record, last. Returns the record.

Run twice (a retry after a killed worker, a second client), it writes the same files again:
each appears whole (cnnvis.io.atomic_path), with the same content.
"""
import datetime
import os
import socket
import time

from ..engine.parallel import num_threads
from .images import read_shard
from .layout import Layout
from .network import network
from .records import write_record


def run_shard(job, shard, out_dir):
    start = time.perf_counter()
    layout = Layout(out_dir)
    net = network(job.network)
    inputs = read_shard(net, shard, job.resize)
    done, failed = inputs.done, inputs.failed
    result = job.run_shard(net, layout, shard, inputs) if done else {}
    record = {"shard": shard.index, "key": shard.key, "first": shard.first, "count": len(shard.items),
              "images": [index for index, _ in done], "failed": failed,
              "outputs": result.get("outputs", []), "rows": result.get("rows", []),
              "part": result.get("part"), "seconds": round(time.perf_counter() - start, 4),
              "host": socket.gethostname(), "pid": os.getpid(), "threads": threads(),
              "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    write_record(layout, shard, record)
    return record


def threads():
    """The threads this process computes with: cnnvis's kernels' and the BLAS's. Results are
    the same bit for bit only between runs with the same counts (docs/dask.md)."""
    from threadpoolctl import threadpool_info
    blas = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"cnnvis": num_threads(), "blas": max(blas, default=None)}

"""Dataset runs on a Dask LocalCluster of 2 worker processes: the same numbers as in-process,
a worker killed with SIGKILL mid-run loses nothing, and a client killed mid-run is resumed by
the next run to the same result.

Bit for bit against an in-process run computing on one thread (the workers' count: cnnvis's
kernels and BLAS each); to float32 rounding against one on this machine's threads."""
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from scale_data import SlowExplainJob, assert_same, results, write_samples, one_thread

from cnnvis import scale
from cnnvis.scale.execute import ONE_THREAD

distributed = pytest.importorskip("dask.distributed")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
SHARD = 2  # 8 shards of the 16 images
EXPLAIN = {"methods": ("saliency", "gradcam"), "batch_size": 2, "pictures": None}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), 16)


@pytest.fixture(scope="module")
def cluster():
    """(address, client) of a LocalCluster like scheduler='processes' starts; closed after the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR, env=dict.fromkeys(ONE_THREAD, "1")) as c, \
            distributed.Client(c) as client:
        client.wait_for_workers(2, timeout=120)
        yield c.scheduler_address, client


@pytest.fixture(scope="module")
def reference(folder, tmp_path_factory):
    """The in-process results of the explain job, on one thread."""
    out = tmp_path_factory.mktemp("reference")
    with one_thread():
        m = scale.run(scale.ExplainJob(**EXPLAIN), folder, out, shard_size=SHARD, quiet=True)
    return results(out, m)


def test_a_local_cluster_gives_the_in_process_numbers(folder, cluster, reference, tmp_path, capsys):
    address, _ = cluster
    m = scale.run(scale.ExplainJob(**EXPLAIN), folder, tmp_path / "explain", scheduler=address, shard_size=SHARD)
    assert m["status"] == "complete" and m["scheduler"].startswith(f"Dask scheduler {address}")
    assert "Dask dashboard: http" in capsys.readouterr().err
    assert len({s["pid"] for s in m["shards"]}) == 2  # both workers worked
    assert_same(results(tmp_path / "explain", m), reference)  # bit for bit
    top = scale.TopPatchesJob(layer="block2_conv2_relu", channels=(0, 3), k=4, batch_size=2)
    tm = scale.run(top, folder, tmp_path / "top", scheduler=address, shard_size=SHARD, quiet=True)
    with one_thread():
        ti = scale.run(top, folder, tmp_path / "top-in", shard_size=SHARD, quiet=True)
    assert_same(results(tmp_path / "top", tm), results(tmp_path / "top-in", ti))  # the merge of 8 shards' heaps
    threaded = tmp_path / "threads"  # this process on its own threads: float32 rounding
    assert_same(results(threaded, scale.run(scale.ExplainJob(**EXPLAIN), folder, threaded, shard_size=SHARD,
                                            quiet=True)), reference, rtol=1e-5)


def test_a_worker_killed_mid_run_has_its_shard_recomputed_elsewhere(folder, cluster, reference, tmp_path):
    address, client = cluster
    out, killed = tmp_path / "out", {}

    def kill_a_busy_worker():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            busy = [w for w, keys in client.processing().items() if keys]
            if list((out / "shards").glob("*.json")) and busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                killed.update(pid=pid, records=len(list((out / "shards").glob("*.json"))))
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        m = scale.run(SlowExplainJob(**EXPLAIN), folder, out, scheduler=address, shard_size=SHARD, quiet=True)
    finally:
        killer.join()
    assert killed and killed["records"] < 8, killed  # killed while shards were left
    assert m["status"] == "complete" and {s["status"] for s in m["shards"]} == {"done"}
    assert_same(results(out, m), reference)
    client.wait_for_workers(2, timeout=120)  # the nanny restarted it


CLIENT = """
import sys
from scale_data import SlowExplainJob
from cnnvis import scale
scale.run(SlowExplainJob(methods=("saliency", "gradcam"), batch_size=2, pictures=None), sys.argv[1], sys.argv[2],
          scheduler=sys.argv[3], shard_size=2, quiet=True)
"""


def test_a_client_killed_mid_run_is_resumed_to_the_same_result(folder, cluster, reference, tmp_path):
    address, _ = cluster
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-c", CLIENT, folder, str(out), address],
                             env=dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, TESTS])),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and child.poll() is None and not list((out / "shards").glob("*.json")):
            time.sleep(0.02)
        done_at_kill = len(list((out / "shards").glob("*.json")))
        child.kill()
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL, err
    assert 1 <= done_at_kill < 8
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # what a kill -9 leaves
    m = scale.run(SlowExplainJob(**EXPLAIN), folder, out, scheduler=address, shard_size=SHARD, quiet=True)
    statuses = [s["status"] for s in m["shards"]]
    assert m["status"] == "complete" and "resumed" in statuses and set(statuses) <= {"resumed", "done"}
    assert_same(results(out, m), reference)

"""The dataset-run tests' inputs and comparisons: bundled Fashion-MNIST samples written as PNG
files (28x28, the bundled model's size), and the results of two runs compared file by file."""
import contextlib
import json
import os
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnvis.datasets import bundled_samples
from cnnvis.scale import ExplainJob


def write_samples(folder, n=24):
    """n bundled samples as PNGs, in a subfolder per class (folder/Trouser/s007.png); returns folder."""
    data = bundled_samples()
    for k in range(n):
        sub = os.path.join(folder, data.class_names[data.labels[k]].replace("/", "-"))
        os.makedirs(sub, exist_ok=True)
        Image.fromarray(data.images[k]).save(os.path.join(sub, f"s{k:03d}.png"))
    return str(folder)


def results(out_dir, manifest):
    """{output path: its numbers or text} of a run's arrays and tables (not its pictures)."""
    found = {}
    for rel in manifest["outputs"]:
        path = os.path.join(out_dir, rel)
        if rel.endswith(".npy"):
            found[rel] = np.load(path)
        elif rel.endswith(".npz") and not rel.startswith("shards/"):
            with np.load(path) as f:
                found.update({f"{rel}:{k}": f[k] for k in f.files})
        elif rel.endswith(".json"):
            with open(path) as f:
                found[rel] = json.load(f)
        elif rel.endswith(".csv"):
            with open(path) as f:
                found[rel] = f.read()
        elif rel.endswith(".h5") and not rel.startswith("shards/"):
            import h5py
            with h5py.File(path) as f:
                f.visititems(lambda k, d, rel=rel: found.update({f"{rel}:{k}": d[()]})
                             if isinstance(d, h5py.Dataset) else None)
    return found


def assert_same(a, b, rtol=0.0):
    """Two results() equal: bit for bit (rtol=0), or arrays to rtol of their largest value."""
    assert sorted(a) == sorted(b)
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            scale = max(float(np.abs(y).max()), 1e-30) if y.size else 1.0
            assert x.shape == y.shape and float(np.abs(x - y).max(initial=0)) <= rtol * scale, key
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y), key
        elif rtol == 0:
            assert x == y, key


@dataclass(frozen=True)
class SlowExplainJob(ExplainJob):
    """An ExplainJob whose shards wait ``delay`` seconds after writing their outputs, before
    their record: a run long enough to be killed in the middle, at the worst moment. Workers
    import it from here (the tests folder is on their sys.path, as on the test process's)."""
    delay: float = 0.3

    def run_shard(self, net, layout, shard, inputs):
        result = super().run_shard(net, layout, shard, inputs)
        time.sleep(self.delay)
        return result


@contextlib.contextmanager
def one_thread():
    """This process computing as a local cluster's worker does: one cnnvis thread, one BLAS thread."""
    from threadpoolctl import threadpool_limits
    before = os.environ.get("CNNVIS_NUM_THREADS")
    os.environ["CNNVIS_NUM_THREADS"] = "1"
    try:
        with threadpool_limits(1, user_api="blas"):
            yield
    finally:
        if before is None:
            del os.environ["CNNVIS_NUM_THREADS"]
        else:
            os.environ["CNNVIS_NUM_THREADS"] = before

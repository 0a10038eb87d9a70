"""Dataset runs in this process (cnnvis/scale): inputs, outputs, the manifest, the reductions
equal to one in-process call of each method, resuming, and what an interruption leaves."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from scale_data import assert_same, one_thread, results, write_samples

import cnnvis.io
from cnnvis import scale
from cnnvis.errors import BackendError, InputError, LayerNotFoundError, TargetError
from cnnvis.methods import Unit, by_name, top_k, top_patches
from cnnvis.methods.embedding import embedding
from cnnvis.models import bundled_model
from cnnvis.scale.images import read

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), 16)


@pytest.fixture(scope="module")
def net():
    return bundled_model()


def images(net, items):
    return np.stack([read(net, i.path).image for i in items])


def test_inputs_folders_recursively_files_and_csv_in_order(tmp_path):
    (tmp_path / "a" / ".hidden").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    for name in ("a/z.png", "a/y.JPG", "a/.x.png", "a/.hidden/w.png", "b/v.png", "b/notes.txt", "u.png"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "list.csv").write_text("path,target\nb/v.png,3\nu.png,\nu.png,Bag\nb/v.png,block1_conv1:2\n")
    items = scale.collect([tmp_path, tmp_path / "list.csv"])
    rel = [os.path.relpath(i.path, tmp_path) for i in items]
    assert rel == ["a/y.JPG", "a/z.png", "b/v.png", "u.png", "b/v.png", "u.png", "u.png", "b/v.png"]
    assert [i.target for i in items] == [None] * 4 + [3, None, "Bag", Unit("block1_conv1", 2)]
    assert [i.name for i in items][:4] == ["a/y", "a/z", "b/v", "u"]
    assert len({i.name for i in items}) == len(items)  # repeats get ~2, ~3
    assert [i.name for i in scale.collect(tmp_path, extensions=("png",))] == ["a/z", "b/v", "u"]
    assert [i.name for i in scale.collect(tmp_path, exclude=tmp_path / "a")] == ["b/v", "u"]


@pytest.mark.parametrize("source, message", [
    ("nowhere.png", "image file not found"), ("empty", "no images"), ("bad.csv", "line 2: 3 columns"),
    ("missing.csv", "line 1: image file not found")])
def test_inputs_errors_say_what_is_wrong(tmp_path, source, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.csv").write_text("path,target\na.png,1,2\n")
    (tmp_path / "missing.csv").write_text("gone.png,1\n")
    with pytest.raises(InputError, match=message):
        scale.collect(tmp_path / source)


def test_explain_writes_pictures_arrays_table_and_manifest(folder, net, tmp_path):
    job = scale.ExplainJob(methods=("gradcam", "saliency"), batch_size=4)
    items = scale.collect(folder)[:8]  # a list of Items is an input too
    m = scale.run(job, items, tmp_path, shard_size=4, quiet=True)
    assert m["status"] == "complete" and m["images"] == {"total": 8, "done": 8, "failed": 0}
    assert [s["status"] for s in m["shards"]] == ["done"] * 2
    assert set(m["versions"]) >= {"cnnvis", "numpy", "dask", "distributed"} and m["parameters"]["batch_size"] == 4
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk == m
    assert [i["name"] for i in m["inputs"]] == [i.name for i in items]
    first = items[0].name
    for kind in ("gradcam", "saliency"):
        assert f"pictures/{first}.{kind}.png" in m["outputs"] and f"arrays/{first}.{kind}.npy" in m["outputs"]
    assert all(os.path.exists(tmp_path / p) for p in m["outputs"])
    # the arrays are the Explanation's values, batch by batch
    x = net.preprocess(images(net, items[:4]))
    e = by_name.attribute(net, x, "gradcam")
    assert np.array_equal(np.load(tmp_path / f"arrays/{items[1].name}.gradcam.npy"), e.values[1])
    table = (tmp_path / "explanations.csv").read_text().splitlines()
    assert table[0] == "index,path,name,method,target,score,score_kind,layer,picture,array" and len(table) == 17


def test_hdf5_store_holds_the_maps_with_their_attributes(folder, tmp_path):
    import h5py
    items = scale.collect(folder)[:8]
    kinds = {"methods": ("gradcam", "occlusion"), "options": {"patch": 7, "stride": 7}, "batch_size": 4,
             "pictures": None}
    m = scale.run(scale.ExplainJob(arrays="hdf5", **kinds), items, tmp_path / "h5", shard_size=4, quiet=True)
    scale.run(scale.ExplainJob(**kinds), items, tmp_path / "npy", shard_size=4, quiet=True)
    assert "maps.h5" in m["outputs"]
    with h5py.File(tmp_path / "h5" / "maps.h5") as f:
        d = f[f"{items[5].name}/occlusion"]
        assert d.shape == (4, 4) and d.attrs["path"] == items[5].path and d.attrs["method"] == "occlusion"
        assert json.loads(d.attrs["parameters"])["options"] == {"patch": 7, "stride": 7}
        for i in items:
            for method in kinds["methods"]:
                assert np.array_equal(f[f"{i.name}/{method}"][()],
                                      np.load(tmp_path / "npy" / f"arrays/{i.name}.{method}.npy"))


def test_reductions_equal_one_in_process_call_of_each_method(folder, net, tmp_path):
    items = scale.collect(folder)
    x_images = images(net, items)
    x = net.preprocess(x_images)
    units = [Unit("block2_conv2_relu", 0), Unit("block2_conv2_relu", 5)]
    m = scale.run(scale.TopPatchesJob(layer="block2_conv2_relu", channels=(0, 5), k=5, batch_size=4), folder,
                  tmp_path / "tp", shard_size=8, quiet=True)
    direct = top_patches(net, x_images, units, 5, batch_size=4)
    table = json.loads((tmp_path / "tp" / "top_patches.json").read_text())
    for u in range(2):
        assert [(p.score, p.index, list(p.position), list(p.box)) for p in direct.patches[u]] == \
               [(q["score"], q["index"], q["position"], q["box"]) for q in table[u]["patches"]]
    assert "top_patches.png" in m["outputs"]

    scale.run(scale.PredictJob(k=3, pictures=None, batch_size=4), folder, tmp_path / "p", shard_size=8, quiet=True)
    pred, got = top_k(net, x, 3, batch_size=4), np.load(tmp_path / "p" / "predictions.npz")
    assert np.array_equal(got["classes"], pred.classes) and np.array_equal(got["probabilities"], pred.probabilities)

    scale.run(scale.EmbedJob(batch_size=4), folder, tmp_path / "e", shard_size=8, quiet=True)
    emb, got = embedding(net, x, pred.classes[:, 0], batch_size=4), np.load(tmp_path / "e" / "embedding.npz")
    assert np.array_equal(got["points"], emb.points) and np.array_equal(got["predictions"], emb.predictions)


def test_a_rerun_skips_finished_shards_and_a_change_recomputes_only_what_it_touches(folder, tmp_path):
    job = scale.ExplainJob(methods=("saliency",), batch_size=4, pictures=None)
    first = scale.run(job, folder, tmp_path, shard_size=8, quiet=True)
    again = scale.run(job, folder, tmp_path, shard_size=8, quiet=True)
    assert [s["status"] for s in again["shards"]] == ["resumed"] * 2
    assert_same(results(tmp_path, first), results(tmp_path, again))
    os.remove(tmp_path / first["outputs"][0])  # a shard's output gone: that shard runs again
    assert [s["status"] for s in scale.run(job, folder, tmp_path, shard_size=8, quiet=True)["shards"]].count("done") == 1
    other = scale.run(scale.ExplainJob(methods=("saliency",), score="prob", batch_size=4, pictures=None), folder,
                      tmp_path, shard_size=8, quiet=True)
    assert [s["status"] for s in other["shards"]] == ["done"] * 2
    redo = scale.run(job, folder, tmp_path, shard_size=8, quiet=True, resume=False)
    assert [s["status"] for s in redo["shards"]] == ["done"] * 2
    assert_same(results(tmp_path, first), results(tmp_path, redo))


def test_an_interrupted_run_resumes_to_the_same_result(folder, tmp_path, monkeypatch):
    job = scale.PredictJob(k=2, pictures=None, batch_size=4)
    reference = scale.run(job, folder, tmp_path / "ref", shard_size=4, quiet=True)
    real, calls = scale.runner.run_shard, []

    def interrupted(job, shard, out_dir):
        calls.append(shard.index)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job, shard, out_dir)
    monkeypatch.setattr(scale.runner, "run_shard", interrupted)
    with pytest.raises(KeyboardInterrupt):
        scale.run(job, folder, tmp_path / "out", shard_size=4, quiet=True)
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["status"] == "interrupted" and [s["status"] for s in m["shards"]][:3] == ["done", "done", "pending"]
    monkeypatch.setattr(scale.runner, "run_shard", real)
    m = scale.run(job, folder, tmp_path / "out", shard_size=4, quiet=True)
    assert [s["status"] for s in m["shards"]] == ["resumed"] * 2 + ["done"] * 2
    assert_same(results(tmp_path / "ref", reference), results(tmp_path / "out", m))


SIGTERM_RUN = """
import sys, time
from cnnvis import scale
from cnnvis.scale import worker
from cnnvis.signals import terminating
real = worker.run_shard
def slow(job, shard, out_dir):
    if shard.index == 1:  # shard 0 is done and in the manifest: the signal comes in shard 1
        print("shard 1", flush=True)
        time.sleep(60)
    return real(job, shard, out_dir)
scale.runner.run_shard = slow
with terminating():
    scale.run(scale.ExplainJob(methods=("saliency",), batch_size=4, pictures=None), sys.argv[1], sys.argv[2],
              shard_size=4, quiet=True)
"""


def test_sigterm_mid_run_leaves_whole_files_and_the_rerun_finishes_the_job(folder, tmp_path):
    out = tmp_path / "out"
    # one thread on both sides (cnnvis's and BLAS's), so that shard 0, computed by the child, sums
    # in the same order as the reruns here: the results are compared bit for bit
    env = dict(os.environ, PYTHONPATH=ROOT, CNNVIS_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    child = subprocess.Popen([sys.executable, "-c", SIGTERM_RUN, folder, str(out)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().startswith("shard 1")
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode != 0 and "Terminated" in err
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and [s["status"] for s in m["shards"]] == ["done"] + ["pending"] * 3
    assert not [p for p in out.rglob("*") if cnnvis.io.TEMPORARY.fullmatch(p.name)]
    job = scale.ExplainJob(methods=("saliency",), batch_size=4, pictures=None)
    with one_thread():
        m = scale.run(job, folder, out, shard_size=4, quiet=True)
        fresh = scale.run(job, folder, tmp_path / "fresh", shard_size=4, quiet=True)
    assert m["shards"][0]["status"] == "resumed" and m["status"] == "complete"
    assert_same(results(out, m), results(tmp_path / "fresh", fresh))


def test_an_unreadable_image_is_reported_and_the_run_goes_on(folder, tmp_path):
    import shutil
    shutil.copytree(folder, tmp_path / "in")
    (tmp_path / "in" / "broken.png").write_bytes(b"not a png")
    m = scale.run(scale.PredictJob(pictures=None), tmp_path / "in", tmp_path / "out", shard_size=8, quiet=True)
    assert m["status"] == "complete" and m["images"] == {"total": 17, "done": 16, "failed": 1}
    assert m["failed"][0]["path"].endswith("broken.png") and "cannot read" in m["failed"][0]["error"]
    assert len(np.load(tmp_path / "out" / "predictions.npz")["classes"]) == 16


def test_the_output_folder_inside_an_input_folder_is_not_an_input(folder, tmp_path):
    import shutil
    shutil.copytree(folder, tmp_path / "in")
    job = scale.PredictJob(k=1, pictures=".png")
    scale.run(job, tmp_path / "in", tmp_path / "in" / "out", shard_size=8, quiet=True)
    m = scale.run(job, tmp_path / "in", tmp_path / "in" / "out", shard_size=8, quiet=True)
    assert m["images"]["total"] == 16 and {s["status"] for s in m["shards"]} == {"resumed"}


@pytest.mark.parametrize("job, kwargs, error, message", [
    (scale.ExplainJob(methods=("nope",)), {}, InputError, "unknown method"),
    (scale.ExplainJob(methods=("gradcam",), options={"steps": 3}), {}, InputError, "takes the option steps"),
    (scale.ExplainJob(target="Dinosaur"), {}, TargetError, "no class 'Dinosaur'"),
    (scale.ExplainJob(layer="nowhere"), {}, KeyError, "nowhere"),
    (scale.PredictJob(k=11), {}, InputError, "between 1 and"),
    (scale.PredictJob(resize="whole"), {}, InputError, "a set of images needs one"),
    (scale.TopPatchesJob(layer="block1_conv1", channels=(99,)), {}, TargetError, "channel"),
    (scale.TopPatchesJob(layer="nowhere"), {}, LayerNotFoundError, "no layer 'nowhere'.*its layers are"),
    (scale.PredictJob(batch_size=4), {"shard_size": 6}, InputError, "multiple of the batch size"),
    (scale.PredictJob(), {"scheduler": "nonsense"}, InputError, "unknown scheduler"),
])
def test_bad_parameters_are_rejected_before_any_work(folder, tmp_path, job, kwargs, error, message):
    with pytest.raises(error, match=message):
        scale.run(job, folder, tmp_path, quiet=True, **kwargs)
    assert not (tmp_path / "manifest.json").exists()


def test_a_second_run_into_the_same_folder_is_refused(folder, tmp_path):
    import fcntl
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / scale.runner.LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another cnnvis run"):
            scale.run(scale.PredictJob(), folder, tmp_path, quiet=True)


def test_dask_is_needed_only_for_a_cluster_and_its_absence_says_how_to_install(folder, tmp_path, monkeypatch):
    done = subprocess.run([sys.executable, "-c", "import sys, cnnvis.scale; assert 'dask' not in sys.modules"],
                          env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import dask.distributed fails
    with pytest.raises(BackendError, match=r"pip install 'cnnvis\[scale\]'"):
        scale.run(scale.PredictJob(), folder, tmp_path, scheduler="processes", quiet=True)
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "failed"


def test_an_unreachable_scheduler_is_a_backend_error(folder, tmp_path):
    import dask
    start = time.time()
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            pytest.raises(BackendError, match="cannot reach the Dask scheduler"):
        scale.run(scale.PredictJob(), folder, tmp_path, scheduler="tcp://127.0.0.1:9", quiet=True)
    assert time.time() - start < 30


def test_pictures_are_drawn_on_the_photo_as_given_not_the_fitted_input(net, tmp_path, monkeypatch):
    """Issue 12 with issue 19's item 2: a 200x300 portrait becomes the bundled model's 28x28 grey
    input (centre crop), and the dataset run's pictures show the portrait, as `cnnvis explain
    PHOTO` does, with the crop framed."""
    from cli_runs import portrait, titled

    from cnnvis.scale.jobs import explain, predict
    drawn = []
    for module in (explain, predict):
        def save(fig, path, real=module.save_figure, **kw):
            drawn.append(fig)
            real(fig, path, **kw)
        monkeypatch.setattr(module, "save_figure", save)
    photo = portrait(tmp_path)
    scale.run(scale.ExplainJob(methods=("gradcam",), arrays=None), [photo], tmp_path / "x", quiet=True)
    scale.run(scale.PredictJob(k=2), [photo], tmp_path / "p", quiet=True)
    explained, predicted = drawn
    assert titled(explained, "Input").images[0].get_array().shape[:2] == (300, 200)
    assert len(titled(explained, "Input").patches) == 1  # the part the network saw, framed
    assert predicted.axes[0].images[0].get_array().shape[:2] == (300, 200)

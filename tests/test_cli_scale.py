"""The image commands over a dataset, run as a user runs them: a folder (and files, and a CSV
of path,target rows) in, --out DIR with pictures, arrays, tables and a manifest out; the same
command again resumes; --scheduler processes gives what in-process gives; one image and
--out FILE.png is still the one-picture command."""
import csv
import json
import os
import subprocess
import sys

import pytest
from scale_data import assert_same, results, write_samples

from cnnvis.cli import main
from cnnvis.datasets import bundled_samples

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), 8)


def manifest_of(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def cli(*args, **env):
    """`python -m cnnvis.cli ARGS` in a fresh process computing on one thread, as a local
    cluster's workers do (this checkout's cnnvis first, also in the workers it starts); env:
    more environment variables."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]), CNNVIS_PROGRESS="0",
               CNNVIS_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **env)
    return subprocess.run([sys.executable, "-m", "cnnvis.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)


def test_explain_a_folder_a_file_and_a_csv_writes_pictures_arrays_and_a_manifest(folder, tmp_path, capsys):
    extra = sorted((tmp_path / "extra").glob("*/*.png")) if write_samples(tmp_path / "extra", 10) else []
    (tmp_path / "labels.csv").write_text(f"path,target\n{extra[-1].relative_to(tmp_path)},Sneaker\n")
    out = tmp_path / "out"
    code = main(["explain", folder, str(extra[0]), str(tmp_path / "labels.csv"),
                 "-m", "gradcam", "--out", f"{out}/", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.strip() == str(out / "manifest.json")  # stdout: the result's path only
    m = manifest_of(out)
    assert m["status"] == "complete" and m["job"] == "explain" and m["images"] == {"total": 10, "done": 10,
                                                                                     "failed": 0}
    assert m["inputs"][-1]["target"] == "Sneaker"
    for item in m["inputs"]:
        assert (out / "pictures" / f"{item['name']}.gradcam.png").is_file()
        assert (out / "arrays" / f"{item['name']}.gradcam.npy").is_file()
    with open(out / "explanations.csv") as f:
        rows = list(csv.DictReader(f))
    sneaker = bundled_samples().class_names.index("Sneaker")
    assert len(rows) == 10 and rows[-1]["target"] == str(sneaker) and rows[-1]["path"] == str(extra[-1])


def test_explain_arrays_in_one_hdf5_store(folder, tmp_path):
    h5py = pytest.importorskip("h5py")
    out = tmp_path / "out"
    assert main(["explain", folder, "-m", "saliency", "--arrays", "hdf5", "--out", f"{out}/", "-q"]) == 0
    m = manifest_of(out)
    assert "maps.h5" in m["outputs"] and not (out / "arrays").exists()
    with h5py.File(out / "maps.h5") as f:
        d = f[f"{m['inputs'][0]['name']}/saliency"]
        assert d.shape == (1, 28, 28) and d.attrs["path"] == m["inputs"][0]["path"] and d.attrs["method"] == "saliency"


def test_a_folder_is_read_recursively_with_an_extension_filter(tmp_path, capsys):
    from PIL import Image
    photos = tmp_path / "photos"
    write_samples(photos / "nested" / "deeper", 3)
    Image.new("L", (28, 28), 128).save(photos / "grey.jpg")
    (photos / "notes.txt").write_text("not an image")
    assert main(["predict", str(photos), "--out", f"{tmp_path / 'png'}/", "--ext", ".png", "-q"]) == 0
    paths = [i["path"] for i in manifest_of(tmp_path / "png")["inputs"]]
    assert len(paths) == 3 and all(os.sep.join(["", "nested", "deeper", ""]) in p for p in paths)
    assert main(["predict", str(photos), "--out", f"{tmp_path / 'all'}/", "-q"]) == 0
    assert [i["name"] for i in manifest_of(tmp_path / "all")["inputs"]][0] == "grey"  # and the three PNGs
    assert len(manifest_of(tmp_path / "all")["inputs"]) == 4


def test_the_same_command_again_resumes_and_restart_recomputes(folder, tmp_path, capsys):
    out = str(tmp_path / "out")
    command = ["predict", folder, "--out", out, "--shard-size", "4", "--batch-size", "4"]
    assert main(command) == 2  # a new name without an extension: a picture's forgotten extension?
    assert "(for a dataset run, a folder: end it with /" in capsys.readouterr().err
    assert main([*command[:3], out + "/", *command[4:]]) == 0
    first = manifest_of(out)
    capsys.readouterr()
    assert main(command) == 0  # an existing folder, named without the /
    err = capsys.readouterr().err
    again = manifest_of(out)
    assert {s["status"] for s in again["shards"]} == {"resumed"} and "2 of 2 shards from an earlier run" in err
    assert_same(results(out, first), results(out, again))
    assert main(command + ["--restart", "-q"]) == 0
    assert {s["status"] for s in manifest_of(out)["shards"]} == {"done"}
    assert capsys.readouterr().err == ""  # -q: no progress, no summary


def test_predict_top_patches_and_embed_over_a_folder(folder, tmp_path, capsys):
    for command, made in ((["predict", "--k", "3"], ["predictions.csv", "predictions.npz"]),
                          (["top-patches", "--layer", "block2_conv2", "--channels", "0-1", "--k", "2"],
                           ["top_patches.png", "top_patches.json"]),
                          (["embed"], ["embedding.png", "embedding.npz"])):
        out = tmp_path / command[0]
        assert main([command[0], folder, *command[1:], "--out", f"{out}/", "-q"]) == 0, capsys.readouterr().err
        m = manifest_of(out)
        assert m["status"] == "complete" and m["images"]["done"] == 8
        for name in made:
            assert name in m["outputs"] and (out / name).is_file()


def test_one_image_and_a_picture_out_is_still_one_picture(tmp_path, capsys):
    picture = tmp_path / "one.png"
    assert main(["explain", "sample:3", "-m", "saliency", "-o", str(picture), "-q"]) == 0
    assert picture.is_file() and not (tmp_path / "manifest.json").exists()
    assert capsys.readouterr().out.strip() == str(picture)


def test_a_dataset_with_a_picture_out_says_to_give_a_folder(folder, tmp_path, capsys):
    assert main(["explain", folder, "-m", "gradcam", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "give --out DIR" in err and "a folder" in err
    assert main(["explain", "--out", str(tmp_path / "d") + "/", "-m", "gradcam", "--scheduler", "nonsense",
                 folder]) == 2
    assert "unknown scheduler" in capsys.readouterr().err
    assert main(["top-patches", folder, "--layer", "nowhere", "--out", str(tmp_path / "t") + "/"]) == 2
    assert "no layer 'nowhere'" in capsys.readouterr().err
    assert not (tmp_path / "d" / "manifest.json").exists() and not (tmp_path / "t" / "manifest.json").exists()


@pytest.mark.slow
def test_scheduler_processes_gives_what_in_process_gives(folder, tmp_path):
    """Two processes as a user starts them: a local cluster of 2 workers and in-process, both
    on one thread per process, bit for bit; the cluster's dashboard said, -q or not the bar."""
    common = [folder, "-m", "gradcam", "--shard-size", "2", "--batch-size", "2"]
    local = cli("explain", *common, "--out", f"{tmp_path / 'local'}/", "--scheduler", "processes", "--workers", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    assert "Dask dashboard: http" in local.stderr and "local cluster of 2 worker processes" in local.stderr
    here = cli("explain", *common, "--out", f"{tmp_path / 'here'}/", "-q")
    assert here.returncode == 0, here.stderr[-3000:]
    assert here.stderr == "" and here.stdout.strip() == str(tmp_path / "here" / "manifest.json")
    a, b = manifest_of(tmp_path / "local"), manifest_of(tmp_path / "here")
    assert a["scheduler"] == "local cluster of 2 worker processes" and b["scheduler"] == "in-process"
    assert {s["pid"] for s in a["shards"]} != {s["pid"] for s in b["shards"]}
    assert_same(results(tmp_path / "local", a), results(tmp_path / "here", b))


def test_progress_on_a_terminal_and_quiet_silences_it(folder, tmp_path, capsys, monkeypatch):
    import cnnvis.progress
    monkeypatch.setattr(cnnvis.progress, "enabled", lambda progress=None: progress is not False)  # a terminal
    assert main(["predict", folder, "--out", f"{tmp_path / 'a'}/", "--shard-size", "4", "--batch-size", "4"]) == 0
    err = capsys.readouterr().err
    assert "predict: " in err and "8/8" in err and "image/s" in err
    assert main(["predict", folder, "--out", f"{tmp_path / 'b'}/", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_an_unreachable_scheduler_from_the_environment_is_a_clear_error(folder, tmp_path, capsys, monkeypatch):
    pytest.importorskip("dask.distributed")  # its config first: config.set would drop it on leaving
    import dask
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        assert main(["predict", folder, "--out", f"{tmp_path / 'out'}/", "-q"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.slow
def test_scheduler_address_and_dask_scheduler_address_run_on_that_cluster(folder, tmp_path):
    """A running cluster (a LocalCluster of 2 workers here, as `dask scheduler` and `dask worker`
    would be): --scheduler tcp://HOST:PORT and $DASK_SCHEDULER_ADDRESS give what in-process gives."""
    import logging

    distributed = pytest.importorskip("dask.distributed")
    from cnnvis.scale.execute import ONE_THREAD
    common = ["predict", folder, "--shard-size", "2", "--batch-size", "2", "-q"]
    here = cli(*common, "--out", f"{tmp_path / 'here'}/")
    assert here.returncode == 0, here.stderr[-3000:]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR, env=dict.fromkeys(ONE_THREAD, "1")) as cluster:
        address = cluster.scheduler_address
        given = cli(*common, "--out", f"{tmp_path / 'given'}/", "--scheduler", address)
        from_env = cli(*common, "--out", f"{tmp_path / 'env'}/", DASK_SCHEDULER_ADDRESS=address)
    for ran, name in ((given, "given"), (from_env, "env")):
        assert ran.returncode == 0, ran.stderr[-3000:]
        m = manifest_of(tmp_path / name)
        assert m["scheduler"] == f"Dask scheduler {address} (2 workers)"
        assert_same(results(tmp_path / name, m), results(tmp_path / "here", manifest_of(tmp_path / "here")))


def test_an_unreadable_image_is_said_and_makes_the_exit_status_1(tmp_path, capsys):
    photos = tmp_path / "photos"
    write_samples(photos, 3)
    (photos / "broken.png").write_bytes(b"not a png")
    assert main(["predict", str(photos), "--out", f"{tmp_path / 'out'}/", "-q"]) == 1
    err = capsys.readouterr().err
    assert "could not read" in err and "broken.png" in err  # -q or not
    m = manifest_of(tmp_path / "out")
    assert m["status"] == "complete" and m["images"] == {"total": 4, "done": 3, "failed": 1}

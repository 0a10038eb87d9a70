"""Dataset runs: many images in, pictures, arrays and a manifest out, in this process or on a
Dask cluster, in shards that are written atomically and skipped when a run is started again.

    from cnnvis import scale

    job = scale.ExplainJob(methods=("gradcam", "saliency"), network=scale.NetworkSpec("bundled"))
    manifest = scale.run(job, ["photos/", "more.csv"], "out/")                    # in this process
    manifest = scale.run(job, ["photos/"], "out/", scheduler="processes", n_workers=2)  # local cluster
    manifest = scale.run(job, ["photos/"], "out/", scheduler="tcp://10.0.0.5:8786")     # a cluster

run(job, inputs, out_dir, scheduler=None, shard_size=64, n_workers=2, retries=2, resume=True,
    quiet=False, extensions=IMAGE_EXTENSIONS) -> the manifest (a dict, also OUT/manifest.json)

  job        what to compute, a frozen value (jobs/): ExplainJob(methods, target, layer, score,
             options, pictures, arrays), PredictJob(k, pictures), TopPatchesJob(layer, channels,
             k, inside, project), EmbedJob(method, layer, perplexity, seed, thumbnails); each with
             network=NetworkSpec(model, weights), batch_size and resize (how an image is fitted
             to the network: auto (crop), crop, pad, stretch; images.py).
  inputs     image files, folders (recursively, ``extensions``), CSV files of path,target rows
             (inputs.py), or a list of inputs.Item.
  scheduler  None ($DASK_SCHEDULER_ADDRESS, else in-process), 'in-process', 'processes' (a
             LocalCluster of n_workers), or a scheduler's address (execute.py). Only the last two
             need dask: pip install 'cnnvis[scale]'.
  resume     a shard finished by an earlier run with the same key (shards.py) is skipped.
  quiet      no progress bar and no messages (the dashboard's address) on stderr.

Results are the same, bit for bit, whatever the scheduler and however often a run was
interrupted and resumed, between processes that compute with the same thread counts (cnnvis's
kernels, CNNVIS_NUM_THREADS, and the BLAS's; each record says them): a shard's batches are
fixed by the shard size (a multiple of the batch size), not by who computes them, and the
reductions (top patches' merge, the embedding's gathering of features) run once, on the client,
in input order. They are then also what one in-process call of the method over all images with
that batch size gives (methods.top_patches, methods.top_k, methods.embedding). Other thread
counts (an in-process run on two threads against a local cluster's one-thread workers) or
other BLAS kernels (another CPU) differ by float32 rounding: a threaded kernel adds its
per-thread partial sums, and a threaded BLAS its blocks, in another order (measured: 1e-7 of
the values; tests/test_scale_cluster.py). The output folder's layout: layout.py; the
manifest: manifest.py.

Exceptions: CnnvisError subclasses for bad inputs and parameters (before any work) and for a
scheduler that cannot be reached or a shard that kills its workers (BackendError); an image
that cannot be read is listed in the manifest's "failed", and the run goes on.
"""
from .execute import IN_PROCESS, LOCAL
from .inputs import Item, collect
from .jobs import EmbedJob, ExplainJob, Job, PredictJob, TopPatchesJob
from .network import NetworkSpec
from .runner import run

__all__ = [
           "IN_PROCESS",
           "LOCAL",
           "EmbedJob",
           "ExplainJob",
           "Item",
           "Job",
           "NetworkSpec",
           "PredictJob",
           "TopPatchesJob",
           "collect",
           "run",
]

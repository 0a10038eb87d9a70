"""The k most probable classes of every image (methods/predictions.top_k): per image, a
picture of its bars (render/predictions.py; an Item's target is its label, drawn green), and
for the run OUT/predictions.csv (path, name, label, then class, name and probability per rank)
and OUT/predictions.npz (classes (N, k), probabilities (N, k), indices (N,) into the run's
inputs, paths (N,)), the images that could be read, in input order."""
import csv
import io as stringio
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...io import KINDS, atomic_path, write_text
from ...methods.predictions import top_k
from ...methods.targets import logits_layer
from ...render.common import save_figure
from ...render.predictions import predictions_figure
from .base import Job, check_targets, label_index


@dataclass(frozen=True)
class PredictJob(Job):
    """k: classes per image; pictures: the pictures' extension (None: no pictures)."""
    k: int = 5
    pictures: str = ".png"

    kind = "predict"

    def check(self, net, items):
        super().check(net, items)
        classes = net.output_shapes()[logits_layer(net)][0]
        if not 1 <= int(self.k) <= classes:
            raise InputError(f"k must be between 1 and {net.name}'s {classes} classes, got {self.k}")
        if self.pictures is not None and self.pictures.lower() not in KINDS["picture"]:
            raise InputError(f"pictures are one of {', '.join(KINDS['picture'])}, not {self.pictures!r}")
        check_targets(net, [i.target for i in items if i.target is not None], allow_units=False)

    def run_shard(self, net, layout, shard, inputs):
        images, done = inputs.images, inputs.done
        pred = top_k(net, net.preprocess(images), self.k, self.batch_size)
        outputs, rows = [], []
        for n, (index, item) in enumerate(done):
            label = label_index(net, item.target)
            picture = None
            if self.pictures:
                picture = layout.picture(item.name, "predictions", self.pictures.lower())
                fit = inputs.fits[n]
                fig = predictions_figure(fit.original, pred, n, None if label is None else net.class_name(label),
                                         seen=fit.seen())
                save_figure(fig, layout.path(picture))
                outputs.append(picture)
            rows.append({"index": index, "path": item.path, "name": item.name, "label": label,
                         "classes": pred.classes[n].tolist(), "names": pred.names[n].tolist(),
                         "probabilities": pred.probabilities[n].tolist(), "picture": picture})
        return {"outputs": outputs, "rows": rows}

    def reduce(self, net, layout, records, items):
        rows = [row for r in records for row in r["rows"]]
        text = stringio.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["path", "name", "label"] + [f"{c}_{r}" for r in range(1, self.k + 1)
                                                     for c in ("class", "name", "probability")])
        for row in rows:
            ranks = zip(row["classes"], row["names"], row["probabilities"])
            label = "" if row["label"] is None else net.class_name(row["label"])
            writer.writerow([row["path"], row["name"], label] + [v for rank in ranks for v in rank])
        write_text(layout.path("predictions.csv"), text.getvalue())
        with atomic_path(layout.path("predictions.npz")) as tmp, open(tmp, "wb") as f:
            np.savez(f, classes=np.array([r["classes"] for r in rows], np.int64).reshape(-1, self.k),
                     probabilities=np.array([r["probabilities"] for r in rows], np.float64).reshape(-1, self.k),
                     indices=np.array([r["index"] for r in rows], np.int64),
                     paths=np.array([r["path"] for r in rows], str))
        return ["predictions.csv", "predictions.npz"]

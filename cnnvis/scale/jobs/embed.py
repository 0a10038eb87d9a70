"""A 2-D embedding of every image's features (methods/embedding.py): each shard writes its
images' features and predicted classes (OUT/shards/NNNNN.npz); the run gathers them in input
order and projects them once (PCA, or t-SNE with scikit-learn), as one in-process pass over
all images does, and writes OUT/embedding.png (render/embedding.py) and OUT/embedding.npz
(points (N, 2), labels, predictions, indices into the run's inputs, paths). The labels are the
Items' targets (a CSV's), else the predicted classes."""
import importlib.util
from dataclasses import dataclass

import numpy as np

from ...errors import BackendError, InputError
from ...io import atomic_path
from ...methods.embedding import METHODS, Embedding, features, pca, penultimate_layer, tsne
from ...render.embedding import save_embedding
from ..images import ImageList
from .base import Job, check_targets, label_index


@dataclass(frozen=True)
class EmbedJob(Job):
    """method: 'pca' or 'tsne'; layer: whose features (default the penultimate layer);
    perplexity and seed: t-SNE's (seed also picks the thumbnails); thumbnails: images drawn."""
    method: str = "pca"
    layer: str = None
    perplexity: float = 30.0
    seed: int = 0
    thumbnails: int = 0

    kind = "embed"

    def check(self, net, items):
        super().check(net, items)
        if self.method not in METHODS:
            raise InputError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.method == "tsne" and importlib.util.find_spec("sklearn") is None:
            raise BackendError("t-SNE needs scikit-learn: pip install 'cnnvis[embed]' (or scikit-learn); "
                               "method='pca' needs nothing more")
        if self.method == "tsne" and not 0 < self.perplexity < len(items):
            raise InputError(f"perplexity must be between 0 and the number of images ({len(items)}), "
                             f"got {self.perplexity}; about 5 to 50 is usual")
        if self.layer is not None:
            net.index(self.layer)
        check_targets(net, [i.target for i in items if i.target is not None], allow_units=False)

    def run_shard(self, net, layout, shard, inputs):
        images, done = inputs.images, inputs.done
        feats, preds = features(net, net.preprocess(images), self.layer or penultimate_layer(net), self.batch_size,
                                progress=False)
        part = layout.part(shard.index, ".npz")
        with atomic_path(layout.path(part)) as tmp, open(tmp, "wb") as f:
            np.savez(f, features=feats, indices=np.array([index for index, _ in done], np.int64),
                     **({} if preds is None else {"predictions": preds}))
        return {"part": part, "rows": [{"index": index, "label": label_index(net, item.target)} for index, item in done]}

    def embedding(self, net, layout, records):
        """(the run's Embedding, indices of its points into the run's inputs)."""
        feats, preds, indices = [], [], []
        for r in records:
            if r.get("part"):
                with np.load(layout.path(r["part"])) as f:
                    feats.append(f["features"])
                    indices.append(f["indices"])
                    preds.append(f.get("predictions"))
        feats, indices = np.concatenate(feats), np.concatenate(indices)
        preds = None if preds[0] is None else np.concatenate(preds)
        given = {row["index"]: row["label"] for r in records for row in r["rows"]}
        labels = np.array([given[i] if given[i] is not None else (0 if preds is None else preds[k])
                           for k, i in enumerate(indices)], np.int64)
        points = pca(feats).points if self.method == "pca" else tsne(feats, 2, self.perplexity, self.seed)
        return Embedding(points, labels, preds, self.layer or penultimate_layer(net), self.method), indices

    def reduce(self, net, layout, records, items):
        if not any(r.get("part") for r in records):
            return []
        emb, indices = self.embedding(net, layout, records)
        save_embedding(emb, layout.path("embedding.png"), class_names=net.class_names,
                       images=ImageList(net, [items[i] for i in indices], self.resize), thumbnails=self.thumbnails, seed=self.seed)
        with atomic_path(layout.path("embedding.npz")) as tmp, open(tmp, "wb") as f:
            np.savez(f, points=emb.points, labels=emb.labels, indices=indices,
                     paths=np.array([items[i].path for i in indices], str),
                     **({} if emb.predictions is None else {"predictions": emb.predictions}))
        return ["embedding.png", "embedding.npz"]

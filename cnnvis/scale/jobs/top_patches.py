"""The k images (and the patch in each) where each of some channels fires most, over the
whole run (methods/top_patches.py; Zeiler & Fergus 2014). Each shard keeps its own k best per
channel (OUT/shards/NNNNN.npz: the scores, the image indices in the run, the positions and the
images); the run merges them by methods.top_patches.rank into exactly what one in-process pass
over all images gives, and writes OUT/top_patches.png (render/top_patches.py, with the
deconvnet or guided projections when asked) and OUT/top_patches.json (per channel,
best first: score, index, path, name, position (i, j), box (r0, r1, c0, c1) in the image at
the network's input size)."""
import json
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...io import atomic_path, write_text
from ...methods.targets import Unit, as_text, check_unit
from ...methods.top_patches import TopPatches, inside_mask, patch_at, rank, top_patch_projections, top_patches
from ...render.top_patches import save_top_patches
from ..images import input_form
from .base import Job

PROJECTIONS = ("deconvnet", "guided")


@dataclass(frozen=True)
class TopPatchesJob(Job):
    """layer and channels: the units; k: patches per channel; inside: only units whose field
    lies inside the image; project: None, 'deconvnet' or 'guided' (the picture's projections)."""
    layer: str = None
    channels: tuple = (0, 1, 2, 3)
    k: int = 9
    inside: bool = False
    project: str = None

    kind = "top-patches"

    def units(self):
        return [Unit(self.layer, int(c)) for c in self.channels]

    def check(self, net, items):
        super().check(net, items)
        if self.layer is None:
            raise InputError("top patches need a layer (and channels of it)")
        if int(self.k) < 1:
            raise InputError(f"k must be at least 1, got {self.k}")
        if self.project not in (None, *PROJECTIONS):
            raise InputError(f"project must be one of {PROJECTIONS} (or None), got {self.project!r}")
        if not self.channels:
            raise InputError("no channels given; give at least one channel of the layer")
        net.index(self.layer)
        shape = net.output_shapes()[self.layer]
        for u in self.units():
            check_unit(u, shape)
        if self.inside and len(shape) == 3:
            inside_mask(net, self.layer, input_form(net)[0], shape[1:])

    def run_shard(self, net, layout, shard, inputs):
        images, done = inputs.images, inputs.done
        result = top_patches(net, images, self.units(), self.k, self.batch_size, inside=self.inside, progress=False)
        arrays = {}
        for u, patches in enumerate(result.patches):
            arrays[f"scores_{u}"] = np.array([p.score for p in patches], np.float64)
            arrays[f"indices_{u}"] = np.array([done[p.index][0] for p in patches], np.int64)
            arrays[f"positions_{u}"] = np.array([p.position or (-1, -1) for p in patches], np.int64).reshape(-1, 2)
            arrays[f"images_{u}"] = np.array([p.image for p in patches], np.uint8).reshape(-1, *images.shape[1:])
        part = layout.part(shard.index, ".npz")
        with atomic_path(layout.path(part)) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)
        return {"part": part}

    def merged(self, net, layout, records):
        """The run's TopPatches from every shard's part: each unit's k best by rank() among
        the parts' scores, then a Patch built for those only (their images read last)."""
        units, parts = self.units(), [layout.path(r["part"]) for r in records if r.get("part")]
        candidates = [[] for _ in units]  # (rank, part, row)
        for part in parts:
            with np.load(part) as f:
                for u in range(len(units)):
                    for row, (s, i, p) in enumerate(zip(f[f"scores_{u}"], f[f"indices_{u}"], f[f"positions_{u}"])):
                        position = None if p[0] < 0 else (int(p[0]), int(p[1]))
                        candidates[u].append((rank(float(s), int(i), position), part, row))
        best = [sorted(c, key=lambda c: c[0])[:int(self.k)] for c in candidates]
        images = {}
        for part in {part for b in best for _, part, _ in b}:
            with np.load(part) as f:
                images[part] = {u: f[f"images_{u}"] for u in range(len(units))}
        patches = [[patch_at(net, unit, -key[0], key[1], key[2] or None, images[part][u][row])
                    for key, part, row in b] for u, (unit, b) in enumerate(zip(units, best))]
        return TopPatches(units, patches, sum(len(r["images"]) for r in records))

    def reduce(self, net, layout, records, items):
        if not any(r.get("part") for r in records):
            return []
        result = self.merged(net, layout, records)
        projections = top_patch_projections(net, result, self.project) if self.project else None
        label = {"deconvnet": "deconvnet projection", "guided": "guided backprop"}.get(self.project)
        save_top_patches(result, layout.path("top_patches.png"), projections, net, per_unit=self.k,
                         projection_title=label)
        table = [{"unit": as_text(u), "patches": [
            {"score": p.score, "index": p.index, "path": items[p.index].path, "name": items[p.index].name,
             "position": p.position, "box": [int(v) for v in p.box]} for p in patches]} for u, patches in zip(result.units, result.patches)]
        write_text(layout.path("top_patches.json"), json.dumps(table, indent=1) + "\n")
        return ["top_patches.png", "top_patches.json"]

"""Explain every image with each of some methods (methods/by_name.py, and 'all': the panel of
cnnvis.explain): per image and method a picture (explain.method_figure, the figure
`cnnvis explain` draws) and the raw map, and a table of every image's target and score.

The raw map of image n is the Explanation's values[n]: input-shaped (C, H, W) for the gradient
methods, (H, W) in [0, 1] for the CAMs, occlusion's heatmap[n] (rows, cols) and FGSM's
adversarial input x[n] (C, H, W, network input space). arrays='npy': OUT/arrays/NAME.METHOD.npy;
arrays='hdf5': one store OUT/maps.h5 with a dataset NAME/METHOD per map, whose attributes are the
image's path, its target, the method, the score and its kind, the layer and the job's parameters.
Method 'all' draws one panel per image (NAME.all.png) and keeps each panel method's map as
METHOD 'all.SALIENCY' etc. OUT/explanations.csv lists, per image and method, the path, the
target, its score and the picture and map written.
"""
import csv
import io as stringio
import json
from dataclasses import dataclass, field

import numpy as np

from ...errors import InputError
from ...explain import method_figure
from ...io import KINDS, atomic_path, write_bytes, write_text
from ...methods import by_name
from ...methods import targets as T
from ...render.attribution import methods_figure
from ...render.common import save_figure
from .base import Job, check_targets

ARRAYS = ("npy", "hdf5", None)
PANEL_OPTIONS = ("samples", "steps")
COLUMNS = ("index", "path", "name", "method", "target", "score", "score_kind", "layer", "picture", "array")


@dataclass(frozen=True)
class ExplainJob(Job):
    """methods: names of by_name.METHODS, or 'all'; target: the default target (an Item's own
    overrides it); layer, score, options: as by_name.attribute takes them (each method gets the
    options it takes); pictures: the pictures' extension (None: no pictures); arrays: ARRAYS."""
    methods: tuple = ("gradcam",)
    target: object = "predicted"
    layer: str = None
    score: str = None
    options: dict = field(default_factory=dict)
    pictures: str = ".png"
    arrays: str = "npy"

    kind = "explain"

    def check(self, net, items):
        super().check(net, items)
        if not self.methods:
            raise InputError("no method to run; give one or more of " + ", ".join([*by_name.METHODS, "all"]))
        taken = set()
        for name in self.methods:
            taken |= set(PANEL_OPTIONS) if name == "all" else set(by_name.method(name).options)
        unknown = sorted(set(self.options) - taken)
        if unknown:
            raise InputError(f"no method of {', '.join(self.methods)} takes the option {', '.join(unknown)}")
        if self.pictures is not None and self.pictures.lower() not in KINDS["picture"]:
            raise InputError(f"pictures are one of {', '.join(KINDS['picture'])}, not {self.pictures!r}")
        if self.arrays not in ARRAYS:
            raise InputError(f"arrays must be one of {ARRAYS}, got {self.arrays!r}")
        if self.score not in (None, *T.SCORES):
            raise InputError(f"score must be one of {T.SCORES}, got {self.score!r}")
        if self.score == "prob" and not T.ends_in_softmax(net):
            raise InputError(f"score 'prob' needs a network ending in a softmax; {net.name} ends with "
                             f"{type(net[net.output]).__name__}: score by the logit")
        if self.layer is not None:
            net.index(self.layer)
        default = [self.target] if any(i.target is None for i in items) else []  # not needed: every item has one
        check_targets(net, default + [i.target for i in items if i.target is not None])

    def _explanations(self, net, x, targets):
        """[(method as named in the outputs, Explanation, the picture's method or None)] for batch x."""
        out = []
        for name in self.methods:
            if name == "all":
                given = {k: v for k, v in self.options.items() if k in PANEL_OPTIONS}
                panel = by_name.panel(net, x, targets, self.layer, progress=False, **given)
                out += [(f"all.{e.method}", e, "all" if k == 0 else None) for k, e in enumerate(panel)]
                continue
            given = {k: v for k, v in self.options.items() if k in by_name.method(name).options}
            out.append((name, by_name.attribute(net, x, name, targets, self.layer, self.score, progress=False,
                                                **given), name))
        return out

    def run_shard(self, net, layout, shard, inputs):
        images, done = inputs.images, inputs.done
        outputs, rows, store = [], [], {}
        for b0 in range(0, len(done), self.batch_size):
            batch, imgs = done[b0:b0 + self.batch_size], images[b0:b0 + self.batch_size]
            fits = inputs.fits[b0:b0 + self.batch_size]
            x = net.preprocess(imgs)
            targets = T.resolve(net, x, [self.target if i.target is None else i.target for _, i in batch])
            explanations = self._explanations(net, x, targets)
            panel = [e for name, e, _ in explanations if name.startswith("all.")]
            for n, (index, item) in enumerate(batch):
                for name, e, drawn in explanations:
                    picture = array = None
                    if self.pictures:
                        picture = layout.picture(item.name, "all" if name.startswith("all.") else name,
                                                 self.pictures.lower())
                    if picture and drawn:  # a panel is drawn once, with its first method
                        fig = methods_figure(net, x, panel, index=n, fit=fits[n]) if drawn == "all" else \
                            method_figure(net, imgs[n], x, e, n, fit=fits[n])[0]
                        save_figure(fig, layout.path(picture), dpi=120)
                        outputs.append(picture)
                    row = {"index": index, "path": item.path, "name": item.name, "method": name,
                           "target": T.as_text(e.targets[n]), "score": float(e.scores[n]),
                           "score_kind": e.score, "layer": e.layer, "picture": picture}
                    if self.arrays == "npy":
                        array = layout.array(item.name, name)
                        _save_npy(layout.path(array), raw_map(e, n))
                        outputs.append(array)
                    elif self.arrays == "hdf5":
                        array = f"maps.h5:{item.name}/{name}"
                        store[f"{item.name}/{name}"] = (raw_map(e, n), dict(row, parameters=json.dumps(
                            self.parameters())))
                    rows.append(dict(row, array=array))
        part = None
        if store:
            part = layout.part(shard.index, ".h5")
            _save_h5(layout.path(part), store)
        return {"outputs": outputs, "rows": rows, "part": part}

    def reduce(self, net, layout, records, items):
        rows = [row for r in records for row in r["rows"]]
        text = stringio.StringIO()
        writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_text(layout.path("explanations.csv"), text.getvalue())
        outputs = ["explanations.csv"]
        if self.arrays == "hdf5":
            merge_h5(layout.path("maps.h5"), [layout.path(r["part"]) for r in records if r.get("part")])
            outputs.append("maps.h5")
        return outputs


def raw_map(e, n):
    """Image n's raw map of Explanation e (module docstring), a NumPy array."""
    if e.display == "occlusion":
        return np.asarray(e.values.heatmap[n])
    if e.display == "adversarial":
        return np.asarray(e.values.x[n])
    return np.asarray(e.values[n])


def _save_npy(path, array):
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, array)


def _save_h5(path, store):
    """A shard's maps as an HDF5 file, built in memory and written as bytes (as weights/native.py
    does: a plain write fails cleanly on a full disk, HDF5 itself may not)."""
    import h5py
    buffer = stringio.BytesIO()
    with h5py.File(buffer, "w") as f:
        for key, (array, attrs) in store.items():
            d = f.create_dataset(key, data=array)
            for k, v in attrs.items():
                d.attrs[k] = "" if v is None else v
    write_bytes(path, buffer.getbuffer())


def merge_h5(path, parts):
    """One HDF5 store at ``path`` holding every dataset of the part files, in order; written by
    HDF5 into the temporary (a dataset's store may not fit in memory), whose lock is
    atomic_path's (HDF5's own would conflict with it)."""
    import h5py
    with atomic_path(path) as tmp, h5py.File(tmp, "w", locking=False) as out:
        for part in parts:
            with h5py.File(part, "r") as f:
                f.visititems(lambda key, obj: _copy(obj, out, key) if isinstance(obj, h5py.Dataset) else None)


def _copy(dataset, out, key):
    parent, _, name = key.rpartition("/")
    dataset.file.copy(dataset, out.require_group(parent) if parent else out, name)

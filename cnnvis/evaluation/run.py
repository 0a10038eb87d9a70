"""Methods x metrics on a model and a set of images: what `cnnvis evaluate` runs and prints.

    metric              value per method (mean over the images)                     better
    deletion            AUC of the deletion curve, most relevant pixels first (RISE)   lower
    insertion           AUC of the insertion curve from the blurred image (RISE)       higher
    road-morf           ROAD, most relevant removed first: mean score over the curve  lower
    road-lerf           ROAD, least relevant removed first                            higher
    randomization       similarity of the maps after cascading randomization of every
                        layer with the original maps, per similarity (Adebayo)         lower
    data-randomization  similarity of the maps of the random-label model with the
                        real model's, per similarity (Adebayo)                         lower
    pointing-game       share of hits on a set with known objects (Zhang et al.)       higher
    energy              share of positive relevance on the object (Score-CAM)          higher

Scores are the target's softmax probability (the logit for networks without softmax). The
ROAD value is the curve's AUC divided by the span of its fractions: its mean score.
"""
import csv
import io
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..methods.targets import resolve
from .localisation import energy_pointing_game, pointing_game
from .maps import METHODS, check_methods, relevance_all
from .perturbation import ROAD_FRACTIONS, deletion, insertion, road
from .randomization import data_randomization, model_randomization
from .similarity import SIMILARITIES, check_similarities

METRICS = {"deletion": "lower", "insertion": "higher", "road-morf": "lower", "road-lerf": "higher",
           "randomization": "lower", "data-randomization": "lower", "pointing-game": "higher",
           "energy": "higher"}
CURVES = ("deletion", "insertion", "road-morf", "road-lerf")


@dataclass
class Evaluation:
    """values {method: {column: per-image values (n,)}}; columns: [(column, metric, better)];
    curves {metric: {method: Curves}}; randomization, data_randomization: their results (or
    None); localisation: (LocalisationSet, {method: maps}) or None; info: the settings and
    the seconds each metric took."""
    methods: list
    columns: list
    values: dict
    curves: dict = field(default_factory=dict)
    randomization: object = None
    data_randomization: object = None
    localisation: object = None
    info: dict = field(default_factory=dict)

    def mean(self, method, column):
        v = self.values[method].get(column)
        return float(np.nanmean(v)) if v is not None and len(v) else float("nan")

    def best(self, column):
        """The method with the best mean in ``column`` (the random control included)."""
        better = {c: b for c, _, b in self.columns}[column]
        means = {m: self.mean(m, column) for m in self.methods}
        means = {m: v for m, v in means.items() if np.isfinite(v)}
        if not means:
            return None
        return (min if better == "lower" else max)(means, key=means.get)

    def rows(self):
        """[(method, column, mean, std, n, better)] for every cell."""
        out = []
        for m in self.methods:
            for column, _, better in self.columns:
                v = np.asarray(self.values[m][column], np.float64)
                out.append((m, column, float(np.nanmean(v)), float(np.nanstd(v)), int(np.isfinite(v).sum()),
                            better))
        return out

    def ranking(self, column, include_random=True):
        """The methods from best to worst by their mean in ``column``."""
        better = {c: b for c, _, b in self.columns}[column]
        means = {m: self.mean(m, column) for m in self.methods if include_random or m != "random"}
        ranked = sorted((m for m in means if np.isfinite(means[m])), key=means.get)
        return ranked if better == "lower" else ranked[::-1]

    def summary(self):
        """What the numbers say, in sentences: the order of the methods by each faithfulness and
        localisation metric (and which do no better than the random control), and how much
        each method's maps change in the sanity checks."""
        lines = []
        names = {"deletion": "deletion AUC", "insertion": "insertion AUC", "road-morf": "ROAD (MoRF)",
                 "road-lerf": "ROAD (LeRF)", "pointing-game": "pointing game", "energy": "energy pointing game"}
        for column, metric, better in self.columns:
            if metric in names:
                order = self.ranking(column)
                text = ", ".join(f"{m} {self.mean(m, column):.3f}" for m in order)
                worse = order[order.index("random") + 1:] if "random" in order else []
                lines.append(f"{names[metric]} ({better} is better): {text}" +
                             (f"; no better than the random control: {', '.join(worse)}" if worse else "") + ".")
        for kind, label in (("randomization", "after cascading randomization of every layer"),
                            ("data-randomization", "between the real and the random-label model")):
            cols = [c for c, metric, _ in self.columns if metric == kind]
            if not cols:
                continue
            column = next((c for c in cols if c.endswith(":spearman_abs")), cols[0])
            order = self.ranking(column, include_random=False)  # lowest similarity first
            lines.append(f"Similarity ({column.split(':')[1]}) of the maps {label}, most changed first "
                         f"(a method that passes changes its maps): "
                         + ", ".join(f"{m} {self.mean(m, column):.2f}" for m in order) + ".")
        return lines

    def csv(self):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(("method", "metric", "mean", "std", "n", "better"))
        for m, c, mean, std, n, better in self.rows():
            writer.writerow((m, c, f"{mean:.6g}", f"{std:.6g}", n, better))
        return buf.getvalue()

    def table(self):
        """The table as text: a row per metric (its better direction and the number of images
        its means are over beside it), a column per method; * marks each row's best method."""
        head = ["metric", "", "n"] + list(self.methods)
        rows = []
        for column, _, better in self.columns:
            best = self.best(column)
            n = int(np.isfinite(np.asarray(self.values[self.methods[0]][column], np.float64)).sum())
            rows.append([column, better, str(n)] + [f"{self.mean(m, column):.3f}" + ("*" if m == best else " ")
                                                    for m in self.methods])
        widths = [max(len(r[k]) for r in rows + [head]) for k in range(len(head))]

        def line(r):
            return "  ".join(v.ljust(w) if k < 2 else v.rjust(w) for k, (v, w) in enumerate(zip(r, widths))).rstrip()
        note = ("means over the n images of each row (the sanity checks run on the first images only, the "
                "pointing games on the localisation set); * the best method of each row (lower or higher, as "
                "the second column says)")
        return "\n".join([line(head), "-" * len(line(head))] + [line(r) for r in rows] + ["", note])


def _columns(metrics, similarities):
    cols = []
    for metric in metrics:
        if metric in ("randomization", "data-randomization"):
            cols += [(f"{metric}:{s}", metric, METRICS[metric]) for s in similarities]
        else:
            cols.append((metric, metric, METRICS[metric]))
    return cols


def check_metrics(metrics):
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for m in metrics:
        if m not in METRICS:
            raise InputError(f"unknown metric {m!r}; choose from {', '.join(METRICS)}")
    return metrics


def evaluate(net, x, target="predicted", methods=METHODS, metrics=tuple(METRICS), step=0.05,
             baseline="zeros", insertion_baseline="blur", road_fractions=ROAD_FRACTIONS, noise=0.01,
             similarities=SIMILARITIES, random_net=None, localisation=None, sanity_images=None, seed=0,
             options=None, layer=None, batch_size=64, progress=None):
    """Every method of ``methods`` (maps.METHODS) scored by every metric of ``metrics`` (METRICS)
    on the inputs x (N, C, H, W) and their targets (per targets.py; 'predicted' by default).

    step: deletion and insertion step (a fraction of the pixels); baseline: deletion's fill,
    insertion_baseline: insertion's start (perturbation.baseline_images); road_fractions,
    noise: ROAD's; similarities: those of similarity.py for the randomization tests;
    random_net: the random-label model (data-randomization); localisation: a LocalisationSet
    (pointing-game, energy); sanity_images: run the randomization tests on the first this
    many images only (they recompute every map once per layer); seed: of the random control,
    SmoothGrad's noise, ROAD's noise and the re-initialisation; options {method: {...}} and
    layer: relevance_all's. Returns an Evaluation.
    """
    methods, metrics = check_methods(methods), check_metrics(metrics)
    similarities = check_similarities(similarities)
    if "data-randomization" in metrics and random_net is None:
        raise InputError("metric 'data-randomization' needs the random-label model: give random_net= "
                         "(cnnvis.models.random_labels_model() for the bundled model)")
    if {"pointing-game", "energy"} & set(metrics) and localisation is None:
        raise InputError("metrics 'pointing-game' and 'energy' need images with known objects: give "
                         "localisation= (cnnvis.evaluation.localisation_set(net))")
    options = {m: dict(options.get(m, {}) if options else {}) for m in methods}
    for m in ("smoothgrad", "random"):
        if m in options:
            options[m].setdefault("seed", seed)
    info = {"images": len(x), "seconds": {}, "step": step, "baseline": baseline,
            "insertion_baseline": insertion_baseline, "road_fractions": list(road_fractions),
            "noise": noise, "seed": seed}
    columns = _columns(metrics, similarities)
    values = {m: {} for m in methods}
    result = Evaluation(methods, columns, values, info=info)
    targets = resolve(net, x, target)
    started = time.perf_counter()
    maps = relevance_all(net, x, targets, methods, layer, progress, options)
    info["seconds"]["maps"] = time.perf_counter() - started
    curve_runs = {"deletion": lambda m: deletion(net, x, m, targets, step, baseline, batch_size=batch_size,
                                                 progress=progress),
                  "insertion": lambda m: insertion(net, x, m, targets, step, insertion_baseline,
                                                   batch_size=batch_size, progress=progress),
                  "road-morf": lambda m: road(net, x, m, targets, "morf", road_fractions, noise, seed=seed,
                                              batch_size=batch_size, progress=progress),
                  "road-lerf": lambda m: road(net, x, m, targets, "lerf", road_fractions, noise, seed=seed,
                                              batch_size=batch_size, progress=progress)}
    for metric in metrics:
        started = time.perf_counter()
        if metric in CURVES:
            result.curves[metric] = {m: curve_runs[metric](maps[m]) for m in methods}
            for m, c in result.curves[metric].items():
                span = c.fractions[-1] - c.fractions[0]
                values[m][metric] = c.auc() / (span if metric.startswith("road") else 1.0)
        elif metric == "randomization":
            k = len(x) if sanity_images is None else int(sanity_images)
            result.randomization = model_randomization(net, x[:k], targets[:k], methods, "cascading",
                                                       similarities=similarities, seed=seed,
                                                       options=options, layer=layer, progress=progress)
            for m in methods:
                for s in similarities:
                    values[m][f"randomization:{s}"] = result.randomization.scores[m][s][-1]
        elif metric == "data-randomization":
            k = len(x) if sanity_images is None else int(sanity_images)
            result.data_randomization = data_randomization(net, random_net, x[:k], targets[:k], methods,
                                                           similarities, options, layer, progress)
            for m in methods:
                for s in similarities:
                    values[m][f"data-randomization:{s}"] = result.data_randomization.scores[m][s]
        elif result.localisation is None:  # pointing-game or energy: one set of maps for both
            lx = net.preprocess(localisation.images)
            lmaps = relevance_all(net, lx, list(localisation.targets), methods, layer, progress, options)
            result.localisation = (localisation, lmaps)
        if metric in ("pointing-game", "energy"):
            loc, lmaps = result.localisation
            score = pointing_game if metric == "pointing-game" else energy_pointing_game
            for m in methods:
                values[m][metric] = score(lmaps[m], loc.masks)
        info["seconds"][metric] = time.perf_counter() - started
    return result

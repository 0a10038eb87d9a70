"""Deletion and insertion curves (Petsiuk, Das & Saenko, "RISE: Randomized Input Sampling for
Explanation of Black-box Models", BMVC 2018), most- or least-relevant first (MoRF / LeRF,
Samek et al. 2017), with ROAD's imputation as an option (Rong et al., ICML 2022).

    deletion:   x_k = x with its first n_k features (in relevance order) set to the baseline
    insertion:  x_k = the baseline with the first n_k features of x put back
    curve[k] = S(x_k), the target's softmax probability (score='prob', RISE's) or its logit
    AUC = the trapezoid rule over n_k / F in [0, 1] (RISE's auc(): the mean of the curve's
                                                  trapezoids when the steps are equal)

A good map makes the deletion curve fall fast (low AUC) and the insertion curve rise fast
(high AUC). A feature is a pixel (its channels together) or, with patch=p, a p x p block of
the grid of blocks from the top-left corner (blocks at the right and bottom edges are cut by
the image), ranked by its summed relevance; order='morf' ranks the most relevant first,
'lerf' the least; ties keep row-major order (a stable sort). With F features, n_k =
floor(f_k * F) for the fractions f_k = 0, step, 2 step, ..., 1 (or the ``fractions`` given).

Baselines: 'zeros' (the zero network input: black for the bundled model), 'blur' (x blurred
with a Gaussian of blur_sigma pixels: RISE's insertion start), 'mean' (each image's mean per
channel), a number, or an array broadcastable to x. imputation='road' fills removed pixels by
noisy linear imputation instead (road.py): ROAD's MoRF and LeRF curves (deletion only).

Every (image, step) image is built on the host and run through the network batch_size at a
time, with a progress bar. Quantus's counterparts (tests/test_evaluation_quantus.py):
PixelFlipping (the deletion curve without its first point), Selectivity and
RegionPerturbation (patch=p), ROAD (accuracy per fraction).
"""
from dataclasses import dataclass, field

import numpy as np

from ..engine import to_host
from ..errors import InputError
from ..methods.batches import pair_batches
from ..methods.blur import gaussian_blur
from ..methods.targets import Unit, ends_in_softmax, resolve, target_layer, target_scores
from .road import noisy_linear_imputation

MODES = ("deletion", "insertion")
ORDERS = ("morf", "lerf")
BASELINES = ("zeros", "blur", "mean")
IMPUTATIONS = ("baseline", "road")
ROAD_FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Curves:
    """fractions (K,): the share of features changed at each point; scores (N, K): the target's
    score there; top (N, K): the top class there (None for unit targets); info: the settings."""
    fractions: np.ndarray
    scores: np.ndarray
    top: np.ndarray = None
    info: dict = field(default_factory=dict)

    def auc(self):
        """Area under each image's curve over the fractions, (N,) (trapezoid rule)."""
        return trapezoid(self.scores, self.fractions)

    def mean_auc(self):
        return float(self.auc().mean())

    def accuracy(self, labels):
        """(K,): the share of images classified as ``labels`` (N,) at each point (ROAD's measure)."""
        if self.top is None:
            raise InputError("accuracy needs class targets; these curves score units")
        return (self.top == np.asarray(labels)[:, None]).mean(axis=0)


def trapezoid(y, x):
    """The trapezoid rule along the last axis of y over the points x."""
    y = np.asarray(y, np.float64)
    return ((y[..., 1:] + y[..., :-1]) / 2 * np.diff(x)).sum(axis=-1)


def step_fractions(step):
    """0, step, 2 step, ..., 1 (the last step may be shorter)."""
    if not 0 < step <= 1:
        raise InputError(f"step must be a fraction of the features in (0, 1], got {step}")
    k = int(np.ceil(1 / step - 1e-9))
    return np.minimum(np.arange(k + 1) * step, 1.0)


def check_fractions(fractions):
    f = np.asarray(fractions, np.float64).reshape(-1)
    if len(f) < 2 or not np.all(np.isfinite(f)) or f.min() < 0 or f.max() > 1 or np.any(np.diff(f) <= 0):
        raise InputError(f"fractions must be at least two increasing numbers in [0, 1], got {list(fractions)}")
    return f


def check_maps(maps, x):
    """Relevance maps (N, H, W) matching the inputs x (N, C, H, W), as float64 on the host."""
    maps = np.asarray(to_host(maps), np.float64)
    if maps.ndim != 3 or maps.shape[0] != len(x) or maps.shape[1:] != tuple(x.shape[2:]):
        raise InputError(f"relevance maps must be (N, H, W) = ({len(x)}, {x.shape[2]}, {x.shape[3]}) for "
                         f"inputs of shape {tuple(x.shape)}, got {maps.shape}; reduce a method's (N, C, H, W) "
                         "output to one map per image first (cnnvis.evaluation.relevance does)")
    if not np.all(np.isfinite(maps)):
        raise InputError("the relevance maps contain NaN or infinite values")
    return maps


def baseline_images(x, baseline="zeros", blur_sigma=5.0):
    """The images the removed features take: 'zeros', 'blur', 'mean', a number or an array."""
    if isinstance(baseline, str):
        if baseline == "zeros":
            return np.zeros_like(x)
        if baseline == "blur":
            return gaussian_blur(x, blur_sigma)
        if baseline == "mean":
            return np.broadcast_to(x.mean(axis=(2, 3), keepdims=True), x.shape).copy()
        raise InputError(f"baseline must be one of {BASELINES}, a number or an array, got {baseline!r}")
    b = np.asarray(baseline, x.dtype)
    try:
        return np.broadcast_to(b, x.shape).copy()
    except ValueError:
        raise InputError(f"a baseline of shape {b.shape} does not fit inputs of shape {x.shape}; give a "
                         "number, one value per channel (C, 1, 1), one image (C, H, W) or one per input") from None


def regions(shape, patch):
    """Region index (H, W) of each pixel: the p x p blocks in row-major order, and their count."""
    h, w = shape
    if not 1 <= int(patch) <= min(h, w):
        raise InputError(f"patch must be a whole number of pixels in 1 .. {min(h, w)}, got {patch}")
    p = int(patch)
    cols = -(-w // p)
    rid = (np.arange(h)[:, None] // p) * cols + np.arange(w)[None, :] // p
    return rid, int(rid.max()) + 1


def ranks(maps, rid, count, order="morf"):
    """rank[n, f]: the position of feature f of image n in the order of removal (0 first)."""
    if order not in ORDERS:
        raise InputError(f"order must be one of {ORDERS}, got {order!r}")
    n = len(maps)
    rel = np.zeros((n, count))
    np.add.at(rel, (slice(None), rid.reshape(-1)), maps.reshape(n, -1))
    key = -rel if order == "morf" else rel
    first = np.argsort(key, axis=1, kind="stable")
    rank = np.empty_like(first)
    np.put_along_axis(rank, first, np.arange(count)[None].repeat(n, axis=0), axis=1)
    return rank


def perturbation_curves(net, x, maps, target, mode="deletion", order="morf", step=0.05, fractions=None,
                        baseline="zeros", blur_sigma=5.0, patch=1, imputation="baseline", noise=0.01,
                        seed=0, score=None, batch_size=64, progress=None):
    """The curves of ``mode`` ('deletion' | 'insertion') for the maps (N, H, W) of x (N, C, H, W).

    target: per targets.py (resolved on x); score: 'prob' (default for networks ending in
    softmax) or 'logit'; see the module's docstring for the rest. noise, seed: ROAD's noise
    std (in network-input units) and the seed of its draws. Returns Curves.
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    if imputation not in IMPUTATIONS:
        raise InputError(f"imputation must be one of {IMPUTATIONS}, got {imputation!r}")
    if imputation == "road" and mode != "deletion":
        raise InputError("ROAD imputes removed pixels: it applies to mode='deletion' (order='morf' "
                         "or 'lerf'), not to insertion")
    x = np.asarray(to_host(x), net.dtype)
    maps = check_maps(maps, x)
    f = step_fractions(step) if fractions is None else check_fractions(fractions)
    if imputation == "road" and f[-1] >= 1:
        raise InputError("ROAD cannot remove every pixel (nothing is left to impute from): give "
                         "fractions below 1, e.g. fractions=np.arange(10) / 10")
    score = score or ("prob" if ends_in_softmax(net) else "logit")
    targets = resolve(net, x, target)
    top_layer = target_layer(net, targets, score)
    rid, count = regions(x.shape[2:], patch)
    rank = ranks(maps, rid, count, order)
    counts = np.floor(f * count + 1e-6).astype(np.int64)
    base = baseline_images(x, baseline, blur_sigma) if imputation == "baseline" else None
    scores = np.zeros((len(x), len(f)))
    units = any(isinstance(t, Unit) for t in targets)
    top = None if units else np.zeros((len(x), len(f)), np.int64)
    rng = np.random.default_rng(seed)
    label = f"{mode} ({order}{', ROAD' if imputation == 'road' else ''})"
    for rows in pair_batches(len(x), len(f), batch_size, label, "image", progress):  # (image, step)
        img, k = rows[:, 0], rows[:, 1]
        changed = (rank[img][:, rid.reshape(-1)] < counts[k][:, None]).reshape(len(rows), 1, *x.shape[2:])
        if imputation == "road":
            xb = np.stack([noisy_linear_imputation(x[i], m[0], noise, rng) for i, m in zip(img, changed)])
        elif mode == "deletion":
            xb = np.where(changed, base[img], x[img])
        else:
            xb = np.where(changed, x[img], base[img])
        out = net.forward(xb.astype(net.dtype, copy=False), until=top_layer)
        scores[img, k] = to_host(target_scores(out, [targets[i] for i in img]))
        if top is not None:
            top[img, k] = to_host(out.argmax(axis=1))
    info = {"mode": mode, "order": order, "patch": int(patch), "score": score, "features": count,
            "counts": counts, "imputation": imputation,
            **({"noise": noise, "seed": seed} if imputation == "road" else
               {"baseline": baseline if isinstance(baseline, str) else "array"})}
    return Curves(f, scores, top, info)


def deletion(net, x, maps, target, step=0.05, baseline="zeros", **kwargs):
    """Petsiuk et al.'s deletion curve: most relevant features removed first (lower AUC is better)."""
    return perturbation_curves(net, x, maps, target, "deletion", kwargs.pop("order", "morf"), step,
                               baseline=baseline, **kwargs)


def insertion(net, x, maps, target, step=0.05, baseline="blur", **kwargs):
    """Petsiuk et al.'s insertion curve: from the baseline (RISE's: the blurred image), the most
    relevant features put back first (higher AUC is better)."""
    return perturbation_curves(net, x, maps, target, "insertion", kwargs.pop("order", "morf"), step,
                               baseline=baseline, **kwargs)


def road(net, x, maps, target, order="morf", fractions=ROAD_FRACTIONS, noise=0.01, **kwargs):
    """ROAD: the deletion curve with noisy linear imputation, MoRF (lower is better) or LeRF
    (higher is better), at the fractions 0, 0.1, ..., 0.9 by default."""
    return perturbation_curves(net, x, maps, target, "deletion", order, fractions=fractions,
                               imputation="road", noise=noise, **kwargs)

"""Occlusion sensitivity (Zeiler & Fergus 2014), exact and fast.

    heatmap[n, i, j] = score(x_n) - score(x_n with the patch at (i*s_h, j*s_w) filled)

score is the target's softmax probability (default) or logit, as Captum's Occlusion
computes it (same sign: positive where hiding the patch lowers the score); or, in
Zeiler & Fergus's variant, a unit's activation: a channel's total (reduce='sum') or
maximum (reduce='max') via a Unit target. Map size floor((H - p) / s) + 1 per axis.

method='incremental' (default) recomputes, per layer, only the window the patch can
change (occlusion_plan.py, occlusion_incremental.py; Krypton, SIGMOD 2019) and is
exact: it equals method='naive' (batched full forwards) up to float32 rounding.
per_pixel=True also returns Captum's per-pixel attribution: each pixel gets the mean
of the differences of the windows that cover it (0 where none does).
Approximate: tau < 1 here (occlusion_plan.make_plan); the adaptive drill-down in
occlusion_approx.py.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from .. import progress as progress_bars
from ..engine import array_module, holds_weights, to_device, to_host
from ..engine.parallel import single_threaded_blas
from ..errors import InputError
from ..layers.base import pair
from . import targets as T
from .occlusion_incremental import CleanImage, run_batch
from .occlusion_plan import grid_size, make_plan

METHODS = ("incremental", "naive")


@dataclass
class OcclusionResult:
    """heatmap (N, rows, cols) = clean score - occluded score; scores: the occluded scores;
    clean_scores (N,); top_class (N, rows, cols): the most probable class with the patch at
    each position (class targets only); pixel_map (N, H, W) when per_pixel=True."""
    heatmap: np.ndarray
    scores: np.ndarray
    clean_scores: np.ndarray
    top_class: np.ndarray = None
    pixel_map: np.ndarray = None
    info: dict = field(default_factory=dict)


def _patch_values(fill, x_n, rows, cols, patch, stride):
    """(B, C, ph, pw) contents of each position's patch: the fill, broadcast or cut from an image."""
    xp = array_module(x_n)
    c, h, w = x_n.shape
    ph, pw = patch
    fill = xp.asarray(fill, dtype=x_n.dtype)
    b = len(rows) * len(cols)
    if fill.ndim == 0 or fill.shape == (c,):
        return xp.broadcast_to(fill.reshape(-1, 1, 1), (c, ph, pw))[None].repeat(b, axis=0)
    out = xp.zeros((b, c, ph, pw), x_n.dtype)
    for ii, i in enumerate(rows):
        for jj, j in enumerate(cols):
            r, s = i * stride[0], j * stride[1]
            part = fill[:, r:r + ph, s:s + pw]  # cut at the image's edge (cover_edges)
            out[ii * len(cols) + jj, :, :part.shape[1], :part.shape[2]] = part
    return out


def _check_fill(fill, x):
    shape = np.shape(fill)
    if shape not in ((), (x.shape[1],), tuple(x.shape[1:])):
        raise InputError(f"fill must be a number, one value per channel {(x.shape[1],)} or an image "
                         f"{tuple(x.shape[1:])}, got shape {shape}")
    if not np.all(np.isfinite(to_host(fill))):
        raise InputError("fill contains NaN or infinite values")


def _scores(out, target):
    """Scores (B,) of one target from the outputs of its layer (targets.target_scores), and
    the top classes (arg max of logits or probabilities alike; None for a unit target)."""
    scores = to_host(T.target_scores(out, [target] * len(out)))
    return scores, None if isinstance(target, T.Unit) else to_host(out.argmax(axis=1))


def grid_blocks(grid, batch_size):
    """Cut the position grid into blocks of about batch_size positions (contiguous runs, so
    that positions in a block have similar windows)."""
    n_r, n_c = grid
    bc = min(n_c, max(1, int(round(np.sqrt(batch_size)))))
    br = min(n_r, max(1, batch_size // bc))
    return [(np.arange(r, min(n_r, r + br)), np.arange(c, min(n_c, c + bc)))
            for r in range(0, n_r, br) for c in range(0, n_c, bc)]


@holds_weights
def occlusion(net, x, target, patch=16, stride=8, fill=0.0, score="prob", method="incremental",
              batch_size=None, per_pixel=False, cover_edges=False, tau=1.0, memory_mb=None, progress=None):
    """Occlusion sensitivity maps of x (N, C, H, W) for ``target`` (see methods/targets.py).

    patch, stride: int or (rows, cols); fill: the value the patch holds, in network-input
    units (a number, one per channel, or an image like x[n], e.g. a blurred copy).
    batch_size: patch positions per batch (default 64 incremental, 8 naive); or memory_mb: the
    batch that keeps the activations of one batch within about that many MiB.
    cover_edges: Captum's windows: ceil((H - p) / s) + 1 positions, the last patch cut at the
    image's edge, so that every pixel is covered (with per_pixel, Captum's exact numbers).
    tau < 1: approximate, Krypton's projective-field threshold (occlusion_plan.make_plan).
    Returns an OcclusionResult.
    """
    sweep = Sweep(net, x, target, patch, stride, fill, score, method, batch_size, tau, cover_edges,
                  memory_mb)
    started = time.perf_counter()
    with progress_bars.bar(total=sweep.positions(), desc=f"occlusion ({method})",
                           progress=progress, unit="pos") as bar:
        for k in range(sweep.n):
            sweep.run(k, sweep.blocks, bar)
    result = sweep.result()
    result.info["seconds"] = time.perf_counter() - started
    if per_pixel:
        result.pixel_map = spread_per_pixel(result.heatmap, x.shape[2:], sweep.patch, sweep.stride)
    return result


class Sweep:
    """The state of one occlusion sweep: validated parameters, targets, the plan, the maps."""

    def __init__(self, net, x, target, patch, stride, fill, score, method, batch_size, tau,
                 cover_edges=False, memory_mb=None):
        if method not in METHODS:
            raise InputError(f"method must be one of {METHODS}, got {method!r}")
        if tau != 1.0 and method != "incremental":
            raise InputError("tau (projective-field thresholding) needs method='incremental'")
        x = to_device(x, net.backend)
        if x.ndim != 4:
            raise InputError(f"x must be a batch (N, C, H, W), got shape {tuple(x.shape)}")
        self.patch, self.stride = pair(patch, "patch"), pair(stride, "stride")
        h, w = x.shape[2:]
        if self.patch[0] > h or self.patch[1] > w:
            raise InputError(f"a {self.patch[0]}x{self.patch[1]} patch is larger than the {h}x{w} "
                             "image; use a smaller patch")
        _check_fill(fill, x)
        self.fill = to_device(np.asarray(to_host(fill), np.float32), net.backend)
        self.net, self.x, self.n = net, x, len(x)
        self.targets = T.resolve(net, x, target)
        self.layer = T.target_layer(net, self.targets, score)
        for t in self.targets:
            if isinstance(t, T.Unit):
                T.check_unit(t, net.output_shapes((x.shape[1], h, w))[self.layer])
        self.grid = (grid_size(h, self.patch[0], self.stride[0], cover_edges),
                     grid_size(w, self.patch[1], self.stride[1], cover_edges))
        self.plan = make_plan(net, (h, w), self.patch, self.stride, self.layer, tau, cover_edges) \
            if method == "incremental" else None
        note = None
        if self.plan is not None and not self.plan.windowed():  # e.g. a Flatten first
            note = ("nothing to reuse: no node before the score is a window or pointwise layer, "
                    "so each position runs the whole network (as method='naive')")
            self.plan, method = None, "naive"
        if memory_mb is not None:
            if batch_size is not None or not memory_mb > 0:
                raise InputError(f"give either batch_size or a positive memory_mb, got {batch_size} "
                                 f"and {memory_mb}")
            batch_size = max(1, int(memory_mb * 2 ** 20 // self._bytes_per_position((x.shape[1], h, w))))
        batch_size = (64 if method == "incremental" else 8) if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        self.blocks = grid_blocks(self.grid, batch_size)
        self.scores = np.full((self.n,) + self.grid, np.nan)
        unit = any(isinstance(t, T.Unit) for t in self.targets)  # a unit has no top class
        self.top = None if unit else np.zeros((self.n,) + self.grid, np.int64)
        self.clean = np.zeros(self.n)
        self.info = {"method": method, "patch": self.patch, "stride": self.stride, "grid": self.grid,
                     "tau": tau, "cover_edges": cover_edges, "score": "unit" if unit else score,
                     "batch_size": batch_size}
        if self.plan is not None:
            self.info["flop_ratio_exact"] = self.plan.flop_ratio((1, 1))
        if note:
            self.info["note"] = note

    def _bytes_per_position(self, input_shape):
        """About the memory one position of a batch takes: the activations its forward keeps
        (whole maps; for the incremental plan, windows until they cover the maps)."""
        shapes = self.net.output_shapes(input_shape, self.layer)
        windowed = set(self.plan.windowed()) if self.plan is not None else set()
        floats = sum(int(np.prod(s)) for name, s in shapes.items() if name not in windowed)
        floats += int(np.prod(input_shape))
        if self.plan is not None:
            floats += self.plan.window_floats()
        return floats * self.net.dtype.itemsize

    def positions(self):
        return self.n * self.grid[0] * self.grid[1]

    def run(self, k, blocks, bar=None):
        """Occluded scores of image k at the positions of ``blocks``."""
        xk = self.x[k:k + 1]
        out = self.net.forward(xk, until=self.layer)
        self.clean[k] = _scores(out, self.targets[k])[0][0]
        context = CleanImage(self.net, self.plan, xk) if self.plan is not None else None
        with single_threaded_blas():  # the incremental walk calls layers itself (graph.py's reason)
            for rows, cols in blocks:
                values = _patch_values(self.fill, xk[0], rows, cols, self.patch, self.stride)
                out = _forward_batch(self.net, xk, context, rows, cols, values, self.patch, self.stride,
                                     self.layer)
                s, t = _scores(out, self.targets[k])
                self.scores[k][np.ix_(rows, cols)] = s.reshape(len(rows), len(cols))
                if self.top is not None:
                    self.top[k][np.ix_(rows, cols)] = t.reshape(len(rows), len(cols))
                if bar is not None:
                    bar.update(len(rows) * len(cols))

    def result(self):
        heat = self.clean[:, None, None] - self.scores
        return OcclusionResult(heat, self.scores, self.clean, self.top, info=dict(self.info))


def _forward_batch(net, xk, context, rows, cols, values, patch, stride, score_layer):
    """Outputs of score_layer for a block of positions (incremental or naive)."""
    if context is None:  # naive: whole occluded images through the whole network
        xp = array_module(xk)
        imgs = xp.repeat(xk, len(rows) * len(cols), axis=0)
        for ii, i in enumerate(rows):
            for jj, j in enumerate(cols):
                r, c = i * stride[0], j * stride[1]
                region = imgs[ii * len(cols) + jj, :, r:r + patch[0], c:c + patch[1]]
                region[...] = values[ii * len(cols) + jj, :, :region.shape[1], :region.shape[2]]
        return net.forward(imgs, until=score_layer)
    return run_batch(context, rows, cols, values)


def spread_per_pixel(heat, image_hw, patch, stride):
    """Captum's per-pixel attribution: each pixel averages the heatmap values of the windows
    covering it (0 where none does). heat (N, rows, cols) -> (N, H, W)."""
    n, n_r, n_c = heat.shape
    total = np.zeros((n,) + tuple(image_hw))
    count = np.zeros(tuple(image_hw))
    for i in range(n_r):
        for j in range(n_c):
            r, c = i * stride[0], j * stride[1]
            total[:, r:r + patch[0], c:c + patch[1]] += heat[:, i, j, None, None]
            count[r:r + patch[0], c:c + patch[1]] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)

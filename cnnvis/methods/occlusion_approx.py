"""Approximate occlusion, opt-in, with a way to measure what it costs in accuracy.

* Projective-field thresholding: occlusion(..., tau=0.5) (see occlusion_plan.make_plan).
* Adaptive drill-down (Krypton, SIGMOD 2019): a coarse sweep over the whole image, then
  the fine stride only in the blocks of positions where the coarse map is highest; the
  other fine positions take the value of the nearest coarse position.
What they cost in accuracy is measured against the exact map by the max absolute difference
and the structural similarity (scikit-image's SSIM): in benchmarks/occlusion.py, and with
bounds in tests/test_occlusion.py (on VGG16's trained conv layers).
"""
import numpy as np

from .. import progress as progress_bars
from ..errors import InputError
from ..layers.base import pair
from .occlusion import Sweep, occlusion, spread_per_pixel
from .occlusion_quality import drilldown_settings


def _nearest_coarse(fine_n, fine_stride, coarse_stride, coarse_n):
    """Index of the coarse position whose patch start is nearest each fine position's."""
    return np.clip(np.rint(np.arange(fine_n) * fine_stride / coarse_stride).astype(int), 0, coarse_n - 1)


def occlusion_drilldown(net, x, target, patch=16, stride=4, coarse_stride=None, fraction=0.25,
                        block=8, speedup=None, progress=None, **kwargs):
    """Occlusion at ``stride`` computed exactly only where a coarse sweep says it matters.

    coarse_stride: the first sweep's stride (default 4 * stride); fraction: share of the fine
    grid's blocks (block x block positions) computed exactly, those with the highest coarse
    values; the others take the nearest coarse value. speedup: instead of those two, a target
    speed-up over the full fine sweep, from which occlusion_quality.drilldown_settings derives
    them. kwargs (fill, score, method, tau, cover_edges, per_pixel, ...) go to occlusion() and
    hold for both sweeps. Returns an OcclusionResult; info['exact_fraction'] is the share of
    fine positions computed exactly.
    """
    if speedup is not None:
        if coarse_stride is not None:
            raise InputError("give either speedup or coarse_stride (speedup chooses the coarse stride)")
        factor, fraction = drilldown_settings(speedup)
        coarse_stride = factor * max(pair(stride, "stride"))
    if not 0 < fraction <= 1:
        raise InputError(f"fraction must be in (0, 1], got {fraction}")
    if int(block) < 1:
        raise InputError(f"block must be at least 1 (positions per side), got {block}")
    # the fine sweep first: its parameters are checked before the coarse sweep runs
    sweep = Sweep(net, x, target, patch, stride, kwargs.get("fill", 0.0), kwargs.get("score", "prob"),
                  kwargs.get("method", "incremental"), block * block, kwargs.get("tau", 1.0),
                  kwargs.get("cover_edges", False))
    coarse_stride = 4 * max(sweep.stride) if coarse_stride is None else int(coarse_stride)
    if coarse_stride < 1:
        raise InputError(f"coarse_stride must be at least 1 pixel, got {coarse_stride}")
    coarse = occlusion(net, x, target, patch, coarse_stride, progress=progress, **kwargs)
    (n_r, n_c), s = sweep.grid, sweep.stride
    rmap = _nearest_coarse(n_r, s[0], coarse_stride, coarse.heatmap.shape[1])
    cmap = _nearest_coarse(n_c, s[1], coarse_stride, coarse.heatmap.shape[2])
    guess = coarse.heatmap[:, rmap][:, :, cmap]
    keep = max(1, int(round(fraction * len(sweep.blocks))))
    with progress_bars.bar(total=sweep.n * keep, desc="occlusion drill-down", progress=progress,
                           unit="block") as bar:
        for k in range(sweep.n):
            ranked = sorted(sweep.blocks, key=lambda b: -guess[k][np.ix_(*b)].max())[:keep]
            sweep.run(k, ranked)
            bar.update(keep)
    result = sweep.result()
    missing = np.isnan(result.scores)
    result.info.update(approx="drilldown", coarse_stride=coarse_stride,
                       exact_fraction=float(1 - missing.mean()))
    result.heatmap[missing] = guess[missing]
    result.scores[missing] = coarse.scores[:, rmap][:, :, cmap][missing]
    if result.top_class is not None:
        result.top_class[missing] = coarse.top_class[:, rmap][:, :, cmap][missing]
    if kwargs.get("per_pixel"):
        result.pixel_map = spread_per_pixel(result.heatmap, x.shape[2:], sweep.patch, sweep.stride)
    return result


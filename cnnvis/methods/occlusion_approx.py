"""Adaptive drill-down occlusion (Krypton, SIGMOD 2019): exact on a coarse sub-grid of the
positions and where it matters, interpolated elsewhere.

    stage 1: the positions (i, j) with i, j on every c-th row and column of the grid (and
             the last), exactly: one sweep with the fine stride S sees them at stride c * S;
    stage 2: map_c, the bilinear interpolation of stage 1 onto the whole grid; the blocks of
             block x block positions where map_c is highest (a fraction r of the blocks)
             computed exactly; every other position keeps its value of map_c.

A target speed-up T over the exact sweep sets them (drilldown_settings): the sub-grid costs
its share of the positions, s(c) (about 1 / c^2), the refined blocks r, so s(c) + r = 1 / T;
c is the smallest step with s(c) < 1 / T, the finest sub-grid that leaves room (its step
decides the interpolation's error most), and r = 1 / T - s(c). The other
approximation, projective-field thresholding, is occlusion(..., tau=) (occlusion_plan). What
they cost in accuracy is measured against the exact map by the max absolute difference and
the structural similarity (occlusion_quality.ssim): in benchmarks/occlusion.py, and with
bounds in tests/test_occlusion.py (on VGG16's trained conv layers).
"""
import numpy as np

from .. import progress as progress_bars
from ..errors import InputError
from .occlusion import Sweep, grid_blocks, spread_per_pixel


def subgrid(n, step):
    """Every step-th index of range(n), and the last: (m,) int."""
    return np.unique(np.r_[np.arange(0, n, step), n - 1])


def interpolate(values, rows, cols, shape):
    """Bilinear interpolation of values (len(rows), len(cols)), known at the grid indices
    rows x cols, onto the whole grid ``shape``: (rows_n, cols_n)."""
    along = np.stack([np.interp(np.arange(shape[0]), rows, column) for column in values.T], axis=1)
    return np.stack([np.interp(np.arange(shape[1]), cols, row) for row in along])


def drilldown_settings(speedup, grid, coarse=None):
    """(sub-grid step c, fraction r of the positions refined) for a target speed-up over the
    exact sweep of a grid (rows, cols) (module docstring); c is chosen unless given. An
    InputError when the sub-grid alone costs 1 / speedup or more."""
    if isinstance(speedup, bool) or not isinstance(speedup, (int, float, np.number)) or not speedup > 1:
        raise InputError(f"the target speed-up must be a number above 1, got {speedup!r}")
    if coarse is not None and not _whole(coarse, 2):
        raise InputError(f"the sub-grid's step must be a whole number above 1, got {coarse!r}")

    def share(c):
        return len(subgrid(grid[0], c)) * len(subgrid(grid[1], c)) / (grid[0] * grid[1])
    c = coarse or next((c for c in range(2, max(grid) + 1) if share(c) < 1 / speedup), max(grid))
    if share(c) >= 1 / speedup:
        raise InputError(f"a {speedup}x speed-up leaves nothing to refine on a {grid[0]}x{grid[1]} grid with "
                         f"a sub-grid of every {c}th position (it alone costs {share(c):.3f} of the "
                         f"sweep); use a larger step or a smaller speed-up")
    return c, 1 / speedup - share(c)


def _whole(value, least):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= least


def _nearest(indices, n):
    """For each of range(n), the position in ``indices`` of the nearest index."""
    return np.abs(np.arange(n)[:, None] - indices[None, :]).argmin(axis=1)


def occlusion_drilldown(net, x, target, patch=16, stride=4, coarse=None, fraction=None, block=8,
                        speedup=None, fill=0.0, score="prob", method="incremental", tau=1.0,
                        cover_edges=False, per_pixel=False, progress=None):
    """Occlusion at ``stride``, exact on every coarse-th position per axis and in the blocks
    where the interpolated map is highest, bilinear elsewhere (module docstring).

    coarse: the sub-grid's step in positions (default 2: stride 2 * stride); fraction: the
    share of the grid's block x block blocks computed exactly (default 0.1). speedup: instead
    of those two, a target speed-up over the exact sweep, from which drilldown_settings
    derives them. fill, score, method, tau, cover_edges, per_pixel: as occlusion()'s, for
    both stages. Returns an OcclusionResult; info['exact_fraction'] is the share of positions
    computed exactly, info['work'] the positions computed (sub-grid positions in refined
    blocks twice) over all positions.
    """
    if speedup is not None and (coarse is not None or fraction is not None):
        raise InputError("give either speedup or coarse and fraction (speedup chooses them)")
    if not _whole(block, 1):
        raise InputError(f"block must be a whole number of positions per side, at least 1, got {block!r}")
    sweep = Sweep(net, x, target, patch, stride, fill, score, method, block * block, tau, cover_edges)
    grid = sweep.grid
    coarse, fraction = drilldown_settings(speedup, grid) if speedup is not None else \
        (2 if coarse is None else coarse, 0.1 if fraction is None else fraction)
    if not _whole(coarse, 1):
        raise InputError(f"coarse must be a whole number of positions, at least 1, got {coarse!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.number)) or not 0 <= fraction <= 1:
        raise InputError(f"fraction must be in [0, 1], got {fraction}")
    rows, cols = subgrid(grid[0], coarse), subgrid(grid[1], coarse)
    first = [(rows[r], cols[c]) for r, c in grid_blocks((len(rows), len(cols)), 64)]
    keep = int(round(fraction * len(sweep.blocks)))
    guesses, work = [], 0
    with progress_bars.bar(total=sweep.n * (len(rows) * len(cols) + keep * block * block), progress=progress,
                           desc="occlusion drill-down", unit="pos") as bar:
        for k in range(sweep.n):
            sweep.run(k, first, bar)
            guess = interpolate(sweep.clean[k] - sweep.scores[k][np.ix_(rows, cols)], rows, cols, grid)
            ranked = sorted(sweep.blocks, key=lambda b: -guess[np.ix_(*b)].max())[:keep]
            sweep.run(k, ranked, bar)
            refined = sum(len(r) * len(c) for r, c in ranked)
            bar.update(keep * block * block - refined)  # edge blocks are smaller
            guesses.append(guess)
            work += len(rows) * len(cols) + refined
    result = sweep.result()
    missing = np.isnan(result.scores)
    result.info.update(approx="drilldown", coarse=coarse, fraction=fraction,
                       coarse_stride=tuple(coarse * s for s in sweep.stride),
                       exact_fraction=float(1 - missing.mean()), work=work / sweep.positions())
    result.heatmap[missing] = np.stack(guesses)[missing]
    result.scores[missing] = (result.clean_scores[:, None, None] - result.heatmap)[missing]
    if result.top_class is not None:
        nearest = result.top_class[:, rows[_nearest(rows, grid[0])]][:, :, cols[_nearest(cols, grid[1])]]
        result.top_class[missing] = nearest[missing]
    if per_pixel:
        result.pixel_map = spread_per_pixel(result.heatmap, x.shape[2:], sweep.patch, sweep.stride)
    return result

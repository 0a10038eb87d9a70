"""Approximate occlusion with a quality target, as Krypton (SIGMOD 2019) tunes it (the
drill-down's, a target speed-up, is occlusion_approx.drilldown_settings).

* tau_for_ssim: the projective-field threshold tau (occlusion(..., tau=)) chosen for a target
  SSIM against the exact map: fitted on a few calibration images (exact and approximate maps
  for each candidate tau), the smallest tau whose worst SSIM reaches the target; then applied
  to other images. Smaller tau recomputes less (occlusion_plan's flop ratio shrinks).
"""
from dataclasses import dataclass

import numpy as np

from ..errors import BackendError, InputError
from .occlusion import occlusion

TAUS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class TauFit:
    """tau: the chosen threshold (1.0 = exact when no candidate reached the target); rows:
    (tau, worst SSIM over the calibration images, mean SSIM, flop ratio of the plan) for the
    candidates tried, smallest first, until one reached the target."""
    tau: float
    target: float
    rows: list


def ssim(approx, exact):
    """Structural similarity of an approximate map with the exact one (Wang et al. 2004):
    scikit-image's structural_similarity, a 7x7 uniform window (smaller for smaller maps), the
    exact map's data range."""
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        raise BackendError("SSIM needs scikit-image: pip install 'cnnvis[eval]' (or scikit-image)") from None
    exact = np.asarray(exact, np.float64)
    span = float(exact.max() - exact.min()) or 1.0
    win = min(7, *exact.shape)
    win -= 1 - win % 2  # odd, as scikit-image needs
    if win < 3:
        raise InputError(f"SSIM needs maps of at least 3x3 positions, got {exact.shape}")
    return float(structural_similarity(np.asarray(approx, np.float64), exact, win_size=win, data_range=span))


def tau_for_ssim(net, x, target, patch=16, stride=4, ssim_target=0.9, taus=TAUS, progress=None, **kwargs):
    """The smallest tau whose approximate maps of the calibration images x (N, C, H, W) all
    reach ``ssim_target`` against the exact ones. kwargs go to occlusion() (fill, score, ...).
    Returns a TauFit."""
    if not 0 < ssim_target <= 1:
        raise InputError(f"ssim_target must be in (0, 1], got {ssim_target}")
    if not taus or not all(0 < t <= 1 for t in taus):
        raise InputError(f"taus must be thresholds in (0, 1], got {taus}")
    exact = occlusion(net, x, target, patch, stride, progress=progress, **kwargs)
    rows = []
    for tau in sorted(taus):  # the first to reach the target is the smallest: stop there
        approx = occlusion(net, x, target, patch, stride, tau=tau, progress=progress, **kwargs)
        values = [ssim(a, e) for a, e in zip(approx.heatmap, exact.heatmap)]
        rows.append((tau, float(min(values)), float(np.mean(values)), approx.info["flop_ratio_exact"]))
        if rows[-1][1] >= ssim_target:
            break
    chosen = rows[-1][0] if rows[-1][1] >= ssim_target else 1.0
    return TauFit(chosen, ssim_target, rows)

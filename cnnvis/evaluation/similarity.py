"""How alike two relevance maps are: the similarities of Adebayo et al.'s sanity checks
("Sanity Checks for Saliency Maps", NeurIPS 2018, Section 4), per pair of maps (N, H, W).

    spearman      Spearman rank correlation of the signed maps (ties get their mean rank)
    spearman_abs  the same on |maps| ("with and without absolute values")
    ssim          structural similarity (Wang et al. 2004) of |maps| scaled to [0, 1] by their
                  maxima, skimage.metrics.structural_similarity (7x7 uniform window)
    hog           Pearson correlation of the HOG features (Dalal & Triggs 2005,
                  skimage.feature.hog) of |maps| scaled to [0, 1]

SSIM and HOG are scikit-image's, not written again (pip install 'cnnvis[eval]'); Spearman
is NumPy. Quantus's MPRT computes Spearman the same way; its ssim() runs skimage on the
flattened maps (a 1-D signal), not on the 2-D maps: flatten=True gives its numbers.
"""
import numpy as np

from ..errors import BackendError, InputError

SIMILARITIES = ("spearman", "spearman_abs", "ssim", "hog")


def _skimage(part):
    try:
        if part == "metrics":
            from skimage import metrics as module
        else:
            from skimage import feature as module
    except ImportError:
        raise BackendError("SSIM and HOG similarity need scikit-image: pip install 'cnnvis[eval]'") from None
    return module


def pairs(a, b):
    """Two stacks of maps (N, ...) of one shape, as float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim < 2:
        raise InputError(f"similarities compare two stacks of maps (N, H, W) of one shape, got {a.shape} "
                         f"and {b.shape}")
    return a, b


def rank(v):
    """Ranks 1 .. n of each row of v (N, n), ties given their mean rank (scipy's rankdata)."""
    order = np.argsort(v, axis=1, kind="stable")
    s = np.take_along_axis(v, order, axis=1)
    out = np.empty_like(v)
    for i in range(len(v)):
        new = np.concatenate([[True], s[i, 1:] != s[i, :-1]])
        start = np.flatnonzero(new)
        end = np.append(start[1:], len(s[i]))
        mean = (start + end + 1) / 2.0  # mean of the 1-based ranks start+1 .. end
        out[i, order[i]] = np.repeat(mean, end - start)
    return out


def pearson(a, b):
    """Pearson correlation of each row pair of a, b (N, n); NaN where a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=1) / np.where(den > 0, den, 1), np.nan)


def spearman(a, b):
    """Spearman rank correlation of each pair of maps, (N,)."""
    a, b = pairs(a, b)
    n = len(a)
    return pearson(rank(a.reshape(n, -1)), rank(b.reshape(n, -1)))


def unit_abs(m):
    """|m| divided by its maximum per map (a zero map stays zero): Adebayo et al.'s display."""
    m = np.abs(m)
    top = m.reshape(len(m), -1).max(axis=1).reshape((-1,) + (1,) * (m.ndim - 1))
    return np.divide(m, top, out=np.zeros_like(m), where=top > 0)


def ssim(a, b, win_size=7, data_range=None, flatten=False):
    """SSIM of each pair of maps, (N,), by skimage.metrics.structural_similarity: uniform
    window of win_size (made odd and cut to the maps' size), data_range per pair: given, or
    the range of both maps together (Quantus's choice). flatten: on the maps as 1-D signals."""
    a, b = pairs(a, b)
    metrics = _skimage("metrics")
    out = []
    for aa, bb in zip(a, b):
        if flatten:
            aa, bb = aa.reshape(-1), bb.reshape(-1)
        win = min(int(win_size), *aa.shape)
        win -= 1 - win % 2
        if win < 3:
            raise InputError(f"SSIM needs maps of at least 3 pixels a side, got {aa.shape}")
        rng = data_range if data_range is not None else float(max(aa.max(), bb.max()) - min(aa.min(), bb.min()))
        out.append(metrics.structural_similarity(aa, bb, win_size=win, data_range=rng or 1.0))
    return np.asarray(out, np.float64)


def hog_similarity(a, b, pixels_per_cell=None, cells_per_block=2, orientations=9):
    """Pearson correlation of the HOG features of each pair of maps, (N,). pixels_per_cell:
    default a seventh of the shorter side (a 7x7 grid of cells: 4 px on 28x28, 32 on 224x224)."""
    a, b = pairs(a, b)
    feature = _skimage("feature")
    cell = pixels_per_cell or max(1, min(a.shape[1:]) // 7)

    def hog(m):
        return feature.hog(m, orientations=orientations, pixels_per_cell=(cell, cell),
                           cells_per_block=(cells_per_block, cells_per_block), feature_vector=True)

    return pearson(np.stack([hog(m) for m in a]), np.stack([hog(m) for m in b]))


def similarity(a, b, name):
    """One of SIMILARITIES between each pair of maps, (N,)."""
    if name == "spearman":
        return spearman(a, b)
    if name == "spearman_abs":
        return spearman(np.abs(a), np.abs(b))
    if name == "ssim":
        return ssim(unit_abs(np.asarray(a, np.float64)), unit_abs(np.asarray(b, np.float64)), data_range=1.0)
    if name == "hog":
        return hog_similarity(unit_abs(np.asarray(a, np.float64)), unit_abs(np.asarray(b, np.float64)))
    raise InputError(f"unknown similarity {name!r}; choose from {', '.join(SIMILARITIES)}")


def check_similarities(names):
    names = [names] if isinstance(names, str) else list(names)
    for n in names:
        if n not in SIMILARITIES:
            raise InputError(f"unknown similarity {n!r}; choose from {', '.join(SIMILARITIES)}")
    return names

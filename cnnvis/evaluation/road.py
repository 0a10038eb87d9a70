"""Noisy linear imputation: ROAD's fill for removed pixels (Rong, Leemann, Borisov, Kasneci &
Kasneci, "A Consistent and Efficient Evaluation Strategy for Attribution Methods", ICML 2022).

A constant fill leaks where the pixels were removed (the mask's shape is information the
model can read); ROAD ("remove and debias") fills each removed pixel with the weighted mean
of its eight neighbours instead, direct neighbours weighing 1/6 and diagonal ones 1/12, a
sparse linear system over all removed pixels at once (neighbours outside the image are left
out of the mean), then adds Gaussian noise of std ``noise``:

    sum_q w_pq * (v_p - value_q) = 0   for every removed pixel p,   value_q = v_q if q is removed, else x_q

the same system as the authors' code (github.com/tleemann/road_evaluation) and Quantus's
noisy_linear_imputation. Needs SciPy (pip install 'cnnvis[eval]').
"""
import numpy as np

from ..errors import BackendError, InputError

NEIGHBOURS = (((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12),
              ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6))


def _scipy():
    try:
        from scipy.sparse import coo_matrix
        from scipy.sparse.linalg import spsolve
    except ImportError:
        raise BackendError("ROAD's imputation needs SciPy: pip install 'cnnvis[eval]'") from None
    return coo_matrix, spsolve


def noisy_linear_imputation(x, removed, noise=0.01, rng=None):
    """x (C, H, W) with the pixels where ``removed`` (H, W) is True imputed from their
    neighbours (see above), plus noise * N(0, 1) drawn from ``rng`` (default: seed 0).
    At least one pixel must stay: with none left there is nothing to impute from."""
    coo_matrix, spsolve = _scipy()
    x = np.asarray(x)
    c, h, w = x.shape
    removed = np.asarray(removed, bool)
    if removed.shape != (h, w):
        raise InputError(f"the removed mask must be (H, W) = {(h, w)}, got {removed.shape}")
    index = np.flatnonzero(removed)
    n = len(index)
    out = x.reshape(c, -1).copy()
    if n == 0:
        return out.reshape(x.shape)
    if n == h * w:
        raise InputError("ROAD cannot remove every pixel: nothing is left to impute from; give "
                         "fractions below 1")
    variable = np.full(h * w, -1)
    variable[index] = np.arange(n)
    r, s = np.divmod(index, w)
    diagonal, rhs = np.zeros(n), np.zeros((n, c))
    rows, cols, values = [], [], []
    flat = x.reshape(c, -1).astype(np.float64)
    for (dr, ds), weight in NEIGHBOURS:
        rr, ss = r + dr, s + ds
        inside = (rr >= 0) & (rr < h) & (ss >= 0) & (ss < w)
        p, q = np.flatnonzero(inside), rr[inside] * w + ss[inside]
        diagonal[p] += weight
        known = variable[q] < 0
        rhs[p[known]] += weight * flat[:, q[known]].T
        rows.append(p[~known])
        cols.append(variable[q[~known]])
        values.append(np.full(int((~known).sum()), -weight))
    rows = np.concatenate([np.arange(n)] + rows)
    cols = np.concatenate([np.arange(n)] + cols)
    values = np.concatenate([diagonal] + values)
    a = coo_matrix((values, (rows, cols)), shape=(n, n)).tocsc()
    solution = np.asarray(spsolve(a, rhs)).reshape(n, c).T
    if noise:
        rng = rng if rng is not None else np.random.default_rng(0)
        solution = solution + noise * rng.standard_normal(solution.shape)
    out[:, index] = solution
    return out.reshape(x.shape)

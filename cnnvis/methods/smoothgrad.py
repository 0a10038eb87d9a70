"""SmoothGrad: average an attribution method over noisy copies of the input.

Smilkov, Thorat, Kim, Viegas & Wattenberg, "SmoothGrad: removing noise by adding noise",
ICML workshop 2017. Numbers match Captum's NoiseTunnel(nt_type='smoothgrad' or
'smoothgrad_sq') given the same noise (pass it as ``noise``; Captum's stdevs is absolute,
ours by default a fraction of each image's range, the paper's rule).
"""
import numpy as np

from ..engine import array_module, holds_weights, to_host
from ..errors import InputError
from .batches import pair_batches
from .saliency import saliency
from .targets import resolve


@holds_weights
def smoothgrad(net, x, target, method=saliency, n=50, sigma=0.15, squared=False, seed=0,
               noise=None, batch_size=16, progress=None, **method_kwargs):
    """M_hat(x) = 1/n sum_i M(x + e_i)  (squared: 1/n sum_i M(x + e_i)^2),  e_i ~ N(0, s^2 I),
    s = sigma * (max(x[k]) - min(x[k])) for image k (sigma = 0.15: the paper's 15% noise).

    method: any function (net, x, target, **method_kwargs) -> array, or a tuple whose first
    item is the array (saliency, guided_backprop, integrated_gradients, gradcam, ...).
    Targets are resolved once on the clean images ('predicted' = the clean prediction).
    noise: the perturbations e themselves, (N, n, C, H, W) (then sigma and seed are unused),
    e.g. to reproduce another library's draws; else drawn from numpy's default_rng(seed).
    The N*n noisy images go to ``method`` batch_size at a time, with a progress bar.
    Returns the averaged attribution (N, ...) on the host, shaped like method's output.
    """
    targets = resolve(net, x, target)
    xp = array_module(x)
    count = len(x)
    if noise is not None:
        if noise.ndim != x.ndim + 1 or noise.shape[0] != count or noise.shape[2:] != x.shape[1:]:
            raise InputError(f"noise must have shape (N, n, C, H, W) = ({count}, n, "
                             f"{', '.join(map(str, x.shape[1:]))}), got {tuple(noise.shape)}")
        n = noise.shape[1]
    elif sigma < 0:
        raise InputError(f"sigma must be >= 0 (a fraction of the input range), got {sigma}")
    if int(n) < 1:
        raise InputError(f"n must be at least 1, got {n}")
    n = int(n)
    batches = pair_batches(count, n, batch_size, "SmoothGrad", "sample", progress)
    spread = sigma * to_host(x.reshape(count, -1).max(axis=1) - x.reshape(count, -1).min(axis=1))
    rng = np.random.default_rng(seed)
    total = None
    for rows in batches:  # (image, sample)
        if noise is None:
            eps = rng.standard_normal((len(rows),) + x.shape[1:])
            eps *= spread[rows[:, 0]].reshape((-1,) + (1,) * (x.ndim - 1))
        else:
            nxp = array_module(noise)
            eps = noise[nxp.asarray(rows[:, 0]), nxp.asarray(rows[:, 1])]
        noisy = x[xp.asarray(rows[:, 0])] + xp.asarray(eps, dtype=x.dtype)
        result = method(net, noisy, [targets[i] for i in rows[:, 0]], **method_kwargs)
        m = np.asarray(result[0] if isinstance(result, tuple) else result)
        m = m * m if squared else m
        if total is None:
            total = np.zeros((count,) + m.shape[1:], m.dtype)
        np.add.at(total, rows[:, 0], m)
    return total / n

"""Class model visualization: the input that a class's logit likes most (Simonyan, Vedaldi &
Zisserman 2014, sec. 2), found by regularized gradient ascent (the L2 decay and Gaussian blur
of Yosinski et al. 2015, "Understanding neural networks through deep visualization").

From x_0 = small seeded noise, per step t:
    g = dS_c(x)/dx,   x <- x + lr * R * g / mean|g|,   x <- (1 - decay) x,
    every blur_every steps x <- blur(x, blur_sigma),   x clipped to the input range of 0..255 pixels,
with S_c the logit of class c and R the width of that input range (lr is a fraction of it).
"""
import numpy as np

from ..engine import to_host
from ..progress import bar
from .blur import gaussian_blur
from .targets import gradient


def class_model(net, target, steps=200, lr=0.02, decay=0.003, blur_sigma=0.7, blur_every=4, seed=0,
                progress=None):
    """Images (N, H, W, C) in [0, 255] (float) maximizing each target's logit, one per target.

    target: a class index or name, or a list of them (one image each).
    """
    targets = list(target) if isinstance(target, (list, tuple, np.ndarray)) else [target]
    shape = (len(targets), *net.input_shape)
    hwc = (*net.input_shape[1:], net.input_shape[0])  # one image, channels last
    lo, hi = net.preprocess(np.zeros(hwc))[0], net.preprocess(np.full(hwc, 255.0))[0]
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    rng = np.random.default_rng(seed)
    x = np.clip(lo + (hi - lo) * rng.uniform(0, 0.1, shape), lo, hi).astype(net.dtype)
    net.eval()
    for step in bar(range(steps), desc="class model", progress=progress):
        g = to_host(gradient(net, x, targets, score="logit")[0])
        scale = np.abs(g).mean(axis=(1, 2, 3), keepdims=True) + 1e-12
        x = (1 - decay) * (x + lr * (hi - lo) * g / scale)
        if blur_sigma and (step + 1) % blur_every == 0:
            x = gaussian_blur(x, blur_sigma)
        x = np.clip(x, lo, hi).astype(net.dtype)
    return net.deprocess(x)

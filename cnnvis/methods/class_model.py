"""Class model visualization: the input that a class's logit likes most (Simonyan, Vedaldi &
Zisserman 2014, sec. 2), found by regularized gradient ascent (the L2 decay and Gaussian blur
of Yosinski et al. 2015, "Understanding neural networks through deep visualization").

A shortcut to methods/activation_max.py with the settings of the class-model GIFs over
training. From x_0 = lo + (hi - lo) * U(0, 0.1) (seeded), per step t:
    g = dS_c(x)/dx,   x <- x + lr * R * g / mean|g|,   x <- (1 - decay) x,
    every blur_every steps x <- blur(x, blur_sigma),   x clipped to the input range of 0..255 pixels,
with S_c the logit of class c and R the width of that input range (lr is a fraction of it).
"""
import numpy as np

from .activation_max import activation_maximization


def class_model(net, target, steps=200, lr=0.02, decay=0.003, blur_sigma=0.7, blur_every=4, seed=0,
                progress=None):
    """Images (N, H, W, C) in [0, 255] (float) maximizing each target's logit, one per target.

    target: a class index or name, or a list of them (one image each). Puts net in eval mode.
    """
    targets = list(target) if isinstance(target, (list, tuple, np.ndarray)) else [target]
    net.eval()
    return activation_maximization(net, None, targets, steps=steps, lr=255 * lr, decay=decay,
                                   blur_sigma=blur_sigma, blur_every=blur_every, start=0.05,
                                   noise=0.1, seed=seed, progress=progress).images

"""Saliency maps: the gradient of a class score with respect to the input pixels.

Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks: Visualising Image
Classification Models and Saliency Maps", ICLR workshop 2014. Numbers match Captum's
Saliency(abs=False) and InputXGradient.
"""
from ..engine import array_module, to_host
from .targets import gradient


def saliency(net, x, target, score="logit", times_input=False):
    """The raw input gradient g = dS_c / dx, or g * x when times_input (gradient x input).

    x: network input (N, C, H, W); target: per targets.py; score: 'logit' or 'prob'.
    Returns g (N, C, H, W) on the host, signed. Show it with saliency_map(g).
    """
    g, _, _ = gradient(net, x, target, score=score)
    if times_input:
        g = g * array_module(g).asarray(x, dtype=g.dtype)
    return to_host(g)


def saliency_map(g):
    """Simonyan's displayed map: M[n, h, w] = max_c |g[n, c, h, w]|; (N, C, H, W) -> (N, H, W)."""
    xp = array_module(g)
    return to_host(xp.abs(g).max(axis=1))

"""Executing an occlusion plan: per batch of patch positions, each layer recomputes its window.

For a windowed conv or pool layer, each position's input slab is cut from the layer's
clean input (padded once per image, so the slab needs no padding of its own) and the
previous layer's recomputed window is pasted into it; a copy of the layer with zero
padding then computes exactly the window. Pointwise layers run on the window. When a
batch's window covers the whole map, the rest of the network runs on whole maps.
The result equals the naive sweep up to float32 rounding (tested).
"""
import copy

import numpy as np

from ..engine import array_module
from .occlusion_plan import SPATIAL


class CleanImage:
    """What every batch of one image reuses: the padded clean input of each windowed layer."""

    def __init__(self, net, plan, x):
        self.net, self.plan = net, plan
        net.forward(x, until=plan.names[-1])
        self.outputs = [net.activations[name] for name in plan.names]
        xp = array_module(x)
        self.padded, self.valid = [], []
        for k, name in enumerate(plan.names):
            layer = net[name]
            if type(layer).__name__ not in SPATIAL:
                self.padded.append(None)
                self.valid.append(layer)
                continue
            source = x if k == 0 else self.outputs[k - 1]
            pt, pb, pl, pr = layer.padding
            fill = 0.0 if type(layer).__name__ == "Conv2D" else -np.inf
            self.padded.append(xp.pad(source, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=fill))
            twin = copy.copy(layer)  # same parameters, no padding: the slab carries it
            twin.padding = (0, 0, 0, 0)
            self.valid.append(twin)


def _paste(dst, src, dst_r0, dst_c0, limit=None):
    """dst[:, r, c] = src[:, r - dst_r0, c - dst_c0] where both exist (one position), only
    inside limit = (r_lo, r_hi, c_lo, c_hi) of dst when given (never over padding)."""
    h, w = dst.shape[-2:]
    lr0, lr1, lc0, lc1 = limit if limit is not None else (0, h, 0, w)
    sh, sw = src.shape[-2:]
    r0, c0 = max(0, lr0, dst_r0), max(0, lc0, dst_c0)
    r1, c1 = min(h, lr1, dst_r0 + sh), min(w, lc1, dst_c0 + sw)
    if r1 > r0 and c1 > c0:
        dst[:, r0:r1, c0:c1] = src[:, r0 - dst_r0:r1 - dst_r0, c0 - dst_c0:c1 - dst_c0]


def run_batch(clean, rows, cols, patch_values):
    """Outputs of the last windowed layer for the positions rows x cols (grid indices), as
    whole maps (B, C, H, W) with B = len(rows) * len(cols), position b = ii * len(cols) + jj.

    patch_values: (B, C, ph, pw) what each position's patch holds (the fill).
    """
    plan, net = clean.plan, clean.net
    xp = array_module(patch_values)
    prev = patch_values
    prev_r = rows * plan.stride[0]
    prev_c = cols * plan.stride[1]
    full = False
    for k, name in enumerate(plan.names):
        layer = net[name] if full else clean.valid[k]  # whole maps need the real padding
        kind = type(layer).__name__
        if full or kind not in SPATIAL:
            prev = layer.forward(prev)
            continue
        win = plan.window(k, rows, cols)
        (kh, sh, pt), (kw, sw, pl) = net[name].geometry
        slab_h, slab_w = (win.rows - 1) * sh + kh, (win.cols - 1) * sw + kw
        src = clean.padded[k]
        in_h, in_w = src.shape[2] - pt - net[name].padding[1], src.shape[3] - pl - net[name].padding[3]
        slab = xp.empty((len(rows) * len(cols), src.shape[1], slab_h, slab_w), src.dtype)
        for ii, (r_out, r_in) in enumerate(zip(win.row_starts, prev_r)):
            for jj, (c_out, c_in) in enumerate(zip(win.col_starts, prev_c)):
                b = ii * len(cols) + jj
                r0, c0 = r_out * sh, c_out * sw  # slab origin in padded coordinates
                slab[b] = src[0, :, r0:r0 + slab_h, c0:c0 + slab_w]
                inside = (pt - r0, pt + in_h - r0, pl - c0, pl + in_w - c0)  # the map, not its padding
                _paste(slab[b], prev[b], r_in + pt - r0, c_in + pl - c0, inside)
        prev = layer.forward(slab)
        prev_r, prev_c = win.row_starts, win.col_starts
        full = (win.rows, win.cols) == plan.sizes[k][1:]
    if not full:  # paste the windows into the clean maps
        maps = xp.repeat(clean.outputs[-1], len(rows) * len(cols), axis=0)
        for ii, r in enumerate(prev_r):
            for jj, c in enumerate(prev_c):
                b = ii * len(cols) + jj
                _paste(maps[b], prev[b], r, c)
        prev = maps
    return prev

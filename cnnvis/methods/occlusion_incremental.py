"""Executing an occlusion plan: per batch of patch positions, each node recomputes its window.

A node's values for a batch are a Piece: either a window per position (B, C, Lr, Lc) with
its first row and column per grid row and column, or whole maps (B, C, H, W) once the window
covers the map (and for global nodes). A window layer (conv, max-pool) computes its window
from a slab of its input, cut from the clean input padded once per image and with the input's
recomputed window pasted in, by ``forward_padded`` (the slab carries the padding). Pointwise
nodes run on their input's window; where inputs meet, each input is read over the node's
window the same way (clean values around the recomputed ones). The result equals the naive
sweep up to float32 rounding (tested).
"""
from dataclasses import dataclass

import numpy as np

from ..engine import array_module
from ..graph import INPUT


@dataclass
class Piece:
    """values: windows (B, C, Lr, Lc) with rows/cols their first row/column per grid row/column
    of the batch, or whole maps (rows is None)."""
    values: object
    rows: np.ndarray = None
    cols: np.ndarray = None


class CleanImage:
    """What every batch of one image reuses: the clean activations, padded on demand."""

    def __init__(self, net, plan, x):
        self.net, self.plan = net, plan
        net.forward(x, until=plan.names[-1])
        self.values = {INPUT: x, **{name: net.activations[name] for name in plan.names}}
        self._padded = {}

    def padded(self, name, pads, value):
        """The clean output of ``name`` padded by pads (top, bottom, left, right) with value."""
        key = (name, pads, value)
        if key not in self._padded:
            pt, pb, pl, pr = pads
            self._padded[key] = array_module(self.values[name]).pad(
                self.values[name], ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)
        return self._padded[key]


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


class Batch:
    """One batch of positions (grid rows x cols) through the plan's nodes."""

    def __init__(self, clean, rows, cols, patch_values):
        self.clean, self.rows, self.cols = clean, rows, cols
        self.size = len(rows) * len(cols)
        stride = clean.plan.stride
        self.pieces = {INPUT: Piece(patch_values, rows * stride[0], cols * stride[1])}
        self._whole = {}

    def whole(self, name):
        """Node ``name``'s values for the batch as whole maps (its windows pasted into copies
        of the clean map)."""
        piece = self.pieces[name]
        if piece.rows is None:
            return piece.values
        if name not in self._whole:
            maps = array_module(piece.values).repeat(self.clean.values[name], self.size, axis=0)
            for b, (r, c) in enumerate(self._origins(piece)):
                _paste(maps[b], piece.values[b], r, c)
            self._whole[name] = maps
        return self._whole[name]

    def _origins(self, piece):
        return [(r, c) for r in piece.rows for c in piece.cols]

    def region(self, name, row_starts, col_starts, height, width, pads=(0, 0, 0, 0), value=0.0):
        """(B, C, height, width): node ``name``'s values over a box per position, whose origin
        (row_starts per grid row, col_starts per grid column) is in the coordinates of its map
        padded by ``pads`` with ``value``."""
        piece = self.pieces[name]
        pt, _, pl, _ = pads
        if piece.rows is None:
            xp = array_module(piece.values)
            maps = piece.values if pads == (0, 0, 0, 0) else xp.pad(
                piece.values, ((0, 0), (0, 0), pads[:2], pads[2:]), constant_values=value)
            return xp.stack([maps[b, :, r:r + height, c:c + width] for b, (r, c) in
                             enumerate((r, c) for r in row_starts for c in col_starts)])
        src = self.clean.padded(name, pads, value)
        _, channels, ph, pw = src.shape
        inside_h, inside_w = ph - pt - pads[1], pw - pl - pads[3]
        out = array_module(src).empty((self.size, channels, height, width), src.dtype)
        origins = self._origins(piece)
        for b, (r0, c0) in enumerate((r, c) for r in row_starts for c in col_starts):
            out[b] = src[0, :, r0:r0 + height, c0:c0 + width]
            r, c = origins[b]
            inside = (pt - r0, pt + inside_h - r0, pl - c0, pl + inside_w - c0)  # the map, not its padding
            _paste(out[b], piece.values[b], r + pt - r0, c + pl - c0, inside)
        return out

    def run(self, node):
        """Node's Piece for the batch, from its inputs' pieces."""
        plan = self.clean.plan
        if plan.ranges[node.name] is None:  # whole maps
            return Piece(node.forward(*(self.whole(i) for i in node.inputs))[0])
        win = plan.window(node.name, self.rows, self.cols)
        _, h, w = plan.sizes[node.name]
        if (win.rows, win.cols) == (h, w):
            return Piece(node.forward(*(self.whole(i) for i in node.inputs))[0])
        if node.extent == "window":
            (source,) = node.inputs
            in_h, in_w = self.clean.values[source].shape[2:]
            geometry = node.window(in_h, in_w)
            (kh, sh, _), (kw, sw, _) = geometry.axis(0), geometry.axis(1)
            slab = self.region(source, win.row_starts * sh, win.col_starts * sw, (win.rows - 1) * sh + kh,
                               (win.cols - 1) * sw + kw, geometry.pads, node.pad_value)
            return Piece(node.forward_padded(slab), win.row_starts, win.col_starts)
        return Piece(node.forward(*(self.over(i, win) for i in node.inputs))[0], win.row_starts, win.col_starts)

    def over(self, name, win):
        """Node ``name``'s values over the window ``win`` of a pointwise node: its own windows
        when they are that window (a chain of pointwise nodes, a branch entering an Add),
        else region()."""
        piece = self.pieces[name]
        if piece.rows is not None and np.array_equal(piece.rows, win.row_starts) \
                and np.array_equal(piece.cols, win.col_starts) and piece.values.shape[2:] == (win.rows, win.cols):
            return piece.values
        return self.region(name, win.row_starts, win.col_starts, win.rows, win.cols)


def run_batch(clean, rows, cols, patch_values):
    """Outputs of the plan's last node for the positions rows x cols (grid indices), as whole
    maps (B, ...) with B = len(rows) * len(cols), position b = ii * len(cols) + jj.

    patch_values: (B, C, ph, pw) what each position's patch holds (the fill).
    """
    batch = Batch(clean, rows, cols, patch_values)
    net = clean.net
    for name in clean.plan.names:
        batch.pieces[name] = batch.run(net[name])
    return batch.whole(clean.plan.names[-1])

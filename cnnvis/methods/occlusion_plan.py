"""Which part of each node an occluding patch can change: the plan of incremental occlusion.

Krypton (Nakandala, Kumar & Papakonstantinou, SIGMOD 2019): a patch at input rows
[r, r + p) changes, at each later node, only the units in its projective field
(receptive.project_box, followed through the graph); everything else keeps the clean
image's activations. So each node recomputes one window per patch position, reading clean
activations around it, until the window covers the whole map; from there on (and for the
global nodes: Flatten, Dense, global pooling) the network runs on whole maps. Where branches
meet (Add, Concat, Multiply) the changed region is the box covering the inputs' regions; a
changed 1x1 map broadcast over a larger one (squeeze-and-excitation) changes all of it.

Rows and columns are independent, so the plan is per axis: for every spatial node up to the
score node, the changed range [lo, hi) of each patch position. A batch of positions (a block
of the position grid) shares one window length per node, the longest range in the block;
each position's window starts at its own range, moved back where needed to stay inside the
map. The plan counts multiply-adds, so a benchmark can compare the measured speed-up with
the ideal one.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..graph import INPUT
from ..receptive import project_range


@dataclass
class Window:
    """One node's window for a batch: (length, starts per position) per axis."""
    rows: int
    cols: int
    row_starts: np.ndarray  # (n_rows_in_batch,)
    col_starts: np.ndarray  # (n_cols_in_batch,)


@dataclass
class Plan:
    """Changed ranges per node and axis for every patch position.

    names: the nodes the sweep runs, in topological order, ending at the score node;
    ranges[name] = (lo_rows, hi_rows, lo_cols, hi_cols), each an array over the grid's rows or
    columns, for nodes with (C, H, W) maps before any global node (None: always whole);
    sizes[name]: output shape of one sample; macs_per_pixel[name]: multiply-adds per output
    pixel of a windowed node; macs_full[name]: of the node on a whole image.
    """
    patch: tuple
    stride: tuple
    grid: tuple
    names: list
    ranges: dict
    sizes: dict
    macs_per_pixel: dict
    macs_full: dict

    def window(self, name, rows, cols):
        """Window of node ``name`` for the grid rows ``rows`` and columns ``cols`` (index arrays)."""
        lo_r, hi_r, lo_c, hi_c = self.ranges[name]
        _, h, w = self.sizes[name]
        lr = max(1, int((hi_r[rows] - lo_r[rows]).max()))
        lc = max(1, int((hi_c[cols] - lo_c[cols]).max()))
        return Window(lr, lc, np.clip(lo_r[rows], 0, h - lr), np.clip(lo_c[cols], 0, w - lc))

    def windowed(self):
        """The nodes that can recompute a window (not always whole)."""
        return [n for n in self.names if self.ranges[n] is not None]

    def window_floats(self):
        """About how many floats one position holds in the windowed nodes: each node's
        largest window, twice (the input slab beside the output)."""
        total = 0
        for name in self.windowed():
            (lr, hr, lc, hc), (c, _, _) = self.ranges[name], self.sizes[name]
            total += 2 * c * int((hr - lr).max()) * int((hc - lc).max())
        return total

    def macs_naive(self):
        """Multiply-adds of one full forward up to the score node."""
        return float(sum(self.macs_full.values()))

    def macs_batched(self, block):
        """Multiply-adds per position when the grid is cut into blocks of block=(rows, cols).

        Each block computes, per node, its window (window(): the longest range in the block)
        for all its positions, or the whole map where the window covers it; nodes without
        ranges run whole."""
        (n_r, n_c), total = self.grid, 0.0
        r0, c0 = np.arange(0, n_r, block[0]), np.arange(0, n_c, block[1])
        positions = np.outer(np.diff(r0, append=n_r), np.diff(c0, append=n_c))  # per block
        for name in self.names:
            if self.ranges[name] is None:
                total += float(self.macs_full[name]) * float(positions.sum())
                continue
            (lo_r, hi_r, lo_c, hi_c), (_, h, w) = self.ranges[name], self.sizes[name]
            rows = np.maximum(1, np.maximum.reduceat(hi_r - lo_r, r0))  # each block's window
            cols = np.maximum(1, np.maximum.reduceat(hi_c - lo_c, c0))
            full = (rows == h)[:, None] & (cols == w)[None, :]
            area = np.where(full, h * w, np.outer(rows, cols))
            total += float(self.macs_per_pixel[name]) * float((area * positions).sum())
        return total / (n_r * n_c)

    def flop_ratio(self, block=(1, 1)):
        """Incremental / full-forward work; block (1, 1) gives the exact per-position limit."""
        return self.macs_batched(block) / self.macs_naive()


def grid_size(size, patch, stride, cover_edges=False):
    """Positions along one axis: floor((size - patch) / stride) + 1, or with cover_edges
    (Captum's windows) ceil((size - patch) / stride) + 1, the last patch cut at the edge."""
    return -(-(size - patch) // stride) + 1 if cover_edges else (size - patch) // stride + 1


def make_plan(net, image_hw, patch, stride, stop=None, tau=1.0, cover_edges=False):
    """The plan for ``patch`` = (ph, pw) moved by ``stride`` = (sh, sw) over an image of size
    image_hw, through the nodes the node ``stop`` needs (default: the output node).

    tau < 1 is Krypton's projective-field thresholding, an approximation: at every node a
    range longer than ceil(tau * map size) is cut to that length around its centre, and
    the units cut off keep their clean values.
    """
    (h, w), (ph, pw), (sh, sw) = image_hw, patch, stride
    if ph > h or pw > w:
        raise InputError(f"a {ph}x{pw} patch does not fit in the {h}x{w} image; use a smaller patch")
    if not 0 < tau <= 1:
        raise InputError(f"tau must be in (0, 1], got {tau}")
    grid = (grid_size(h, ph, sh, cover_edges), grid_size(w, pw, sw, cover_edges))
    input_shape = (net.input_shape[0], h, w)
    shapes = {INPUT: input_shape, **net.output_shapes(input_shape, stop)}
    lo_r, lo_c = np.arange(grid[0]) * sh, np.arange(grid[1]) * sw
    start = (lo_r, np.minimum(lo_r + ph, h), lo_c, np.minimum(lo_c + pw, w))

    def changed(node, *inputs):
        return _changed(node, inputs, [shapes[i] for i in node.inputs], shapes[node.name], tau)

    ranges = net.walk(changed, start, stop)
    ranges.pop(INPUT)
    names = list(ranges)
    per_pixel, full = {}, {}
    for name in names:
        node = net[name]
        macs = node.macs(*(shapes[i] for i in node.inputs))
        full[name] = macs
        pixels = int(np.prod(shapes[name][1:])) if len(shapes[name]) == 3 else 1
        per_pixel[name] = macs / pixels
    return Plan((ph, pw), (sh, sw), grid, names, ranges, {n: shapes[n] for n in names}, per_pixel, full)


def _changed(node, inputs, in_shapes, out_shape, tau):
    """The changed ranges of ``node`` from its inputs' (None: the whole map, always recomputed)."""
    if any(r is None for r in inputs) or len(out_shape) != 3 or node.extent == "global" \
            or (node.extent == "window" and getattr(node, "forward_padded", None) is None):
        return None
    _, h, w = out_shape
    if node.extent == "window":
        win = node.window(*in_shapes[0][1:])
        (kh, srow, pt), (kw, scol, pl) = win.axis(0), win.axis(1)
        lo_r, hi_r, lo_c, hi_c = inputs[0]
        rows = _project(lo_r, hi_r, kh, srow, pt, h)
        cols = _project(lo_c, hi_c, kw, scol, pl, w)
        return _cap(*rows, tau, h) + _cap(*cols, tau, w)
    if any(s[1:] == (1, 1) and (h, w) != (1, 1) for s in in_shapes):
        return None  # a 1x1 map broadcast over this one: every unit changes
    if len(inputs) == 1:
        return inputs[0]
    rows = _cover([(r[0], r[1]) for r in inputs])
    cols = _cover([(r[2], r[3]) for r in inputs])
    return _cap(*rows, tau, h) + _cap(*cols, tau, w)


def _cover(ranges):
    """Per position, the range covering every non-empty input range."""
    lo = np.min([np.where(b > a, a, np.iinfo(np.int64).max) for a, b in ranges], axis=0)
    hi = np.max([np.where(b > a, b, np.iinfo(np.int64).min) for a, b in ranges], axis=0)
    empty = hi <= lo
    return np.where(empty, 0, lo), np.where(empty, 0, hi)


def _cap(lo, hi, tau, size):
    """Ranges longer than ceil(tau * size) shrunk to that length around their centres."""
    if tau >= 1:
        return lo, hi
    cap = max(1, int(np.ceil(tau * size)))
    cut = np.maximum(0, hi - lo - cap)
    return lo + cut // 2, hi - (cut - cut // 2)


def _project(lo, hi, kernel, stride, pad, size):
    pairs = np.array([project_range(a, b, kernel, stride, pad, size) for a, b in zip(lo, hi)])
    return pairs[:, 0], pairs[:, 1]

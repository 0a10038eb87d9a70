"""Which part of each layer an occluding patch can change: the plan of incremental occlusion.

Krypton (Nakandala, Kumar & Papakonstantinou, SIGMOD 2019): a patch at input rows
[r, r + p) changes, at each later layer, only the units in its projective field
(receptive.project_range, chained layer by layer); everything else keeps the clean
image's activations. So each layer recomputes one window per patch position, reading
clean activations around it, until the window covers the whole map; from there on
(and for the dense layers) the network runs as usual.

Rows and columns are independent, so the plan is per axis: for every layer up to the
first non-spatial one, the changed range [lo, hi) of each patch position. A batch of
positions (a block of the position grid) shares one window length per layer, the
longest range in the block; each position's window starts at its own range, moved
back where needed to stay inside the map. The plan counts multiply-adds, so a
benchmark can compare the measured speed-up with the ideal one.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..receptive import project_range

SPATIAL = ("Conv2D", "MaxPool2D")
POINTWISE = ("ReLU", "Dropout")


@dataclass
class Window:
    """One layer's window for a batch: (length, starts per position) per axis."""
    rows: int
    cols: int
    row_starts: np.ndarray  # (n_rows_in_batch,)
    col_starts: np.ndarray  # (n_cols_in_batch,)


@dataclass
class Plan:
    """Changed ranges per layer and axis for every patch position.

    ranges[k] = (lo_rows, hi_rows, lo_cols, hi_cols) for windowed layer k (layers[:n_windowed]),
    each an array over the grid's rows or columns; sizes[k] = that layer's (C, H, W) output.
    """
    patch: tuple
    stride: tuple
    grid: tuple
    names: list
    ranges: list
    sizes: list
    conv_macs: list       # multiply-adds per output pixel of each windowed layer (0 if not conv)
    macs_rest: int        # multiply-adds of the layers after the windowed ones, up to the stop layer

    @property
    def n_windowed(self):
        return len(self.names)

    def window(self, k, rows, cols):
        """Window of windowed layer k for the grid rows ``rows`` and columns ``cols`` (index arrays)."""
        lo_r, hi_r, lo_c, hi_c = self.ranges[k]
        _, h, w = self.sizes[k]
        lr, lc = int((hi_r[rows] - lo_r[rows]).max()), int((hi_c[cols] - lo_c[cols]).max())
        return Window(lr, lc, np.minimum(lo_r[rows], h - lr), np.minimum(lo_c[cols], w - lc))

    def window_floats(self):
        """About how many floats one position holds in the windowed layers: each layer's
        largest window, twice (the input slab beside the output)."""
        return 2 * sum(c * int((hr - lr).max()) * int((hc - lc).max())
                       for (lr, hr, lc, hc), (c, _, _) in zip(self.ranges, self.sizes))

    def macs_naive(self):
        """Multiply-adds of one full forward up to the stop layer."""
        return sum(m * s[1] * s[2] for m, s in zip(self.conv_macs, self.sizes)) + self.macs_rest

    def macs_batched(self, block):
        """Multiply-adds per position when the grid is cut into blocks of block=(rows, cols).

        Each block computes, per windowed layer, its window (window(): the longest range in
        the block) for all its positions, or the whole map from the first layer where the
        window covers it; the layers after the windowed ones run whole (macs_rest)."""
        (n_r, n_c), total = self.grid, 0.0
        r0, c0 = np.arange(0, n_r, block[0]), np.arange(0, n_c, block[1])
        positions = np.outer(np.diff(r0, append=n_r), np.diff(c0, append=n_c))  # per block
        full = np.zeros(positions.shape, bool)
        for (lo_r, hi_r, lo_c, hi_c), (_, h, w), macs in zip(self.ranges, self.sizes, self.conv_macs):
            rows = np.maximum.reduceat(hi_r - lo_r, r0)  # each block's window, as window()
            cols = np.maximum.reduceat(hi_c - lo_c, c0)
            full |= (rows == h)[:, None] & (cols == w)[None, :]
            area = np.where(full, h * w, np.outer(rows, cols))
            total += float(macs) * float((area * positions).sum())
        return total / (n_r * n_c) + self.macs_rest

    def flop_ratio(self, block=(1, 1)):
        """Incremental / full-forward work; block (1, 1) gives the exact per-position limit."""
        return self.macs_batched(block) / self.macs_naive()


def grid_size(size, patch, stride, cover_edges=False):
    """Positions along one axis: floor((size - patch) / stride) + 1, or with cover_edges
    (Captum's windows) ceil((size - patch) / stride) + 1, the last patch cut at the edge."""
    return -(-(size - patch) // stride) + 1 if cover_edges else (size - patch) // stride + 1


def make_plan(net, image_hw, patch, stride, stop=None, tau=1.0, cover_edges=False):
    """The plan for ``patch`` = (ph, pw) moved by ``stride`` = (sh, sw) over an image of size
    image_hw, through the layers up to ``stop`` (a layer name; default the last).

    tau < 1 is Krypton's projective-field thresholding, an approximation: at every layer a
    range longer than ceil(tau * map size) is cut to that length around its centre, and
    the units cut off keep their clean values.
    """
    (h, w), (ph, pw), (sh, sw) = image_hw, patch, stride
    if ph > h or pw > w:
        raise InputError(f"a {ph}x{pw} patch does not fit in the {h}x{w} image; use a smaller patch")
    if not 0 < tau <= 1:
        raise InputError(f"tau must be in (0, 1], got {tau}")
    n_rows, n_cols = grid_size(h, ph, sh, cover_edges), grid_size(w, pw, sw, cover_edges)
    shapes = net.output_shapes((net.input_shape[0], h, w))
    last = len(net.layers) - 1 if stop is None else net.index(stop)
    lo_r = np.arange(n_rows) * sh
    lo_c = np.arange(n_cols) * sw
    hi_r, hi_c = np.minimum(lo_r + ph, h), np.minimum(lo_c + pw, w)
    names, ranges, sizes, conv_macs = [], [], [], []
    for layer in net.layers[:last + 1]:
        kind = type(layer).__name__
        if kind not in SPATIAL + POINTWISE:
            break
        shape = shapes[layer.name]
        if kind in SPATIAL:
            (kh, srow, pt), (kw, scol, pl) = layer.geometry
            lo_r, hi_r = _cap(*_project(lo_r, hi_r, kh, srow, pt, shape[1]), tau, shape[1])
            lo_c, hi_c = _cap(*_project(lo_c, hi_c, kw, scol, pl, shape[2]), tau, shape[2])
        names.append(layer.name)
        ranges.append((lo_r, hi_r, lo_c, hi_c))
        sizes.append(tuple(shape))
        conv_macs.append(_macs_per_pixel(layer))
    rest = 0
    for layer in net.layers[len(names):last + 1]:
        kind = type(layer).__name__
        if kind == "Dense":
            rest += layer.in_features * layer.out_features
        elif kind == "Conv2D":
            c, hh, ww = shapes[layer.name]
            rest += _macs_per_pixel(layer) * hh * ww
    return Plan((ph, pw), (sh, sw), (n_rows, n_cols), names, ranges, sizes, conv_macs, rest)


def _macs_per_pixel(layer):
    if type(layer).__name__ != "Conv2D":
        return 0
    kh, kw = layer.kernel_size
    return layer.in_channels * layer.out_channels * kh * kw


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

"""Maximally activating patches: the images of a dataset, and the parts of them, where a unit
fires most.

Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014 (fig. 2:
the top 9 activations of a feature map across the validation set, each with the image patch
it sees); Yosinski, Clune, Nguyen, Fuchs & Lipson, "Understanding Neural Networks Through Deep
Visualization", ICML workshop 2015 (the DeepVis toolbox's top-9 images per unit).

Per unit u and image n the score is
    channel  Unit(layer, c):        s = max_{i,j} A[n, c, i, j], at the first maximum in
                                     row-major order (one patch per image, as the papers)
    unit     Unit(layer, c, i, j):  s = A[n, c, i, j]
    neuron   Unit(dense layer, c):  s = A[n, c] (the patch is the whole image)
The source is read once, batch by batch (cnnvis.datasets.stream); each unit keeps a min-heap
of its k best (s, image, position), so memory holds k images per unit, never the dataset.
Ties are broken deterministically: a higher score first, then the lower image index, then
the earlier position (row-major), whatever the batch size.
"""
import heapq
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..datasets.stream import batches, source_length
from ..engine import holds_weights, to_host
from ..errors import InputError, TargetError
from ..progress import bar
from ..receptive import receptive_field, unit_box
from .deconvnet import deconvnet
from .guided_backprop import guided_backprop
from .targets import Unit, check_unit


@dataclass(frozen=True, eq=False)
class Patch:
    """One of a unit's top activations. score: s; index: the image's position in the source;
    position: the unit's (i, j) in the layer's map (None for a dense neuron); box: the input
    pixels it sees (r0, r1, c0, c1), clipped to the image; field: the same box unclipped;
    crop: image[r0:r1, c0:c1]; image: the whole image, as the source gave it."""
    score: float
    index: int
    position: tuple
    box: tuple
    field: tuple
    crop: np.ndarray
    image: np.ndarray


class TopPatches(NamedTuple):
    """units: the Units asked for; patches[u]: unit u's best patches, best first (at most k);
    count: how many images were read."""
    units: list
    patches: list
    count: int


def _units(units):
    units = [units] if isinstance(units, Unit) else list(units)
    for u in units:
        if not isinstance(u, Unit) or u.channel is None:
            raise TargetError(f"top patches need units with a channel, e.g. Unit('block3_conv1', 5) "
                              f"or Unit('block3_conv1', 5, i, j); got {u!r}")
    return units


def _scores(a, u, allowed=None):
    """(scores (B,), flat positions (B,), map width) of unit u in layer output a (B, C[, h, w]);
    a channel's maximum is sought where ``allowed`` (h, w) is true (default everywhere)."""
    if a.ndim == 2:
        return a[:, u.channel], np.zeros(len(a), np.int64), None
    w = a.shape[3]
    if u.i is not None:
        return a[:, u.channel, u.i, u.j], np.full(len(a), u.i * w + u.j), w
    flat = a[:, u.channel].reshape(len(a), -1)
    if allowed is not None:
        flat = np.where(allowed.reshape(-1), flat, -np.inf)
    pos = flat.argmax(axis=1)  # the first maximum in row-major order
    return flat[np.arange(len(a)), pos], pos, w


def inside_mask(net, layer, image_shape, map_shape):
    """(h, w) bool: the units of ``layer`` whose whole receptive field lies inside the image."""
    f = receptive_field(net, layer)
    rows, cols = (f.start[k] + np.arange(map_shape[k]) * f.jump[k] for k in (0, 1))
    ok_r = (rows >= 0) & (rows + f.size[0] <= image_shape[0])
    ok_c = (cols >= 0) & (cols + f.size[1] <= image_shape[1])
    if not ok_r.any() or not ok_c.any():
        raise InputError(f"no unit of {layer!r} sees only the inside of a {image_shape[0]}x"
                         f"{image_shape[1]} image (its field is {f.size[0]}x{f.size[1]}); "
                         "use inside=False or larger images")
    return ok_r[:, None] & ok_c[None, :]


@holds_weights
def top_patches(net, source, units, k=9, batch_size=32, size=None, inside=False, progress=None):
    """The k images of ``source`` where each of ``units`` fires most, with the receptive-field
    crop (cnnvis.receptive.unit_box) around each maximum.

    source: 'bundled', a Dataset, an image array (N, H, W[, C]) in [0, 255], a folder or any
    iterable of images (see cnnvis.datasets.stream); images go through net.preprocess.
    units: a Unit or a list of them (channels, single units, dense neurons).
    size: (H, W) folders are resized to (default the network's input size).
    inside: seek a channel's maximum only among units whose whole receptive field lies inside
    the image (no zero padding in what they see: full-size crops, no border effects).
    Returns TopPatches.
    """
    units = _units(units)
    for u in units:
        net.index(u.layer)
    if int(k) < 1:
        raise InputError(f"k must be at least 1, got {k}")
    last = max(units, key=lambda u: net.index(u.layer)).layer
    mode = "L" if net.input_shape[0] == 1 else "RGB"
    heaps = [[] for _ in units]  # items (key, (i, j) or None, image); keys are unique per unit
    count = 0
    with bar(total=source_length(source), desc="top patches", unit="image", progress=progress) as pbar:
        for start, images in batches(source, batch_size, size or net.input_shape[1:], mode):
            net.forward(net.preprocess(images), until=last)
            outputs, allowed = {}, {}
            for u, heap in zip(units, heaps):
                if u.layer not in outputs:
                    a = outputs[u.layer] = to_host(net.activations[u.layer])
                    allowed[u.layer] = inside_mask(net, u.layer, images.shape[1:3], a.shape[2:]) \
                        if inside and a.ndim == 4 else None
                check_unit(u, outputs[u.layer].shape[1:])
                scores, positions, width = _scores(outputs[u.layer], u, allowed[u.layer])
                for b in np.flatnonzero(np.isfinite(scores)):
                    key = (float(scores[b]), -(start + int(b)), -int(positions[b]))
                    if len(heap) == k and key <= heap[0][0]:
                        continue
                    ij = None if width is None else tuple(int(v) for v in divmod(positions[b], width))
                    item = (key, ij, images[b].copy())
                    (heapq.heappush if len(heap) < k else heapq.heapreplace)(heap, item)
            count += len(images)
            pbar.update(len(images))
    return TopPatches(units, [[patch_at(net, u, key[0], -key[1], ij, image) for key, ij, image in
                               sorted(heap, reverse=True)] for u, heap in zip(units, heaps)], count)


def patch_at(net, u, score, index, ij, image):
    """The Patch of unit u at map position ij ((i, j), or None for a dense neuron) in an image
    (H, W[, C]) of the source, its ``index``-th, where u scored ``score``."""
    h, w = image.shape[:2]
    if ij is None:  # a dense neuron sees the whole image
        box = field = (0, h, 0, w)
    else:
        box = unit_box(net, u.layer, *ij, image_shape=(h, w))
        field = unit_box(net, u.layer, *ij, image_shape=(h, w), clip=False)
    return Patch(score, index, ij, box, field, image[box[0]:box[1], box[2]:box[3]], image)


def rank(score, index, position):
    """The sort key of the order top_patches keeps, best first: a higher score, then the lower
    image index, then the earlier map position (row-major; None for a dense neuron). Sorting
    the patches of disjoint parts of a source by it and keeping k per unit gives exactly the
    top patches of one pass over the whole source, when the parts' scores are the same numbers
    (the same batches): dataset runs merge their shards so (cnnvis/scale/jobs/top_patches.py)."""
    return -score, index, position or ()


def top_patch_projections(net, result, rule="deconvnet"):
    """The deconvnet projection (methods/deconvnet.py; Zeiler & Fergus) of each top patch's
    unit, at its position, in its image, cropped to the patch's box: for unit u a list of
    signed network-input arrays (C, h, w) beside result.patches[u]. rule='guided': guided
    backprop instead (methods/guided_backprop.py), from the same activation seed."""
    if rule not in ("deconvnet", "guided"):
        raise InputError(f"rule must be 'deconvnet' or 'guided', got {rule!r}")
    projections = []
    for u, patches in zip(result.units, result.patches):
        if not patches:
            projections.append([])
            continue
        x = net.preprocess(np.stack([p.image for p in patches]))
        targets = [Unit(u.layer, u.channel, *(p.position or (None, None))) for p in patches]
        g = deconvnet(net, x, targets) if rule == "deconvnet" else guided_backprop(
            net, x, targets, seed="activation")
        projections.append([g[n, :, p.box[0]:p.box[1], p.box[2]:p.box[3]] for n, p in enumerate(patches)])
    return projections

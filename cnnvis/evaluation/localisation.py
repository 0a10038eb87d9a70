"""Localisation where the object's place is known: the pointing game (Zhang et al., "Top-down
Neural Attention by Excitation Backprop", ECCV 2016) and the energy-based pointing game
(Wang et al., Score-CAM, CVPR workshops 2020), on maps (N, H, W) and object masks (N, H, W).

    pointing game:  hit = the map's maximum lies on the object (any pixel of the maximum, if
                    it is shared), or within ``tolerance`` pixels of it (Zhang et al.: 15 px)
    energy:         sum of max(map, 0) on the object / sum of max(map, 0)   (0 for a map <= 0)

Quantus: PointingGame (tolerance 0) and RelevanceMassAccuracy (the same ratio on the map as
given: equal for maps >= 0; on signed maps Quantus counts negative relevance, we clip it).
"""
import numpy as np

from ..errors import InputError


def box_masks(boxes, shape):
    """Masks (N, H, W) of boxes (N, 4) = (top, left, bottom, right), bottom and right exclusive."""
    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    rows, cols = np.arange(shape[0])[:, None], np.arange(shape[1])[None, :]
    return np.stack([(rows >= t) & (rows < b) & (cols >= left) & (cols < r) for t, left, b, r in boxes])


def _check(maps, masks):
    maps, masks = np.asarray(maps, np.float64), np.asarray(masks, bool)
    if maps.ndim != 3 or maps.shape != masks.shape:
        raise InputError(f"give maps and object masks of one shape (N, H, W), got {maps.shape} and {masks.shape}")
    if not masks.reshape(len(masks), -1).any(axis=1).all():
        raise InputError("every object mask must cover at least one pixel")
    return maps, masks


def pointing_game(maps, masks, tolerance=0):
    """(N,) 1.0 where the map's maximum is on the object (or within ``tolerance`` pixels), else 0."""
    maps, masks = _check(maps, masks)
    hits = np.zeros(len(maps))
    for k, (m, obj) in enumerate(zip(maps, masks)):
        peaks = np.argwhere(m == m.max())
        if tolerance <= 0:
            hits[k] = float(obj[peaks[:, 0], peaks[:, 1]].any())
        else:
            on = np.argwhere(obj)
            d2 = ((peaks[:, None, :] - on[None, :, :]) ** 2).sum(axis=-1)
            hits[k] = float(d2.min() <= tolerance ** 2)
    return hits


def energy_pointing_game(maps, masks):
    """(N,) the share of each map's positive energy that lies on the object."""
    maps, masks = _check(maps, masks)
    pos = np.maximum(maps, 0).reshape(len(maps), -1)
    inside = (pos * masks.reshape(len(masks), -1)).sum(axis=1)
    total = pos.sum(axis=1)
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0)

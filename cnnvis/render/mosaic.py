"""Mosaics: many small images tiled into one picture, with a gap between them."""
import numpy as np

from ..errors import InputError


def as_rgb(image):
    """(H, W) or (H, W, 1|3) -> (H, W, 3), values unchanged."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return image


def mosaic(images, cols=None, gap=1, zoom=1, background=1.0):
    """Tile images ((K, h, w) or (K, h, w, 3) or a list of such of one size, in [0, 1] or
    [0, 255]) in a grid of ``cols`` columns (default about square), each enlarged ``zoom``
    times (nearest), ``gap`` pixels of ``background`` apart. Returns (H, W, 3) float."""
    images = [as_rgb(im).astype(np.float64) for im in images]
    if not images:
        raise InputError("no images to tile: the list is empty; give at least one image (a "
                         "count such as max_filters or n of 0 selects none)")
    if len({im.shape for im in images}) > 1:
        raise InputError(f"mosaic images must have one size, got {sorted({im.shape for im in images})}; "
                         "resize them to one size first")
    if zoom > 1:
        images = [im.repeat(zoom, axis=0).repeat(zoom, axis=1) for im in images]
    n = len(images)
    cols = int(cols or np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = images[0].shape[:2]
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), float(background))
    for k, im in enumerate(images):
        r, c = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = im
    return out

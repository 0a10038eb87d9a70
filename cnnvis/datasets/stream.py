"""Image streams: any image source read in batches, never whole.

A source is
  * 'bundled': the bundled Fashion-MNIST samples (cnnvis.datasets.bundled_samples);
  * a Dataset, or an array of images (N, H, W) or (N, H, W, C) in [0, 255];
  * a folder: its PNG/JPEG/BMP/GIF/TIFF files in sorted name order, each loaded when needed
    (hidden files, such as a killed write's temporary .NAME.XXXXXXXX.tmp.png, are skipped;
    image_paths lists a folder tree, as dataset runs read it: cnnvis/scale/inputs.py);
  * any other iterable (a generator, say) of images (H, W[, C]) in [0, 255], pulled one at a time.
batches(source, batch_size) yields (first index, images (B, H, W[, C])); folders are resized
to ``size`` (H, W) and converted to ``mode`` ('RGB' or 'L') as they are read.
"""
import os

import numpy as np

from ..errors import InputError
from ..images import load_image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def is_image_name(name, extensions=IMAGE_EXTENSIONS):
    """Whether a file name is an image's: one of ``extensions`` (any case), not hidden."""
    return name.lower().endswith(tuple(extensions)) and not name.startswith(".")


def image_names(folder):
    """The names of the image files in ``folder`` (IMAGE_EXTENSIONS, any case, not hidden), sorted."""
    return sorted(f for f in os.listdir(folder) if is_image_name(f))


def image_paths(folder, extensions=IMAGE_EXTENSIONS):
    """The paths of the image files (``extensions``, lower case, matched in any case; not
    hidden) in ``folder`` and its subfolders (hidden ones skipped, links to folders not
    followed), sorted by their path below ``folder`` part by part ('a/z.png' before 'b.png')."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(root, f) for f in files if is_image_name(f, extensions)]
    return sorted(found, key=lambda p: os.path.relpath(p, folder).split(os.sep))


def folder_images(folder, size=None, mode="RGB"):
    """A generator of the images in ``folder`` (sorted by name), loaded one at a time."""
    names = image_names(folder)
    if not names:
        raise InputError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in folder {folder}; give a "
                         "folder of image files")
    return (load_image(os.path.join(folder, f), size=size, mode=mode) for f in names)


def source_length(source):
    """The number of images of a source, or None when it cannot be known without reading it."""
    if isinstance(source, str) and source == "bundled":
        from .bundled import bundled_samples
        return len(bundled_samples())
    if isinstance(source, (str, os.PathLike)):
        return len(image_names(source)) if os.path.isdir(source) else None
    try:
        return len(source)
    except TypeError:
        return None


def batches(source, batch_size=32, size=None, mode="RGB"):
    """Yield (start, images) with images (B <= batch_size, H, W[, C]), in source order."""
    if int(batch_size) < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    batch_size = int(batch_size)
    if isinstance(source, str) and source == "bundled":
        from .bundled import bundled_samples
        source = bundled_samples().images
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.isdir(source):
            raise InputError(f"{source} is not a folder of images (nor 'bundled'); give a folder, "
                             "an array of images or a Dataset")
        source = folder_images(source, size, mode)
    elif hasattr(source, "images") and hasattr(source, "labels"):
        source = source.images
    if isinstance(source, np.ndarray):
        if source.ndim not in (3, 4):
            raise InputError(f"an image array must be (N, H, W) or (N, H, W, C), got {source.shape}")
        for start in range(0, len(source), batch_size):
            yield start, source[start:start + batch_size]
        return
    start, pending = 0, []
    for image in source:
        pending.append(np.asarray(image))
        if len(pending) == batch_size:
            yield start, _stack(pending, start)
            start, pending = start + batch_size, []
    if pending:
        yield start, _stack(pending, start)


def _stack(images, start):
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise InputError(f"images {start}..{start + len(images) - 1} have different sizes "
                         f"{sorted(shapes)}; give images of one size (a folder is resized for you)")
    return np.stack(images)

"""Loading images from disk and the bundled sample images."""
import difflib
import os
import warnings
from importlib import resources

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import InputError

SAMPLES = ("cat", "dog", "goldfish", "coffee", "mountain", "guitar")


def sample_path(name):
    """Path of a bundled photo (one of SAMPLES; 224x224 JPEG, see cnnvis/data/README.md)."""
    if name not in SAMPLES:
        raise InputError(f"no bundled image {name!r}; choose one of {SAMPLES}")
    return str(resources.files("cnnvis") / "data" / "images" / f"{name}.jpg")


def load_image(source, size=None, mode="RGB"):
    """An image as a uint8 array (H, W, 3) for mode 'RGB' or (H, W) for mode 'L'; mode None:
    as the image is (grey images (H, W), others (H, W, 3)).

    source: a path, a bundled photo's name (SAMPLES: 'cat', 'dog', ...), a PIL image or an array.
    size: (H, W) to resize to (bilinear), e.g. the network's input size; None keeps it.
    Transparent images are composited on white; palette, CMYK, 16-bit and grayscale
    images are converted. An image over Pillow's decompression-bomb limit
    (PIL.Image.MAX_IMAGE_PIXELS) is an InputError, not read.
    """
    if isinstance(source, str) and source in SAMPLES and not os.path.exists(source):
        source = sample_path(source)
    if isinstance(source, np.ndarray):
        img = _from_array(source)
    elif isinstance(source, Image.Image):
        img = source
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(source)
                img.load()
        except FileNotFoundError:
            raise InputError(missing_image(source)) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InputError(f"{source} is too large to read safely ({exc}); if you trust the file, "
                             "shrink it first (cnnvis resizes every image to the network's input size "
                             "anyway), or raise PIL.Image.MAX_IMAGE_PIXELS in Python") from None
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"cannot read {source} as an image ({exc}); give a PNG or JPEG file") from None
    own = "L" if img.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "F") else "RGB"  # mode=None keeps it
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if img.mode in ("I;16", "I;16B", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        arr = 255 * (arr - arr.min()) / max(arr.max() - arr.min(), 1e-12)
        img = Image.fromarray(arr.astype(np.uint8))
    if mode is None:
        mode = own
    if mode not in ("RGB", "L"):
        raise InputError(f"mode must be 'RGB', 'L' or None, got {mode!r}")
    img = img.convert(mode)
    if size is not None:
        h, w = size
        if int(h) < 1 or int(w) < 1:
            raise InputError(f"size must be positive (H, W), got {size}")
        if img.size != (w, h):
            img = img.resize((int(w), int(h)), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8)


def missing_image(source, also=""):
    """The message for an image file that does not exist: what an image may be (``also``: more
    forms a caller accepts) and the closest bundled names and files in its folder."""
    folder = os.path.dirname(str(source)) or "."
    names = list(SAMPLES) + (sorted(os.listdir(folder)) if os.path.isdir(folder) else [])
    close = [c if c in SAMPLES or folder == "." else os.path.join(folder, c)
             for c in difflib.get_close_matches(os.path.basename(str(source)), names, n=3)]
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "."
    return (f"image file not found: {source}{hint} An image is the path of an image file (PNG, JPEG, ...), "
            f"or a bundled photo: {', '.join(map(repr, SAMPLES))}{also}")


def _from_array(arr):
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise InputError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError("the image array contains NaN or infinite values; replace them (e.g. "
                         "np.nan_to_num) or check how the image was made")
    if arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise InputError(f"image values must lie in [0, 255], got [{arr.min()}, {arr.max()}]; "
                             "scale the image first (e.g. 255 * x for one in [0, 1])")
        arr = np.round(arr).astype(np.uint8)
    return Image.fromarray(arr)

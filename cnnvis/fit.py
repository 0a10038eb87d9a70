"""What is done to an image before a network sees it, said in one line, and undone for the maps.

    fit = fit_image(image, (224, 224), "crop")      # or fit_for(net, image, resize="auto")
    x = net.preprocess(fit.image)                   # what the network sees
    print(fit.note)                                 # 'resized 200x300 -> 224x224 (centre crop)'
    shown = fit.to_original(heatmap)                # a map on the network's input, on the user's image

The ways (``resize``), for a network input of H x W:
  crop     the shorter side scaled to the network's, the middle cut out: torchvision's
           Resize + CenterCrop (the aspect ratio kept, the edges of a long image lost)
  pad      the longer side scaled to the network's, the rest filled with ``fill`` (by fit_for:
           the colour the network's preprocessing maps to zero): nothing lost, nothing distorted
  stretch  each side scaled on its own: nothing lost, the aspect ratio changed
  whole    the shorter side scaled to the network's, nothing cut: for networks that take any
           size (fully convolutional, or ending in global pooling)
  none     the image as it is (a network that takes any size)
  auto     (fit_for) whole for a fully convolutional network (no dense layer: HED, VGG16's conv
           stack), crop for the others: a classifier is shown images of the size it was trained on
           (EfficientNet-Lite0, which global pooling lets take any size, is much less sure of a
           dog at 224x336 than at 224x224).
A grey network gets the image in grey, a colour one in colour. Sizes in notes are written
width x height, as image viewers show them; arrays are (height, width) as everywhere else.
"""
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .errors import InputError
from .layers import Dense
from .preprocessing import ORDERS

RESIZE = ("auto", "crop", "pad", "stretch", "whole", "none")
WORDS = {"crop": "centre crop", "pad": "padded", "stretch": "stretched", "whole": "whole image, aspect ratio kept",
         "none": "as given"}


@dataclass(frozen=True)
class Fit:
    """original: the image as given, uint8 (h0, w0[, 3]); image: what the network gets, uint8
    (H, W[, 3]); scaled (h, w): the size the original was resized to; offset (top, left): where
    the scaled image lies on the network's H x W canvas (negative: cut off there, i.e. a crop;
    positive: padding); mode: one of RESIZE but 'auto'; grey: whether colour became grey."""
    original: np.ndarray
    image: np.ndarray
    scaled: tuple
    offset: tuple
    mode: str
    grey: bool = False

    @property
    def size(self):
        """(H, W) of what the network sees."""
        return tuple(self.image.shape[:2])

    @property
    def changed(self):
        return bool(self.note)

    @property
    def note(self):
        """One line saying what was done ('' when nothing was): 'resized 200x300 -> 224x224
        (centre crop)', 'centre-cropped 300x224 -> 224x224', 'colour -> grey'."""
        (h0, w0), (h, w) = self.original.shape[:2], self.size
        words = []
        if (h0, w0) != (h, w):
            if self.scaled != (h0, w0):
                trimmed = self.mode in ("crop", "pad") and self.scaled == self.size  # nothing cut or added
                words.append(f"resized {w0}x{h0} -> {w}x{h}" + ("" if trimmed else f" ({WORDS[self.mode]})"))
            else:
                words.append(f"{'centre-cropped' if self.mode == 'crop' else 'padded'} {w0}x{h0} -> {w}x{h}")
        if self.grey:
            words.append("colour -> grey")
        return ", ".join(words)

    def seen(self):
        """(r0, r1, c0, c1): the box of the original the network saw (all of it but for a crop)."""
        (h0, w0), (H, W), (sh, sw), (top, left) = self.original.shape[:2], self.size, self.scaled, self.offset
        r0, r1 = max(top, 0), min(top + sh, H)
        c0, c1 = max(left, 0), min(left + sw, W)
        return (int(round((r0 - top) * h0 / sh)), int(round((r1 - top) * h0 / sh)),
                int(round((c0 - left) * w0 / sw)), int(round((c1 - left) * w0 / sw)))

    def to_original(self, values):
        """A map (H', W'[, C]) on the network's input (any size in proportion to it: it is
        resized to H x W first) placed on the original's grid: (h0, w0[, C]), float64, NaN
        where the network did not see the original (outside a crop)."""
        v = np.asarray(values, np.float64)
        (H, W), (sh, sw), (top, left) = self.size, self.scaled, self.offset
        if v.shape[:2] != (H, W):
            v = resize(v, (H, W))
        r0, r1 = max(top, 0), min(top + sh, H)
        c0, c1 = max(left, 0), min(left + sw, W)
        R0, R1, C0, C1 = self.seen()
        out = np.full(tuple(self.original.shape[:2]) + v.shape[2:], np.nan)
        out[R0:R1, C0:C1] = resize(v[r0:r1, c0:c1], (R1 - R0, C1 - C0))
        return out


def resize(values, size):
    """Bilinear resize of a float map (h, w) or (h, w, C) to size (H, W), channel by channel."""
    v = np.asarray(values, np.float64)
    h, w = (int(s) for s in size)
    if v.shape[:2] == (h, w):
        return v.copy()
    if v.ndim == 3:
        return np.stack([resize(v[..., c], (h, w)) for c in range(v.shape[2])], axis=-1)
    img = Image.fromarray(v.astype(np.float32), mode="F")
    return np.asarray(img.resize((w, h), Image.BILINEAR), np.float64)


def _scaled(size, target, mode):
    """The size (h, w) an image of ``size`` is scaled to before the crop or pad to ``target``."""
    (h0, w0), (H, W) = size, target
    if mode == "stretch":
        return H, W
    if mode == "none":
        return h0, w0
    s = {"crop": max(H / h0, W / w0), "pad": min(H / h0, W / w0), "whole": min(H, W) / min(h0, w0)}[mode]
    h, w = max(1, int(round(h0 * s))), max(1, int(round(w0 * s)))
    if mode == "crop":
        return max(h, H), max(w, W)
    if mode == "pad":
        return min(h, H), min(w, W)
    return h, w


def fit_image(image, size, resize="crop", grey=False, fill=0):
    """The Fit of ``image`` (uint8 (h0, w0) grey or (h0, w0, 3) colour, as given) to a network
    input of ``size`` (H, W) by ``resize`` (crop, pad, stretch, whole, none; see the module);
    grey: the network takes one channel (else three); fill: the padding's grey level or RGB."""
    if resize not in RESIZE or resize == "auto":
        raise InputError(f"resize must be one of {', '.join(r for r in RESIZE if r != 'auto')}, got {resize!r}")
    original = np.asarray(image)
    if original.ndim not in (2, 3) or original.dtype != np.uint8:
        raise InputError(f"an image to fit is uint8 (H, W) or (H, W, 3), got {original.dtype} {original.shape}")
    h0, w0 = original.shape[:2]
    scaled = _scaled((h0, w0), size, resize)
    H, W = scaled if resize in ("whole", "none") else (int(size[0]), int(size[1]))
    pil = Image.fromarray(original)
    became_grey = grey and original.ndim == 3
    pil = pil.convert("L" if grey else "RGB")
    if (pil.height, pil.width) != scaled:
        pil = pil.resize((scaled[1], scaled[0]), Image.BILINEAR)
    arr = np.asarray(pil, np.uint8)
    top, left = (H - scaled[0]) // 2, (W - scaled[1]) // 2
    if resize == "crop":  # torchvision's CenterCrop: round((h - H) / 2) off the top
        top, left = -int(round((scaled[0] - H) / 2.0)), -int(round((scaled[1] - W) / 2.0))
    if (top, left) != (0, 0) or arr.shape[:2] != (H, W):
        canvas = np.empty((H, W) + arr.shape[2:], np.uint8)
        canvas[...] = np.asarray(fill, np.float64).round().clip(0, 255).astype(np.uint8)
        r0, c0 = max(top, 0), max(left, 0)
        part = arr[max(-top, 0):max(-top, 0) + H - r0, max(-left, 0):max(-left, 0) + W - c0]
        canvas[r0:r0 + part.shape[0], c0:c0 + part.shape[1]] = part
        arr = canvas
    return Fit(original, arr, tuple(scaled), (top, left), resize, became_grey)


def zero_colour(preprocessing):
    """The pixel colour (grey level, or RGB) that ``preprocessing`` maps to an input of zero:
    the neutral padding (the dataset mean for ImageNet weights, black for [0, 1] scaling)."""
    p = preprocessing
    pixel = p.mean / p.scale
    order = ORDERS[p.channel_order]
    rgb = np.empty(len(order))
    rgb[order] = pixel
    return np.clip(rgb if len(order) > 1 else rgb[0], 0, 255)


def fit_for(net, image, resize="auto"):
    """The Fit of ``image`` to ``net``: its input size and channels, padding with zero_colour.
    resize 'auto': whole for a fully convolutional network that takes the size
    (Network.takes_size), else crop. A mode the network cannot take is an InputError saying
    which can."""
    grey = net.input_shape[0] == 1
    size = net.input_shape[1:]
    original = np.asarray(image)
    if resize == "auto":
        whole = _scaled(original.shape[:2], size, "whole")
        convolutional = not any(isinstance(node, Dense) for node in net.nodes)
        resize = "whole" if convolutional and whole != tuple(size) and net.takes_size(whole) else "crop"
    elif resize in ("none", "whole"):
        h, w = _scaled(original.shape[:2], size, resize)
        if not net.takes_size((h, w)):
            raise InputError(f"{net.name} takes only {size[1]}x{size[0]} images (a dense layer fixes the "
                             f"size), and {resize} would give it {w}x{h}: crop, pad or stretch the image instead")
    return fit_image(original, size, resize, grey, zero_colour(net.preprocessing))

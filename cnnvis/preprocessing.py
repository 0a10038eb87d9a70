"""The input transform a set of weights was trained with, stored with the weights.

    x[n, c, h, w] = (image[n, h, w, order[c]] * scale - mean[c]) / std[c]

image is RGB (or grayscale) in [0, 255], NHWC; x is what the network eats, NCHW.
"""
import numpy as np

from .errors import InputError

ORDERS = {"RGB": [0, 1, 2], "BGR": [2, 1, 0], "L": [0]}
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601, as Pillow's convert("L")


class Preprocessing:
    """channel_order 'RGB' | 'BGR' | 'L', then scale, then per-channel mean and std."""

    def __init__(self, channel_order="RGB", scale=1.0, mean=None, std=None):
        if channel_order not in ORDERS:
            raise InputError(f"channel_order must be one of {list(ORDERS)}, got {channel_order!r}")
        self.channel_order = channel_order
        n = len(ORDERS[channel_order])
        self.scale = float(scale)
        self.mean = np.asarray(mean if mean is not None else [0.0] * n, np.float64)
        self.std = np.asarray(std if std is not None else [1.0] * n, np.float64)
        if self.mean.shape != (n,) or self.std.shape != (n,) or np.any(self.std <= 0):
            raise InputError(f"{channel_order} needs {n} means and {n} positive stds")

    @classmethod
    def caffe(cls):
        """Keras VGG16 ('caffe' mode): RGB -> BGR, minus the ImageNet mean in BGR order."""
        return cls("BGR", 1.0, [103.939, 116.779, 123.68])

    @classmethod
    def torchvision(cls):
        """torchvision's ImageNet models: /255, minus mean, over std (RGB)."""
        return cls("RGB", 1 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])

    @property
    def channels(self):
        return len(ORDERS[self.channel_order])

    def __call__(self, image):
        """(H, W[, C]) or (N, H, W, C) image(s) in [0, 255] -> (N, C, H, W) float32."""
        img = np.asarray(image, dtype=np.float64)
        if img.ndim == 2:
            img = img[None, :, :, None]
        elif img.ndim == 3:
            img = img[None] if img.shape[-1] in (1, 3, 4) else img[..., None]
        if img.ndim != 4 or img.shape[-1] not in (1, 3, 4):
            raise InputError(f"expected an image (H, W), (H, W, 1|3|4) or a batch (N, H, W, C), "
                             f"got shape {np.shape(image)}")
        if not np.all(np.isfinite(img)):
            raise InputError("the image contains NaN or infinite values; replace them (e.g. "
                             "np.nan_to_num) or check how the image was made")
        if img.shape[-1] == 4:
            img = img[..., :3]  # drop alpha (load_image composites it properly)
        if self.channel_order == "L" and img.shape[-1] == 3:
            img = (img @ LUMA)[..., None]
        elif self.channel_order != "L" and img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        x = img[..., ORDERS[self.channel_order]] * self.scale
        x = (x - self.mean) / self.std
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32)

    def invert(self, x):
        """(N, C, H, W) network input -> (N, H, W, C) RGB or grayscale image in [0, 255] (float)."""
        x = np.asarray(x, np.float64).transpose(0, 2, 3, 1)
        img = (x * self.std + self.mean) / self.scale
        return img[..., np.argsort(ORDERS[self.channel_order])]

    def to_dict(self):
        return {"channel_order": self.channel_order, "scale": self.scale,
                "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d):
        return cls(d["channel_order"], d["scale"], d["mean"], d["std"])

    def __repr__(self):
        return f"Preprocessing({self.to_dict()})"

"""The images of a shard, fitted to the network's input size and channels by the job's
``resize`` (cnnvis.fit: crop, pad or stretch; 'auto' is crop, as torchvision's Resize +
CenterCrop, since a set of images needs one size), each on its own: an image that cannot be
read is reported, not fatal."""
import numpy as np

from ..errors import InputError
from ..fit import RESIZE, fit_image, zero_colour
from ..images import load_image

SET_RESIZE = tuple(r for r in RESIZE if r not in ("whole", "none"))  # one size for every image


def check_resize(resize):
    if resize not in SET_RESIZE:
        raise InputError(f"resize {resize!r} " + ("keeps each image's own size, and a set of images needs one"
                                                   if resize in RESIZE else "is not a way to fit an image")
                         + f": give one of {', '.join(SET_RESIZE)}")


def input_form(net):
    """(size (H, W), mode 'L' or 'RGB') the network's images are read at."""
    return tuple(net.input_shape[1:]), "L" if net.input_shape[0] == 1 else "RGB"


def read(net, path, resize="auto"):
    """The image at ``path`` as ``net`` gets it, uint8 (H, W[, 3]), fitted by ``resize``."""
    size, mode = input_form(net)
    check_resize(resize)
    return fit_image(load_image(path, mode=None), size, "crop" if resize == "auto" else resize, grey=mode == "L",
                     fill=zero_colour(net.preprocessing)).image


def read_shard(net, shard, resize="auto"):
    """(images (n, H, W[, C]) uint8 or None, [(global index, Item)] of the n read,
    [{"index", "path", "error"}] of those that could not be)."""
    images, done, failed = [], [], []
    for k, item in enumerate(shard.items):
        try:
            images.append(read(net, item.path, resize))
            done.append((shard.first + k, item))
        except InputError as exc:
            failed.append({"index": shard.first + k, "path": item.path, "error": str(exc)})
    return (np.stack(images) if images else None), done, failed


class ImageList:
    """The images of some Items as a sequence, each read when indexed (for thumbnails)."""

    def __init__(self, net, items, resize="auto"):
        self.net, self.items, self.resize = net, list(items), resize

    def __len__(self):
        return len(self.items)

    def __getitem__(self, k):
        return read(self.net, self.items[k].path, self.resize)

"""The images of a shard, fitted to the network's input size and channels by the job's
``resize`` (cnnvis.fit: crop, pad or stretch; 'auto' is crop, as torchvision's Resize +
CenterCrop, since a set of images needs one size), each on its own: an image that cannot be
read is reported, not fatal. Each image's cnnvis.fit.Fit is kept, so that pictures are drawn
on the photo as given, as the one-image commands draw them."""
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
    """The cnnvis.fit.Fit of the image at ``path`` to ``net`` by ``resize``: .image is what the
    network gets, uint8 (H, W[, 3]); .original the image as given."""
    size, mode = input_form(net)
    check_resize(resize)
    return fit_image(load_image(path, mode=None), size, "crop" if resize == "auto" else resize, grey=mode == "L",
                     fill=zero_colour(net.preprocessing))


class ShardImages:
    """The images of a shard that could be read: images (n, H, W[, C]) uint8 as the network gets
    them, fits [Fit] (n) to draw on the originals, done [(global index, Item)] (n), and
    failed [{"index", "path", "error"}] of those that could not be."""

    def __init__(self, fits, done, failed):
        self.fits, self.done, self.failed = fits, done, failed
        self.images = np.stack([f.image for f in fits]) if fits else None


def read_shard(net, shard, resize="auto"):
    """The ShardImages of ``shard``."""
    fits, done, failed = [], [], []
    for k, item in enumerate(shard.items):
        try:
            fits.append(read(net, item.path, resize))
            done.append((shard.first + k, item))
        except InputError as exc:
            failed.append({"index": shard.first + k, "path": item.path, "error": str(exc)})
    return ShardImages(fits, done, failed)


class ImageList:
    """The images of some Items as a sequence, each read when indexed (for thumbnails)."""

    def __init__(self, net, items, resize="auto"):
        self.net, self.items, self.resize = net, list(items), resize

    def __len__(self):
        return len(self.items)

    def __getitem__(self, k):
        return read(self.net, self.items[k].path, self.resize).image

"""The images of a shard, read at the network's input size and mode (as `cnnvis explain`
reads one), each on its own: an image that cannot be read is reported, not fatal."""
import numpy as np

from ..errors import InputError
from ..images import load_image


def input_form(net):
    """(size (H, W), mode 'L' or 'RGB') the network's images are read at."""
    return tuple(net.input_shape[1:]), "L" if net.input_shape[0] == 1 else "RGB"


def read(net, path):
    size, mode = input_form(net)
    return load_image(path, size=size, mode=mode)


def read_shard(net, shard):
    """(images (n, H, W[, C]) uint8 or None, [(global index, Item)] of the n read,
    [{"index", "path", "error"}] of those that could not be)."""
    images, done, failed = [], [], []
    for k, item in enumerate(shard.items):
        try:
            images.append(read(net, item.path))
            done.append((shard.first + k, item))
        except InputError as exc:
            failed.append({"index": shard.first + k, "path": item.path, "error": str(exc)})
    return (np.stack(images) if images else None), done, failed


class ImageList:
    """The images of some Items as a sequence, each read when indexed (for thumbnails)."""

    def __init__(self, net, items):
        self.net, self.items = net, list(items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, k):
        return read(self.net, self.items[k].path)

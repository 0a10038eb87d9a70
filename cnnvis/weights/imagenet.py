"""ImageNet VGG16 defaults shared by the Keras and torchvision loaders: the 1000 class names,
and the VGG16 that a weights file describes (with or without top, input size, classes)."""
import math
from importlib import resources

from ..errors import InputError
from ..models import vgg16


def imagenet_class_names():
    """The 1000 ILSVRC-2012 class names in index order (as Keras and torchvision number them).

    Read from cnnvis/data/imagenet_classes.txt (origin and licence in cnnvis/data/README.md).
    """
    text = (resources.files("cnnvis") / "data" / "imagenet_classes.txt").read_text(encoding="utf-8")
    return text.splitlines()


def read_class_names(path):
    """Class names from a UTF-8 text file, one per line (blank lines at the end are dropped)."""
    try:
        with open(path, encoding="utf-8") as f:
            names = [line.strip() for line in f.read().rstrip().splitlines()]
    except FileNotFoundError:
        raise InputError(f"class names file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read class names from {path} ({exc}); give a UTF-8 text "
                         "file with one name per line") from None
    if not names or not all(names):
        raise InputError(f"{path} has no class names or an empty line among them; "
                         "give one name per line")
    return names


def vgg16_for(top, fc1_inputs=None, classes=1000):
    """VGG16 with random weights shaped like a file: fc1 reads 512 * s * s features from a
    (32 s)x(32 s) input (s = 7 for 224x224); ImageNet class names when it has 1000 classes."""
    if not top:
        return vgg16(include_top=False, init="zeros")
    side = math.isqrt(fc1_inputs // 512) if fc1_inputs else 7
    size = 32 * side if side >= 1 and 512 * side * side == fc1_inputs else 224
    names = imagenet_class_names() if classes == 1000 else None
    return vgg16(True, input_shape=(3, size, size), classes=int(classes), class_names=names, init="zeros")

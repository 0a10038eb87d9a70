"""Class names: ImageNet's 1000, bundled, and a reader for one name per line."""
from importlib import resources

from ..errors import InputError


def imagenet_class_names(classes=1000):
    """The 1000 ILSVRC-2012 class names in index order (as Keras and torchvision number them),
    or None when ``classes`` is another count. Read from cnnvis/data/imagenet_classes.txt
    (origin and licence in cnnvis/data/README.md)."""
    if classes != 1000:
        return None
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

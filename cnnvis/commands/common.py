"""Helpers shared by subcommands."""
from cnnvis.errors import InputError

MODELS = ("vgg16", "vgg16-notop")


def load_network(weights=None, model="vgg16"):
    """A network from a weights file, else the named architecture with random weights."""
    if weights:
        from cnnvis.weights import load
        return load(weights)
    from cnnvis.models import vgg16
    if model == "vgg16":
        return vgg16()
    if model == "vgg16-notop":
        return vgg16(include_top=False)
    raise InputError(f"unknown model {model!r}; choose one of {MODELS} or give --weights")

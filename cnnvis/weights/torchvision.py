"""PyTorch state dicts in torchvision's VGG naming (``torch.save(model.state_dict(), path)``).

    features.{i}.weight, features.{i}.bias   the conv layers, in order of i (VGG16: i = 0, 2,
                                             5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28), OIHW
    classifier.{0,3,6}.weight/.bias          fc1, fc2, predictions, (out, in)

Both layouts are already ours, so no conversion: torchvision's classifier.0 reads
torch.flatten of (512, 7, 7) in NCHW order, as our Flatten. torchvision puts an
AdaptiveAvgPool2d((7, 7)) before the classifier, the identity for 224x224 inputs (the
only size our VGG16 with top takes). Without ``net``, loading builds VGG16 (with top if
the file has a classifier) with torchvision's preprocessing (RGB / 255, ImageNet mean and
std) and the ImageNet class names (for 1000 classes). The file is read without PyTorch
by weights/pytorch_file.py, which unpickles the records of tensors and nothing else.
"""
import re

import numpy as np

from ..errors import WeightsError
from ..layers import Conv2D, Dense
from ..preprocessing import Preprocessing
from .checks import require_complete, set_params
from .imagenet import vgg16_for
from .pytorch_file import read_pytorch_file

KEY = re.compile(r"(features|classifier)\.(\d+)\.(weight|bias)$")


def read_state_dict(path):
    """{name: float32 array} from a torch.save file of a state dict (or a checkpoint holding one)."""
    return {k: v.astype(np.float32) for k, v in read_pytorch_file(path).items()}


def read_torchvision(state, source, net=None):
    """The Network whose weights are the torchvision-named ``state`` (into ``net`` if given)."""
    bad = [k for k in state if not KEY.match(k)]
    if bad:
        raise WeightsError(f"{source}: {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''} "
                           "are not torchvision VGG names (features.N.weight, classifier.N.bias); "
                           "batch-norm VGGs and other architectures are not supported")
    indices = {part: sorted({int(KEY.match(k)[2]) for k in state if k.startswith(part + ".")})
               for part in ("features", "classifier")}
    if net is None:
        head = indices["classifier"]
        fc1 = state[f"classifier.{head[0]}.weight"].shape[1] if head else None
        classes = state[f"classifier.{head[-1]}.weight"].shape[0] if head else 1000
        net = vgg16_for(bool(head), fc1, classes)
        net.preprocessing = Preprocessing.torchvision()
    ours = {kind: [node.name for node in net.nodes if isinstance(node, kind)] for kind in (Conv2D, Dense)}
    pairs = list(zip(ours[Conv2D], (f"features.{i}" for i in indices["features"])))
    pairs += zip(ours[Dense], (f"classifier.{i}" for i in indices["classifier"]))
    for part, kind in (("features", Conv2D), ("classifier", Dense)):
        if len(indices[part]) > len(ours[kind]):
            raise WeightsError(f"{source} has {len(indices[part])} {part} layers with weights, "
                               f"{net.name} only {len(ours[kind])} {kind.__name__} layers; "
                               "give net= the architecture the file was saved from")
    ours = [name for name, _ in pairs]
    require_complete(net, ours, source, f" (it has {len(indices['features'])} conv and "
                     f"{len(indices['classifier'])} classifier layers)")
    for name, key in pairs:
        values = {p: state[f"{key}.{p}"] for p in ("weight", "bias") if f"{key}.{p}" in state}
        set_params(net, name, values, f"{source} ({key})")
    return net.to(net.backend)


"""Transfer learning: reuse a trained network's conv base under a new dense head, and compare
it with the same architecture trained from scratch (Yosinski et al. 2014, "How transferable
are features in deep neural networks?").

A frozen base means its parameters are never updated and no parameter gradients are computed
for them (Network.param_gradients stops below the lowest trainable layer).
"""
import numpy as np

from ..engine import to_host
from ..errors import InputError
from ..graph import Network
from ..layers import MaxPool2D
from ..models.vgg import dense_head
from ..progress import bar
from .optimizers import Adam
from .trainer import train


def conv_base(net):
    """Names of net's layers up to and including its last max-pool: the convolutional base."""
    pools = [node.name for node in net.nodes if isinstance(node, MaxPool2D)]
    if not pools:
        raise InputError(f"{net.name} has no max-pool closing a conv base to transfer; give a "
                         "network whose conv blocks end in MaxPool2D, such as a VGG")
    return net.names[:net.index(pools[-1]) + 1]


def new_head_network(base, classes, hidden=(128,), dropout=0.3, class_names=None, copy_base=True,
                     seed=0):
    """base's conv base (its weights copied if copy_base, else freshly He-initialised with
    ``seed``) followed by a new random dense head: flatten, fc per ``hidden``, predictions
    for ``classes``, softmax."""
    rng = np.random.default_rng(seed)
    layers = []
    for name in conv_base(base):
        old = base[name]
        kind = type(old)
        layer = kind(name=name, rng=rng, **old.config()) if old.params else kind(name=name, **old.config())
        if copy_base:
            layer.params = {k: to_host(v).copy() for k, v in old.params.items()}
        layers.append(layer)
    features = int(np.prod(base.output_shapes()[layers[-1].name]))
    layers += dense_head(features, hidden, classes, dropout, rng)
    return Network(layers, base.input_shape, base.preprocessing, class_names,
                   name=f"{base.name}-{'transfer' if copy_base else 'scratch'}")


def compare_transfer(base, train_data, test_data, epochs=5, batch_size=64, lr=1e-3, hidden=(128,),
                     dropout=0.3, seed=0, progress=None):
    """Train a frozen copy of base's conv base with a new head, and the same architecture from
    scratch, on train_data (a Dataset); the validation rows of each History are the accuracy
    on test_data. Returns {"frozen conv base + new head": History, "from scratch": History}."""
    classes, names = len(train_data.class_names), train_data.class_names
    runs = {}
    for label, copy in bar((("frozen conv base + new head", True), ("from scratch", False)),
                           desc="transfer", progress=progress, unit="run"):
        net = new_head_network(base, classes, hidden, dropout, names, copy_base=copy, seed=seed)
        frozen = conv_base(net) if copy else ()
        runs[label] = train(net, train_data, test_data, epochs, batch_size, Adam(lr), frozen=frozen,
                            seed=seed, progress=progress)
    return runs

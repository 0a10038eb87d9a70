"""The network of a dataset run, as a spec that travels to the workers: a model name or a
weights path, never the network itself. Each worker thread builds it once (network(spec)) and
keeps it for every shard it runs; a network holds the activations of its last pass, so two
threads never share one.

A weights file must be at the same path on every worker (a shared file system); a model
name needs only cnnvis there (and the pretrained packages for 'efficientnet-lite0' and 'hed').
"""
import os
import threading
from dataclasses import dataclass

from ..errors import InputError
from ..models.registry import ARCHITECTURES

TRAINED = ("bundled", "efficientnet-lite0", "hed")
RANDOM = tuple(name for name in ARCHITECTURES if name not in TRAINED)  # seeded random weights
MODELS = TRAINED + RANDOM

_built = threading.local()  # .spec, .net: this thread's last network


@dataclass(frozen=True)
class NetworkSpec:
    """model: one of MODELS (with weights: the architecture to load a Keras or PyTorch file
    into, when it is one of RANDOM); weights: a weights file cnnvis reads (made absolute)."""
    model: str = "bundled"
    weights: str = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise InputError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}, or give weights")
        if self.weights is not None:
            object.__setattr__(self, "weights", os.path.abspath(os.fspath(self.weights)))

    def build(self):
        """A fresh Network of this spec, in inference mode (what `cnnvis --model/--weights` loads)."""
        from ..loading import load
        from ..models import architecture, bundled_model
        from ..pretrained import pretrained
        if self.weights:
            return load(self.weights, net=self.model if self.model in RANDOM else None).eval()
        if self.model == "bundled":
            return bundled_model()
        if self.model in TRAINED:
            return pretrained(self.model)
        return architecture(self.model).eval()

    def describe(self):
        """What the manifest and the shards' keys record: the spec, and the weights file's size
        and modification time (a changed file makes every shard stale)."""
        out = {"model": self.model, "weights": self.weights}
        if self.weights and os.path.exists(self.weights):
            info = os.stat(self.weights)
            out.update(weights_bytes=info.st_size, weights_mtime_ns=info.st_mtime_ns)
        return out


def network(spec):
    """This thread's Network of ``spec``, built on first use; one is kept per thread (a
    worker that moves on to another job's network lets the previous one go)."""
    if getattr(_built, "spec", None) != spec:
        _built.spec, _built.net = None, None
        _built.net, _built.spec = spec.build(), spec
    return _built.net

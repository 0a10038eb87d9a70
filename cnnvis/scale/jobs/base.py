"""A job: what a dataset run computes, as a small frozen value that travels to the workers
(the network as a NetworkSpec, never the arrays).

A job defines
    kind                        its name ('explain', 'predict', 'top-patches', 'embed')
    check(net, items)           reject bad parameters and targets before any work
    run_shard(net, layout, shard, inputs) -> {"outputs": [...], "rows": [...], "part": path}
                                compute one shard (inputs: its images.ShardImages, those
                                that could be read) and write its files (atomically)
    reduce(net, layout, records, items) -> [outputs]
                                the run's own outputs from every shard's record (on the client)
Its parameters are its fields; batch_size images go through the network at a time; resize:
how each image is fitted to the network (images.py: auto (crop), crop, pad, stretch).
"""
import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np

from ...errors import InputError, TargetError
from ...methods import targets as T
from ..images import check_resize
from ..network import NetworkSpec
from ..shards import digest


@dataclass(frozen=True)
class Job:
    network: NetworkSpec = field(default_factory=NetworkSpec)
    batch_size: int = 32
    resize: str = "auto"

    kind = None

    def parameters(self):
        """The job's parameters, JSON-able (Units as LAYER:CHANNEL[:I:J] text)."""
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "network"}

    def key(self):
        """The digest of everything the job's outputs depend on."""
        from ... import __version__
        return digest([self.kind, self.parameters(), self.network.describe(), __version__])

    def check(self, net, items):
        if int(self.batch_size) < 1:
            raise InputError(f"the batch size must be at least 1, got {self.batch_size}")
        check_resize(self.resize)

    def run_shard(self, net, layout, shard, inputs):
        raise NotImplementedError

    def reduce(self, net, layout, records, items):
        return []


def jsonable(value):
    if isinstance(value, T.Unit):
        return T.as_text(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    json.dumps(value)  # a TypeError here is a job field of a type this function must learn
    return value


def check_targets(net, targets, allow_units=True):
    """Each target resolvable on ``net`` ('predicted' included), all in one layer (a method
    scores one layer per call); a TargetError names the first bad one."""
    layers = set()
    for t in targets:
        if isinstance(t, T.Unit) and not allow_units:
            raise TargetError(f"a label must be a class (an index or a name), not the unit {T.as_text(t)}")
        if not isinstance(t, T.Unit) and not T.has_classes(net):
            raise TargetError(f"{net.name} has no classes (its last layer outputs a feature map), so there "
                              f"is no class {t!r} to explain; give a unit target, LAYER:CHANNEL")
        T.resolve_one(net, t, 0)
        layers.add(t.layer if isinstance(t, T.Unit) else None)
    if len(layers) > 1:
        raise TargetError(f"the targets live in {len(layers)} layers ({', '.join(sorted(map(str, layers)))}; "
                          "None: the classes); run the images of each layer's targets separately")


def label_index(net, target):
    """A class target (index or name) as its index; None stays None."""
    return None if target is None else T.resolve_one(net, target, None)

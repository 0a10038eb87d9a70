"""Sanity checks (Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim, "Sanity Checks for Saliency
Maps", NeurIPS 2018): does a method's map depend on what the model learnt?

* Model-parameter randomization: re-initialise the layers with parameters from the top (the
  logits) down, and compare each method's maps with the original model's.
    cascading:    step s re-initialises layers 1 .. s (Adebayo's Figure 2)
    independent:  step s re-initialises layer s alone, the others as trained
  A method that passes gives maps unlike the original's once the top layers are random.
* Data randomization: the same architecture trained on permuted labels (a model that can
  only have memorised), compared with the real model (cnnvis.models.random_labels_model()).
Re-initialisation is the architecture's own: He normal weights N(0, 2 / fan_in), zero
biases, batch norm reset to the identity (scale 1, shift 0, running mean 0, variance 1);
``init`` replaces it (e.g. with another library's draws). The maps are those of maps.py,
the similarities those of similarity.py; targets are resolved once, on the original model.
Quantus's counterpart: MPRT (layer_order 'top_down' or 'independent', Spearman).
"""
import copy
from dataclasses import dataclass

import numpy as np

from ..engine import to_device
from ..errors import InputError
from ..methods.targets import resolve
from ..progress import bar
from .maps import check_methods, relevance_all
from .similarity import SIMILARITIES, check_similarities, similarity

ORDERS = ("cascading", "independent")


@dataclass
class Randomization:
    """steps: the layers randomised at each step ('original' first; cascading: every layer up
    to that one); maps {method: (S + 1, N, H, W)}; scores {method: {similarity: (S + 1, N)}},
    step 0 comparing the original maps with themselves."""
    order: str
    steps: list
    maps: dict
    scores: dict

    def mean(self, method, name):
        """(S + 1,) the similarity ``name`` averaged over the images, per step."""
        return np.nanmean(self.scores[method][name], axis=1)

    def final(self, method, name):
        """The mean similarity after the last step (cascading: every layer randomised)."""
        return float(self.mean(method, name)[-1])


@dataclass
class DataRandomization:
    """maps and random_maps {method: (N, H, W)} of the real and the random-label model;
    scores {method: {similarity: (N,)}}."""
    maps: dict
    random_maps: dict
    scores: dict

    def mean(self, method, name):
        return float(np.nanmean(self.scores[method][name]))


def randomizable_layers(net):
    """Names of the nodes with parameters, from the output down (the cascade's order)."""
    return [node.name for node in reversed(net.nodes) if node.params]


def reinitialise(layer, rng):
    """(params, buffers) of ``layer`` drawn afresh: He normal weights, zero biases, batch
    norm scale 1 (its buffers: mean 0, variance 1)."""
    params = {}
    for k, v in layer.params.items():
        shape = tuple(v.shape)
        if k == "weight" and len(shape) > 1:
            params[k] = rng.standard_normal(shape) * np.sqrt(2.0 / int(np.prod(shape[1:])))
        elif k == "weight":
            params[k] = np.ones(shape)
        else:
            params[k] = np.zeros(shape)
    buffers = {k: (np.ones if "var" in k else np.zeros)(tuple(v.shape)) for k, v in layer.buffers.items()}
    return params, buffers


def _install(layer, params, buffers, net):
    layer.params = {k: to_device(np.asarray(v, net.dtype), net.backend) for k, v in params.items()}
    if buffers:
        layer.buffers = {k: to_device(np.asarray(v, net.dtype), net.backend) for k, v in buffers.items()}


def _state(layer):
    return dict(layer.params), dict(layer.buffers)


def model_randomization(net, x, target, methods, order="cascading", layers=None, similarities=SIMILARITIES,
                        seed=0, init=None, options=None, layer=None, progress=None):
    """The maps of each method as the layers are re-initialised, and their similarity with the
    original maps. x: (N, C, H, W); target: per targets.py (resolved on net); layers: the names
    in the order of randomization (default randomizable_layers(net): top down); init(name,
    layer, rng) -> (params, buffers) replaces reinitialise; seed: of the draws; options,
    layer: relevance_all's. ``net`` is not changed (a copy is randomised)."""
    if order not in ORDERS:
        raise InputError(f"order must be one of {ORDERS}, got {order!r}")
    methods, similarities = check_methods(methods), check_similarities(similarities)
    layers = randomizable_layers(net) if layers is None else [net[n].name for n in layers]
    for name in layers:
        if not net[name].params:
            raise InputError(f"layer {name!r} has no parameters to randomise; choose from "
                             f"{', '.join(randomizable_layers(net))}")
    targets = resolve(net, x, target)
    net.activations, net.caches = {}, {}
    work = copy.deepcopy(net)
    trained = {name: _state(work[name]) for name in layers}
    rng = np.random.default_rng(seed)
    reinit = init or (lambda name, lay, r: reinitialise(lay, r))
    runs = [relevance_all(net, x, targets, methods, layer, False, options)]
    with bar(total=len(layers), desc=f"randomization ({order})", progress=progress, unit="layer") as pbar:
        for name in layers:
            if order == "independent":
                for other, (params, buffers) in trained.items():
                    _install(work[other], params, buffers, work)
            _install(work[name], *reinit(name, work[name], rng), work)
            runs.append(relevance_all(work, x, targets, methods, layer, False, options))
            pbar.update()
    maps = {m: np.stack([r[m] for r in runs]) for m in methods}
    scores = {m: {s: np.stack([similarity(maps[m][0], step, s) for step in maps[m]]) for s in similarities}
              for m in methods}
    return Randomization(order, ["original"] + layers, maps, scores)


def data_randomization(net, random_net, x, target, methods, similarities=SIMILARITIES, options=None,
                       layer=None, progress=None):
    """Each method's maps of ``net`` and of ``random_net`` (the architecture trained on permuted
    labels) for the same targets (resolved on net), and their similarities."""
    methods, similarities = check_methods(methods), check_similarities(similarities)
    targets = resolve(net, x, target)
    a = relevance_all(net, x, targets, methods, layer, progress, options)
    b = relevance_all(random_net, x, targets, methods, layer, progress, options)
    scores = {m: {s: similarity(a[m], b[m], s) for s in similarities} for m in methods}
    return DataRandomization(a, b, scores)

"""What a method explains, and the number it explains: the target and its score.

A target is, per image, either
  * a class of the output: an index, a class name, or "predicted" (the arg max), or
  * a Unit of any layer: a whole channel, one position of a channel, or the whole layer.
A class is scored by its logit (score="logit") or its softmax probability (score="prob").
A unit is scored by its activation; a channel or layer by the mean (or sum, max) of it.

Every gradient method starts backward from seed(): the gradient of the scores with
respect to the output of the layer that holds them.
"""
import difflib
import re
from dataclasses import dataclass

import numpy as np

from ..engine import array_module, to_host
from ..errors import InputError, TargetError
from ..layers import Softmax

SCORES = ("logit", "prob")
REDUCTIONS = ("mean", "sum", "max")
SEEDS = ("one-hot", "activation")
LISTED = 20  # class_index's error lists the classes of a network with at most this many


@dataclass(frozen=True)
class Unit:
    """A unit of layer ``layer``: channel ``channel`` at (i, j), the whole channel when i, j
    are None (scored by ``reduce`` over the map), the whole layer when channel is None.
    For a dense layer, ``channel`` is the neuron."""
    layer: str
    channel: int = None
    i: int = None
    j: int = None
    reduce: str = "mean"

    def __post_init__(self):
        if self.reduce not in REDUCTIONS:
            raise InputError(f"reduce must be one of {REDUCTIONS}, got {self.reduce!r}")
        if (self.i is None) != (self.j is None):
            raise InputError("give both i and j of a unit, or neither (the whole channel)")


PRE = ".pre"  # NAME.pre: the convolution's own output where NAME means its activation


def layer_node(net, name):
    """The node a layer name typed by a user selects (the command line asks this once, where
    it parses --target and --layer; the methods take node names): what the name means in the
    weights' own framework. Weights from Keras (net.naming == 'keras') name a conv fused with
    its activation, so there a conv read only by a rectifier means that rectifier's output, as
    in Keras and its Grad-CAM tutorials ('block5_conv3' -> 'block5_conv3_relu'); 'NAME.pre'
    asks for the convolution's output itself. Elsewhere a name is the node of that name."""
    if getattr(net, "naming", None) != "keras":
        return net[name].name
    if name.endswith(PRE) and name[:-len(PRE)] in net:
        return name[:-len(PRE)]
    node = net[name]
    readers = net.consumers(node.name)
    if node.layouts.get("weight") == "OIHW" and len(readers) == 1 and net[readers[0]].rectifier:
        return readers[0]
    return node.name


def ends_in_softmax(net):
    """Whether the network's output node is a Softmax (so its classes have probabilities)."""
    return isinstance(net[net.output], Softmax)


def logits_layer(net):
    """Name of the node whose output is the logits (the input of a final Softmax)."""
    return net.inputs_of(net.output)[0] if ends_in_softmax(net) else net.output


def has_classes(net):
    """Whether the network ends in class scores (a vector per image), not a feature map."""
    return len(net.output_shapes()[logits_layer(net)]) == 1


def most_active_channel(net, x, layer=None):
    """Unit(layer, c): the channel of ``layer`` (default the network's last) with the largest
    mean activation over the images of x -- the target to explain where there is no class."""
    layer = layer or net.output
    a = to_host(net.forward(x, until=layer))
    if a.ndim < 2:
        raise TargetError(f"layer {layer!r} has no channels (its output is {tuple(a.shape[1:])})")
    return Unit(layer, int(a.reshape(len(a), a.shape[1], -1).mean(axis=(0, 2)).argmax()))


def no_classes_error(net, x):
    """The TargetError for a class target on a network without classes (a conv stack such as
    VGG16 without its top), proposing a unit: the most active channel of its last layer on x."""
    unit = most_active_channel(net, x)
    shape = net.output_shapes((x.shape[1],) + tuple(x.shape[2:]))[net.output]
    return TargetError(f"{net.name} has no classes: its last layer {unit.layer!r} outputs a feature map "
                       f"{tuple(shape)}, not class scores, so there is no class to predict or "
                       f"name. Explain a unit instead, e.g. the most active channel here: "
                       f"Unit({unit.layer!r}, {unit.channel})")


def probs_layer(net):
    """Name of the final Softmax layer; a TargetError if the network has none."""
    if not ends_in_softmax(net):
        raise TargetError(f"{net.name} ends with {type(net[net.output]).__name__}, not Softmax: "
                          "score='prob' needs one; use score='logit'")
    return net.output


def class_index(net, name):
    """Index of class ``name`` (case-insensitive); the error lists the classes when there are
    few (LISTED), and the names that contain ``name`` or come close to it."""
    names = net.class_names or []
    lowered = [n.lower() for n in names]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    if not names:
        raise TargetError(f"{net.name} has no class names, so no class is called {name!r}; give the class as "
                          f"an index 0 .. {net.output_shapes()[logits_layer(net)][0] - 1}")
    close = [n for n in lowered if name.lower() in n][:5] or difflib.get_close_matches(name.lower(), lowered, n=5)
    hint = f"did you mean {', '.join(repr(names[lowered.index(c)]) for c in close)}? " if close else ""
    classes = (f"the classes are {', '.join(map(repr, names))}" if len(names) <= LISTED else
               f"there are {len(names)} class names (net.class_names)")
    raise TargetError(f"no class {name!r} in {net.name}; {hint}{classes}; or give an index 0 .. {len(names) - 1}")


def resolve_one(net, t, predicted_index=None):
    """One target resolved: a class index (``predicted_index`` for 'predicted') or a Unit of a
    layer the network has; a TargetError says what is wrong with it. Checks a target before
    any work (cnnvis/scale checks each listed image's so)."""
    if isinstance(t, Unit):
        net.index(t.layer)
        return t
    if isinstance(t, tuple) and t and isinstance(t[0], str):
        return Unit(*t)
    if isinstance(t, str):
        return predicted_index if t == "predicted" else class_index(net, t)
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        n_classes = net.output_shapes()[logits_layer(net)][0]
        if not 0 <= int(t) < n_classes:
            raise TargetError(f"class {int(t)} is out of range: {net.name} has {n_classes} classes "
                              f"(0 .. {n_classes - 1})")
        return int(t)
    raise TargetError(f"cannot use {t!r} as a target: give a class index, a class name, "
                      "'predicted', or a Unit(layer, channel, i, j)")


def from_text(text):
    """A target from its text (a command line's or a CSV's): 'LAYER:CHANNEL[:I:J]' a Unit, a
    whole number a class index, anything else a class name (or 'predicted')."""
    if ":" in text:
        layer, *rest = text.split(":")
        if len(rest) not in (1, 3) or not all(v.lstrip("-").isdigit() for v in rest):
            raise InputError(f"a unit is LAYER:CHANNEL or LAYER:CHANNEL:I:J, got {text!r}")
        return Unit(layer, *(int(v) for v in rest))
    return int(text) if re.fullmatch(r"-?\d+", text) else text  # -1: an index, out of range


def as_text(target):
    """The text from_text reads back: 'LAYER:CHANNEL[:I:J]' for a Unit, else str(target)."""
    if isinstance(target, Unit):
        return ":".join(str(v) for v in (target.layer, target.channel, target.i, target.j) if v is not None)
    return str(target)


def per_image(target, n):
    """A list of n targets: ``target`` repeated, or ``target`` itself when it is a sequence of
    them (a list, an array, or a tuple not starting with a layer name, which is one unit)."""
    many = isinstance(target, (list, np.ndarray)) or (
        isinstance(target, tuple) and not (target and isinstance(target[0], str)))
    targets = list(target) if many else [target] * n
    if len(targets) != n:
        raise TargetError(f"got {len(targets)} targets for {n} images; give one, or one per image")
    return targets


def resolve(net, x, target):
    """The target of each of the N images of x: a list of class indices and Units.

    ``target`` is one target for all images or a sequence of N of them.
    """
    n = len(x)
    targets = per_image(target, n)
    if any(isinstance(t, (str, int, np.integer)) for t in targets) and not has_classes(net):
        raise no_classes_error(net, x)
    predicted = [None] * n
    if any(isinstance(t, str) and t == "predicted" for t in targets):
        logits = to_host(net.forward(x, until=logits_layer(net)))
        predicted = [int(k) for k in logits.argmax(axis=1)]
    return [resolve_one(net, t, p) for t, p in zip(targets, predicted)]


def target_layer(net, targets, score="logit"):
    """The one layer whose output holds the scores of these targets."""
    if score not in SCORES:
        raise InputError(f"score must be one of {SCORES}, got {score!r}")
    layers = {t.layer if isinstance(t, Unit) else
              (logits_layer(net) if score == "logit" else probs_layer(net)) for t in targets}
    if len(layers) > 1:
        raise TargetError(f"the targets of one call must live in one layer, got {sorted(layers)}; "
                          "call the method once per layer")
    return layers.pop()


def scores_and_seed(net, targets, layer):
    """Scores (N,) of the targets read from net.activations[layer], and d(scores)/d(that output).

    Call after a forward pass that reached ``layer``. The seed has the layer output's shape;
    row n holds the gradient of score n alone (images do not interact): 1 at a class or
    unit, 1 / size over a channel or layer scored by its mean, 1 over one scored by its sum,
    1 at the arg max of one scored by its max.
    """
    a = net.activations[layer]
    for t in targets:
        if isinstance(t, Unit):
            check_unit(t, a.shape[1:])
    seed = array_module(a).zeros_like(a)
    for n, t in enumerate(targets):
        if not isinstance(t, Unit):
            seed[n, t] = 1
        elif t.i is not None:
            seed[n, t.channel, t.i, t.j] = 1
        else:
            idx = (n,) if t.channel is None else (n, t.channel)
            idx += (Ellipsis,)  # a view even for one dense neuron (0-d): writing it writes the seed
            region = seed[idx]
            if t.reduce == "max":
                region.reshape(-1)[int(a[idx].argmax())] = 1
            else:
                region[...] = 1.0 / region.size if t.reduce == "mean" else 1.0
    return to_host(target_scores(a, targets)).astype(np.float64), seed


def target_scores(a, targets):
    """Scores (N,) of already checked targets (see scores_and_seed) in a layer output ``a``,
    kept on a's device: no transfer to the host, for methods that score many batches."""
    xp = array_module(a)
    out = []
    for n, t in enumerate(targets):
        if not isinstance(t, Unit):
            out.append(a[n, t])
        elif t.i is not None:
            out.append(a[n, t.channel, t.i, t.j])
        else:
            region = a[n] if t.channel is None else a[n, t.channel]
            out.append(getattr(region, t.reduce)())
    return xp.stack(out)


def check_unit(t, shape):
    """A TargetError unless unit t exists in a layer whose one-sample output has ``shape``."""
    if t.channel is not None and not 0 <= t.channel < shape[0]:
        raise TargetError(f"layer {t.layer!r} has {shape[0]} channels; channel {t.channel} is out of range: "
                          f"give one of 0 .. {shape[0] - 1}")
    if t.i is not None and len(shape) != 3:
        raise TargetError(f"layer {t.layer!r} has no spatial map (its output is {tuple(shape)}): give "
                          "a unit as LAYER:CHANNEL, without I:J")
    if t.i is not None and not (0 <= t.i < shape[1] and 0 <= t.j < shape[2]):
        raise TargetError(f"unit ({t.i}, {t.j}) is outside layer {t.layer!r}'s {tuple(shape[1:])} map: "
                          f"give 0 <= I < {shape[1]} and 0 <= J < {shape[2]}")


def activation_seed(a, seed):
    """Zeiler & Fergus's seed: the layer's own activations where ``seed`` selects the target,
    zero elsewhere ("set all other activations in the layer to zero and pass the feature
    maps as input to the attached deconvnet layer"). a, seed: the layer output's shape."""
    xp = array_module(a)
    return xp.where(seed != 0, a, xp.zeros_like(a))


def gradient(net, x, target, score="logit", rule="gradient", until=None, seed="one-hot"):
    """d(score of each image's target) / d(input), or / d(output of layer ``until``).

    seed: 'one-hot' starts backward from d(score)/d(layer output) (a 1 at a class or unit);
    'activation' from the target's own activations (see activation_seed).
    Returns (gradient, scores, targets): the gradient on the network's device with the shape
    of x (or of that layer's output), scores (N,) and the resolved targets.
    """
    if seed not in SEEDS:
        raise InputError(f"seed must be one of {SEEDS}, got {seed!r}")
    targets = resolve(net, x, target)
    layer = target_layer(net, targets, score)
    net.forward(x, until=layer)
    scores, g = scores_and_seed(net, targets, layer)
    if seed == "activation":
        g = activation_seed(net.activations[layer], g)
    return net.backward(g, start=layer, until=until, rule=rule), scores, targets

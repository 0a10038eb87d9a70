"""Trace the tiny network through the real engine: every forward value, the max-pool
switches, and the backward pass one layer at a time under each rule.

Everything here is read off cnnvis's own Network: ``net.forward`` fills ``net.activations``,
and each backward step is ``net.backward(g, start=layer, until=layer below, rule=rule)``,
so the numbers a student checks by hand are the numbers the engine computes.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..layers import RULES
from ..layers.pool import switch_positions
from .tiny import TinySpec, tiny_example

FORWARD = ("conv", "relu", "pool", "flatten", "dense", "softmax")
BACKWARD = ("dense", "flatten", "pool", "relu", "conv")  # from the logits down to the input


@dataclass
class Trace:
    """One traced example. Arrays drop the batch axis of the engine's (1, ...) arrays.

    net: the tiny float64 Network; x: input (C, S, S); target: the class c explained;
    forward[name]: the output of each layer; switches: (F, P, P, 2) (row, col) of each pool
    maximum in its input plane; seed: dS_c/dz = one-hot (2,); backward[rule][name]:
    dS_c/d(input of layer name) under that rule, so backward[rule]["conv"] is dS_c/dx;
    cross_entropy: dL/dz of L = -log p_c, from the engine's softmax backward (what training
    would send back instead of the seed).
    """
    net: object
    spec: TinySpec
    seed_value: int
    x: np.ndarray
    target: int
    forward: dict
    switches: np.ndarray
    seed: np.ndarray
    backward: dict
    cross_entropy: np.ndarray

    @property
    def rules(self):
        return tuple(self.backward)

    def gradient_into(self, name, rule):
        """dS_c/d(output of layer ``name``) under ``rule``: what arrives at that layer from above."""
        if name == "dense":
            return self.seed
        return self.backward[rule][BACKWARD[BACKWARD.index(name) - 1]]


def below(net, name):
    """The layer under ``name``, or None for the first (backward then ends at the input)."""
    k = net.index(name)
    return net.nodes[k - 1].name if k else None


def checked_rules(rules):
    """``rules`` as a tuple, each one of RULES (a clear error if not)."""
    rules = tuple(rules)
    if not rules or any(r not in RULES for r in rules):
        raise InputError(f"rules must be some of {RULES}, got {rules!r}")
    return rules


def forward_and_seed(net, x, c, names):
    """Run ``net`` on x (1, C, S, S); ({name: output of node name} for ``names``, the one-hot seed
    e_c (1, 2) of the backward pass, and the cross-entropy gradient at the dense layer's output,
    dL/dz = p - e_c, from dL/dp = -e_c / p_c through the softmax)."""
    net.forward(x)
    forward = {name: np.array(net.activations[name][0]) for name in names}
    onehot = np.zeros((1, 2))
    onehot[0, c] = 1
    probs = net.activations["softmax"]
    cross_entropy = net.backward(-onehot / probs, start="softmax", until="dense")[0]
    return forward, onehot, np.array(cross_entropy)


def trace_example(spec=None, seed=0, rules=RULES, target=None):
    """Run the tiny example of ``seed`` forward, then backward from the logit of its class
    under each of ``rules``, one layer per Network.backward call. Returns a Trace."""
    spec = spec or TinySpec()
    rules = checked_rules(rules)
    net, x, c = tiny_example(spec, seed, target)
    forward, onehot, cross_entropy = forward_and_seed(net, x, c, FORWARD)
    backward = {}
    for rule in rules:
        g, steps = onehot, {}
        for name in BACKWARD:
            g = net.backward(g, start=name, until=below(net, name), rule=rule)
            steps[name] = np.array(g[0])
        backward[rule] = steps
    return Trace(net, spec, seed, x[0], c, forward, switch_positions(net.caches["pool"])[0], onehot[0],
                 backward, cross_entropy)

"""Trace the tiny residual block through the real engine: every forward value, and the
backward pass one node at a time under each rule, with the two paths that meet at the input
kept apart.

As in trace.py, every number is read off cnnvis's own Network: ``net.forward`` fills
``net.activations``; each backward step is ``net.backward(g, start=node, until=its input,
rule=rule)``; at the Add, the layer's own backward gives one gradient per input (both are g);
and the gradient at the input is ``net.backward(g, start="add")``, where the Network itself
adds what comes back along the branch and along the skip.
"""
from dataclasses import dataclass

import numpy as np

from ..layers import RULES
from .residual import ResidualSpec, residual_example
from .trace import checked_rules, forward_and_seed

FORWARD = ("conv1", "relu1", "conv2", "add", "relu2", "gap", "dense", "softmax")
ABOVE_THE_ADD = ("dense", "gap", "relu2")   # from the logits down to the Add
BRANCH = ("conv2", "relu1", "conv1")        # from the Add's first input down to the input
ARRIVING = {"dense": None, "gap": "dense", "relu2": "gap", "add": "relu2", "conv2": "branch",
            "relu1": "conv2", "conv1": "relu1"}  # what arrives at a node: the step above's result


@dataclass
class ResidualTrace:
    """One traced residual example. Arrays drop the batch axis of the engine's (1, ...) arrays.

    net: the float64 Network; x: input (C, S, S); target: the class c explained; forward[name]:
    each node's output; seed: dS_c/dz = one-hot (2,); cross_entropy: dL/dz of L = -log p_c.
    backward[rule][name]: dS_c/d(input of node name) under that rule for the nodes of
    ABOVE_THE_ADD and BRANCH (so "conv1" is the branch's term at the input), and
    "branch", "skip": the Add's gradient to each of its inputs (conv2's output, the input);
    "input": dS_c/dx, the sum the Network forms where the two paths meet.
    """
    net: object
    spec: ResidualSpec
    seed_value: int
    x: np.ndarray
    target: int
    forward: dict
    seed: np.ndarray
    backward: dict
    cross_entropy: np.ndarray

    @property
    def rules(self):
        return tuple(self.backward)

    def gradient_into(self, name, rule):
        """dS_c/d(output of node ``name``) under ``rule``: what arrives at it from above."""
        above = ARRIVING[name]
        return self.seed if above is None else self.backward[rule][above]


def trace_residual(spec=None, seed=0, rules=RULES, target=None):
    """Run the residual example of ``seed`` forward, then backward from the logit of its class
    under each of ``rules``, one node per step. Returns a ResidualTrace."""
    spec = spec or ResidualSpec()
    rules = checked_rules(rules)
    net, x, c = residual_example(spec, seed, target)
    forward, onehot, cross_entropy = forward_and_seed(net, x, c, FORWARD)
    backward = {}
    for rule in rules:
        g, steps = onehot, {}
        for name in ABOVE_THE_ADD:
            g = net.backward(g, start=name, until=net.inputs_of(name)[0], rule=rule)
            steps[name] = np.array(g[0])
        at_add = g
        branch, skip = net["add"].backward(at_add, net.caches["add"], rule)  # one copy per input
        steps["branch"], steps["skip"] = np.array(branch[0]), np.array(skip[0])
        for name in BRANCH:
            branch = net.backward(branch, start=name, until=net.inputs_of(name)[0], rule=rule)
            steps[name] = np.array(branch[0])
        steps["input"] = np.array(net.backward(at_add, start="add", rule=rule)[0])  # the sum
        backward[rule] = steps
    return ResidualTrace(net, spec, seed, x[0], c, forward, onehot[0], backward, cross_entropy)

"""Guided backpropagation: the input gradient with only positive signals let back through ReLUs.

Springenberg, Dosovitskiy, Brox & Riedmiller, "Striving for Simplicity: The All
Convolutional Net", ICLR workshop 2015. Numbers match Captum's GuidedBackprop (class
targets) and NeuronGuidedBackprop (units) on networks whose rectifiers are ReLUs. At ReLU6
(MobileNetV2, EfficientNet-Lite0) cnnvis applies the rule too, with ReLU6's mask 0 < x < 6;
Captum hooks nn.ReLU modules only and passes the plain gradient there, so the two differ
(measured 0.95 relative on a ReLU6 network: tests/test_rules_modern_torch.py). SiLU and
Sigmoid pass their plain gradient in both.
"""
from ..engine import to_host
from .targets import gradient


def guided_backprop(net, x, target, score="logit", seed="one-hot"):
    """R = the backward pass of the target's score under the guided ReLU rule
    dx = g * (x > 0) * (g > 0) (gradient at conv, dense and pool layers; switches at pools).

    x: network input (N, C, H, W); target: a class (index, name, 'predicted') or a Unit of
    any layer; score: 'logit' or 'prob' for classes; seed: 'one-hot' (the gradient) or
    'activation' (start from the unit's own activations, as Zeiler & Fergus).
    Returns R (N, C, H, W) on the host, signed.
    """
    g, _, _ = gradient(net, x, target, score=score, rule="guided", seed=seed)
    return to_host(g)

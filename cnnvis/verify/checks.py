"""Agreement of a network (yours, on your weights) with PyTorch and Captum, check by check.

Every layer's forward alone, the whole forward, the input gradient under the three backward
rules (the deconvnet and guided rules as PyTorch backward hooks on each rectifier's module,
nn.ReLU and nn.ReLU6), and the gradient methods against their Captum equivalents. Captum's
deconvnet and guided backprop hook nn.ReLU only; where a network has ReLU6 (MobileNetV2,
EfficientNet-Lite0) the same rule is hooked on its modules too, so both apply it everywhere. All in float64, where the two frameworks must agree
to rounding (1e-9 relative); the float32 forward to 1e-4. float64 avoids a float32 effect that
is not a disagreement: rounding can flip a ReLU or max-pool decision at a near-tie, routing a
gradient to a neighbouring pixel (tests/test_vgg16_torch.py measures this on VGG16).

Integrated gradients are compared on the Riemann midpoint rule: Captum multiplies the
gradients by its step weights cast to float32 (``torch.tensor(step_sizes).float()`` in
captum/attr/_core/integrated_gradients.py), so its float64 Gauss-Legendre IG carries the
weights' float32 rounding, up to 2.4e-8 relative each (1.5e-9 relative on the bundled
model's 16 steps). At 16 steps the midpoint weights 1/16 and alphas (2k + 1)/32 are exact
in float32, so the two agree to float64 rounding; the Gauss-Legendre nodes and weights
themselves, the default of integrated_gradients, are checked equal to Captum's. (The left
and trapezoid rules are not used: at alpha = 0 the zero baseline makes every interior
activation equal, and max-pooling's choice among equal values is then rounding's.)

A unit target (a channel or position of a layer) is explained on both sides as the unit's
score: Captum is given a forward function returning that score (and no target). A check
that cannot run (Captum missing; Grad-CAM for a unit at or before the CAM layer) is a row
of the table marked "not run" with the reason, and counts against the result: the command
exits 1 when a check it was asked for did not run.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..engine import to_host
from ..methods.targets import Unit, gradient, resolve, target_layer
from ..graph import INPUT
from .torch_mirror import _torch, torch_mirror

TOL64, TOL32 = 1e-9, 1e-4


@dataclass
class Check:
    name: str
    max_abs: float = math.nan
    max_rel: float = math.nan
    tol: float = math.nan
    not_run: str = None  # why the check could not run (None: it ran)

    @property
    def passed(self):
        return self.not_run is None and self.max_rel <= self.tol

    @property
    def status(self):
        return "not run" if self.not_run is not None else "ok" if self.passed else "FAIL"


def _compare(name, ours, theirs, tol):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    diff = float(np.abs(ours - theirs).max()) if ours.size else 0.0
    scale = float(np.abs(theirs).max()) if theirs.size else 0.0
    return Check(name, diff, diff / scale if scale > 0 else diff, tol)


def _default_target(net, x):
    """The predicted class, or for a network without a classifier the most active channel of
    its last 4-D layer (a Unit)."""
    shapes = net.output_shapes()
    if len(shapes[net.output]) == 1:
        return "predicted"
    name = [name for name, shape in shapes.items() if len(shape) == 3][-1]
    a = to_host(net.forward(x, until=name))[0]
    return Unit(name, int(a.mean(axis=(1, 2)).argmax()))


def _torch_score(model, net, xt, target, layer):
    """The scores of the target in the mirror (output of ``layer``)."""
    out = model(xt, layer)
    if isinstance(target, Unit):
        a = out[:, target.channel] if target.channel is not None else out
        if target.i is not None:
            return a[:, target.i, target.j]
        return getattr(a.reshape(len(a), -1), target.reduce)(dim=1) if target.reduce != "max" \
            else a.reshape(len(a), -1).max(dim=1).values
    return out[:, target]


def verify(net, x, target=None, methods=True):
    """[Check] for network ``net`` on input x (1, C, H, W). Needs torch (and captum for methods)."""
    torch = _torch()
    x32 = np.asarray(x, np.float32)
    target = target if target is not None else _default_target(net, x32)
    checks = []
    model32 = torch_mirror(net, torch.float32)  # a float64 network too: the float32 check
    with torch.no_grad():
        y32 = model32(torch.from_numpy(x32)).numpy()
    checks.append(_compare("forward, float32", to_host(net.forward(x32)), y32, TOL32))
    dtype = net.dtype
    net.astype(np.float64)
    try:
        model = torch_mirror(net)
        x64 = x32.astype(np.float64)
        net.forward(x64)
        ours = {INPUT: x64, **{k: to_host(v) for k, v in net.activations.items()}}
        for node in net.nodes:  # each node alone, on our values of its inputs
            with torch.no_grad():
                ref = model.module(node.name)(*(torch.from_numpy(np.ascontiguousarray(ours[i]))
                                                for i in node.inputs)).numpy()
            checks.append(_compare(f"layer {node.name} ({type(node).__name__}), float64",
                                   ours[node.name], ref, TOL64))
        (t,) = resolve(net, x64, target)
        layer = target_layer(net, [t], "logit")
        checks += _rules(net, model, torch, x64, t, layer)
        if methods:
            checks += _methods(net, model, torch, x64, t, layer)
    finally:
        net.astype(dtype)
    return checks


def rule_hooks(net, model, torch, rule, skip=()):
    """PyTorch backward hooks applying ``rule`` at the mirror's module of every rectifier node
    (ReLU, ReLU6) except modules of the types ``skip``: deconvnet clamps the incoming gradient,
    guided the gradient the module's own backward gives (its mask, then > 0). Returns the handles."""
    if rule == "gradient":
        return []
    clamp = (lambda m, gi, go: (go[0].clamp(min=0),)) if rule == "deconvnet" else \
            (lambda m, gi, go: (gi[0].clamp(min=0),))
    modules = [model.module(node.name) for node in net.nodes if node.rectifier]
    return [m.register_full_backward_hook(clamp) for m in modules if not isinstance(m, skip)]


def _rules(net, model, torch, x64, t, layer):
    checks = []
    for rule in ("gradient", "deconvnet", "guided"):
        ours = to_host(gradient(net, x64, t, rule=rule)[0])
        hooks = rule_hooks(net, model, torch, rule)
        xt = torch.from_numpy(x64).requires_grad_(True)
        _torch_score(model, net, xt, t, layer).sum().backward()
        for h in hooks:
            h.remove()
        checks.append(_compare(f"input gradient, {rule} rule, float64", ours, xt.grad.numpy(), TOL64))
    return checks


def _with_rule_beyond_relu(net, model, torch, rule, attribute):
    """attribute() with the rule hooked at the rectifiers Captum leaves alone (its hooks act on
    nn.ReLU only: at ReLU6 it would pass the plain gradient, where cnnvis applies the rule)."""
    hooks = rule_hooks(net, model, torch, rule, skip=(torch.nn.ReLU,))
    try:
        return attribute()
    finally:
        for h in hooks:
            h.remove()


METHOD_CHECKS = ("saliency vs Captum Saliency", "guided backprop vs Captum GuidedBackprop",
                 "deconvnet vs Captum Deconvolution", "Grad-CAM vs Captum LayerGradCam",
                 "integrated gradients vs Captum (16 steps, riemann_middle)",
                 "integrated gradients, Gauss-Legendre alphas and weights vs Captum's (16 steps)")


def _captum_model(model, net, t, layer, torch):
    """Captum's forward function and target for our target t: the mirror up to the logits
    and the class; for a Unit, a module returning the unit's score (N,) and no target."""
    if not isinstance(t, Unit):
        return model.head(layer), t

    class UnitScore(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mirror = model  # a submodule, so that Captum's hooks find its nn.ReLUs

        def forward(self, x):
            return _torch_score(self.mirror, net, x, t, layer)

    return UnitScore(), None


def _methods(net, model, torch, x64, t, layer):
    """Our methods against Captum's; a 'not run' check for each when captum is missing."""
    try:
        import captum.attr as C
    except ImportError:
        return [Check(name, not_run="captum is not installed: pip install captum==0.9.0")
                for name in METHOD_CHECKS]
    from .. import methods as M
    from ..methods.cam import cam_layer
    head, captum_target = _captum_model(model, net, t, layer, torch)
    xt = torch.from_numpy(x64)
    checks = [
        _compare(METHOD_CHECKS[0], M.saliency(net, x64, t),
                 C.Saliency(head).attribute(xt, target=captum_target, abs=False).numpy(), TOL64),
        _compare(METHOD_CHECKS[1], M.guided_backprop(net, x64, t), _with_rule_beyond_relu(
            net, model, torch, "guided",
            lambda: C.GuidedBackprop(head).attribute(xt, target=captum_target).numpy()), TOL64),
        # one-hot: the deconvnet of the score, as Captum's; a unit's default seed is its activation
        _compare(METHOD_CHECKS[2], M.deconvnet(net, x64, t, seed="one-hot"), _with_rule_beyond_relu(
            net, model, torch, "deconvnet",
            lambda: C.Deconvolution(head).attribute(xt, target=captum_target).numpy()), TOL64)]
    where = cam_layer(net)
    name = f"Grad-CAM at {where} vs Captum LayerGradCam"
    if not net.is_ancestor(where, layer):
        checks.append(Check(name, not_run=f"the target is in {layer!r}, which does not come after the CAM "
                            f"layer {where!r}; give a later --target, or --no-methods"))
    else:
        ours = M.gradcam(net, x64, t, where, relu=False, normalize=False, upsample=None)
        theirs = C.LayerGradCam(head, model.module(where)).attribute(xt, target=captum_target)
        checks.append(_compare(name, ours, theirs.detach().numpy()[:, 0], TOL64))
    ig = M.integrated_gradients(net, x64, t, steps=16, method="riemann_middle", progress=False)
    theirs = C.IntegratedGradients(head).attribute(xt, target=captum_target, n_steps=16,
                                                   method="riemann_middle")
    checks.append(_compare(METHOD_CHECKS[4], ig.attributions, theirs.detach().numpy(), TOL64))
    return checks + [_gauss_legendre_check()]


def _gauss_legendre_check():
    """integrated_gradients' default nodes and weights against Captum's (see the module docstring)."""
    from captum.attr._utils.approximation_methods import approximation_parameters

    from ..methods.integrated_gradients import alphas_and_weights
    weights, alphas = approximation_parameters("gausslegendre")
    return _compare(METHOD_CHECKS[5], np.concatenate(alphas_and_weights(16)),
                    np.concatenate([alphas(16), weights(16)]), TOL64)


def table(checks):
    """The checks as a text table; a check that did not run says why in its last column."""
    rows = [("check", "max |diff|", "max |diff| / max |torch|", "tolerance", "")]
    for c in checks:
        if c.not_run is not None:
            rows.append((c.name, "-", "-", "-", f"NOT RUN: {c.not_run}"))
        else:
            rows.append((c.name, f"{c.max_abs:.2e}", f"{c.max_rel:.2e}", f"{c.tol:.0e}",
                         "ok" if c.passed else "FAIL"))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    return "\n".join("  ".join([v.ljust(w) for v, w in zip(r[:4], widths)] + [r[4]]).rstrip() for r in rows)

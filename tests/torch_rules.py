"""PyTorch autograd turned into cnnvis's backward rules, for the reference tests: full backward
hooks at the rectifier modules (what Captum's Deconvolution and GuidedBackprop hook at nn.ReLU).

    deconvnet: dL/d(input) = ReLU(dL/d(output))          (g * (g > 0))
    guided:    dL/d(input) = ReLU(autograd's dL/d(input)) (g * on * (g > 0))
"""
RULES = ("gradient", "deconvnet", "guided")


def rule_hooks(model, rule, torch, kinds=None):
    """The handles of hooks making autograd apply ``rule`` at every module of a type in kinds
    or a subclass (default nn.ReLU and nn.ReLU6; the decision-fixed VGG16's FixedMaskReLU is an
    nn.ReLU); none for 'gradient'."""
    hook = {"gradient": None,
            "deconvnet": lambda mod, gin, gout: (gout[0].clamp(min=0),),
            "guided": lambda mod, gin, gout: (gin[0].clamp(min=0),)}[rule]
    if hook is None:
        return []
    kinds = tuple(kinds) if kinds is not None else (torch.nn.ReLU, torch.nn.ReLU6)
    return [m.register_full_backward_hook(hook) for m in model.modules() if isinstance(m, kinds)]


def input_grad(model, x, g, rule, torch, kinds=None):
    """(model(x), d(sum g * model(x))/dx under ``rule``) as NumPy arrays; x, g NumPy arrays."""
    handles = rule_hooks(model, rule, torch, kinds)
    try:
        xt = torch.tensor(x, requires_grad=True)
        y = model(xt)
        y.backward(torch.tensor(g))
        return y.detach().numpy(), xt.grad.numpy()
    finally:
        for h in handles:
            h.remove()

"""PyTorch's own decisions on VGG16 and a mirror that takes cnnvis's, checking itself.

Kinks in float32. ReLU and max-pool make decisions (is x > 0? which entry is the largest?).
Where a value lies within float32 rounding (~1e-6 relative) of a kink, two correct libraries
that sum in different orders can decide differently; the forward values still agree to
rounding (max is continuous) but the gradient is routed differently there, which changes the
input gradient by O(1) inside that unit's receptive field. VGG16 makes millions of such
decisions per image, so a handful of flips is expected.

natural_forward(): PyTorch's forward with its own decisions (each layer's output, the pool
indices). check_decisions(): ours equal PyTorch's except at near-kinks, each flip within
KINK of the layer's scale of its kink, and never at an exact tie of zeros (both libraries
take the first maximum). aligned_model(): the mirror with ReLU = x * our mask and max-pool =
gather at our switches (the same functions wherever the decisions agree); it is built for
one input, checks the decisions on that input when built, refuses any other input, and on
every call asserts that each layer's output equals PyTorch's natural layer on the same input
to within KINK (so a copied decision that changes a value is caught where it is used).
flip_region(): the input pixels inside the receptive field of some flipped decision, the
only place where the natural gradients may differ by more than rounding.
"""
import numpy as np

from cnnvis.layers import MaxPool2D, ReLU
from cnnvis.receptive import unit_box

KINK = 1e-5  # a decision may differ only within 1e-5 x (layer's max |value|) of its kink


def natural_forward(mirror, x, torch, until="predictions"):
    """PyTorch's own forward up to node ``until``: (output, {name: output}, {pool: indices})."""
    F = torch.nn.functional
    h, acts, indices = torch.tensor(x), {}, {}
    with torch.no_grad():
        for name, _ in mirror.order:
            mod = mirror.module(name)
            if isinstance(mod, torch.nn.MaxPool2d):
                h, indices[name] = F.max_pool2d(h, mod.kernel_size, mod.stride, mod.padding,
                                                return_indices=True)
            else:
                h = mod(h)
            acts[name] = h.numpy()
            if name == until:
                break
    return h.numpy(), acts, indices


def check_decisions(net, acts, indices):
    """Assert that net's decisions in its last forward equal PyTorch's natural ones (acts,
    indices from natural_forward on the same input) except at near-kinks. Returns
    {"flips": n, "decisions": n, "zero windows": n, "flipped": {node: (N, C, H, W) bool}}."""
    out = {"flips": 0, "decisions": 0, "zero windows": 0, "flipped": {}}
    for layer in net.nodes:
        if not isinstance(layer, (ReLU, MaxPool2D)) or layer.name not in acts:
            continue
        before = net.activations[net.inputs_of(layer.name)[0]]  # this layer's input, ours
        scale = np.abs(before).max()
        if isinstance(layer, ReLU):
            differ = (net.activations[layer.name] > 0) != (acts[layer.name] > 0)
            assert np.all(np.abs(before[differ]) <= KINK * scale), layer.name
        else:
            ours, theirs = net.caches[layer.name][0], indices[layer.name].numpy()  # the switches
            differ = ours != theirs
            plane = before.reshape(before.shape[0], before.shape[1], -1)
            n, c, _, _ = np.nonzero(differ)
            ours_v, theirs_v = plane[n, c, ours[differ]], plane[n, c, theirs[differ]]
            assert np.all(np.abs(ours_v - theirs_v) <= KINK * scale), layer.name
            # Windows of ReLU zeros are exact ties in both libraries (and many: deconvnet
            # routes through them); both take the first maximum, so these never differ.
            assert not np.any((ours_v == 0) & (theirs_v == 0)), layer.name
            out["zero windows"] += int(np.sum(net.activations[layer.name] == 0))
        out["flips"] += int(differ.sum())
        out["decisions"] += differ.size
        if differ.any():
            out["flipped"][layer.name] = differ
    return out


def flip_region(net, flipped, image_hw):
    """(N, H, W) bool: the pixels inside the receptive field of a flipped decision."""
    region = None
    for name, differ in flipped.items():
        if region is None:
            region = np.zeros((differ.shape[0],) + tuple(image_hw), bool)
        for n, _, i, j in zip(*np.nonzero(differ)):
            r0, r1, c0, c1 = unit_box(net, name, i, j, image_hw)
            region[n, r0:r1, c0:c1] = True
    return region


def aligned_model(net, mirror, x, torch, until="predictions"):
    """The mirror up to node ``until`` with its decisions fixed to ours on input x (which
    this runs through net). Checks the decisions on x now and itself on every call."""
    nn = torch.nn
    net.forward(x)
    _, acts, indices = natural_forward(mirror, x, torch, until)
    decisions = check_decisions(net, acts, indices)

    class FixedMaskReLU(nn.ReLU):  # still an nn.ReLU, so rule hooks and Captum's find it
        def __init__(self, mask):
            super().__init__()
            self.mask = torch.from_numpy(mask)

        def forward(self, h):
            return h * self.mask

    class FixedSwitchMaxPool(nn.Module):
        def __init__(self, switches):
            super().__init__()
            self.switches = torch.from_numpy(switches.astype(np.int64))

        def forward(self, h):
            return h.flatten(2).gather(2, self.switches.flatten(2)).view(self.switches.shape)

    class Aligned(nn.Sequential):
        def forward(self, h):
            if not torch.equal(h.detach(), self.x):
                raise AssertionError("the aligned model holds the decisions of another input")
            for part, natural in zip(self, self.natural):
                out = part(h)
                if part is not natural:  # a fixed decision: PyTorch's own layer on the same input
                    with torch.no_grad():
                        gap = float((out.detach() - natural(h.detach())).abs().max())
                        assert gap <= KINK * float(h.detach().abs().max()), (part, gap)
                h = out
            return h

    parts, natural = [], []
    for node in net.nodes:
        mod = mirror.module(node.name)
        natural.append(mod)
        if isinstance(node, ReLU):
            mod = FixedMaskReLU((net.activations[node.name] > 0).astype(net.dtype))
        elif isinstance(node, MaxPool2D):
            mod = FixedSwitchMaxPool(net.caches[node.name][0])
        parts.append(mod)
        if node.name == until:
            break
    model = Aligned(*parts)
    model.natural = tuple(natural)  # a tuple: not submodules, so no hook is put on them
    model.x = torch.from_numpy(np.ascontiguousarray(x))
    model.decisions = decisions
    return model

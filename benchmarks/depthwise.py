"""Depthwise and 1x1 convolutions of MobileNetV2 / EfficientNet-Lite0 shapes, batch 8: forward,
input gradient and weight gradient, cnnvis against PyTorch in the same run (float32).

    python benchmarks/depthwise.py            # AVX-512 BLAS kernels where the CPU has them
    python benchmarks/depthwise.py --blas keep --repeats 9
    python benchmarks/depthwise.py --quick    # two cases at batch 1 (checks the script)

PyTorch runs on as many threads as cnnvis. Each timed call follows 20 ms of untimed calls
of the same side (common.time_ab: PyTorch's spinning OpenMP workers would otherwise slow the
cnnvis call after them). PyTorch's side is F.conv2d for the forward and
torch.nn.grad.conv2d_input / conv2d_weight for the gradients (the kernels autograd calls).
A TF-'same' pad (0 or 1 more at the end) is cnnvis's own asymmetric padding; PyTorch is
timed with the symmetric padding of the same output size (its fastest path, the same work)
and checked against F.pad + F.conv2d, as a port of the TF model computes it.
"""
from common import header, parse, setup_torch, table, time_ab

CASES = [  # name, x shape, out channels, kernel, stride, pad (t, b, l, r), groups
    ("depthwise 3x3 s1", (8, 96, 112, 112), 96, 3, 1, (1, 1, 1, 1), 96),
    ("depthwise 3x3 s2, TF same", (8, 96, 112, 112), 96, 3, 2, (0, 1, 0, 1), 96),
    ("depthwise 5x5 s2, TF same", (8, 240, 28, 28), 240, 5, 2, (1, 2, 1, 2), 240),
    ("depthwise 5x5 s1", (8, 480, 14, 14), 480, 5, 1, (2, 2, 2, 2), 480),
    ("1x1 conv 144->24", (8, 144, 56, 56), 24, 1, 1, (0, 0, 0, 0), 1),
    ("1x1 conv 24->144", (8, 24, 56, 56), 144, 1, 1, (0, 0, 0, 0), 1),
]


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="two cases at batch 1 (checks the script)")


def torch_sides(torch, x, w, b, g, stride, pad, groups):
    """PyTorch's forward, input gradient and weight gradient, with symmetric padding pad[0]
    (pad[1] for the width) of the same output size as (t, b, l, r)."""
    F, grad = torch.nn.functional, torch.nn.grad
    xt, wt, bt, gt = (torch.from_numpy(a) for a in (x, w, b, g))
    padding = (pad[1], pad[3])  # symmetric: the larger end pad keeps the output size
    return {"forward": lambda: F.conv2d(xt, wt, bt, stride, padding, 1, groups),
            "input gradient": lambda: grad.conv2d_input(xt.shape, wt, gt, stride, padding, 1, groups),
            "weight gradient": lambda: grad.conv2d_weight(xt, wt.shape, gt, stride, padding, 1, groups)}


def torch_reference(torch, x, w, b, g, stride, pad, groups):
    """(y, dx, dw) of the asymmetric padding, by F.pad and autograd."""
    F = torch.nn.functional
    xt, wt = torch.from_numpy(x).requires_grad_(True), torch.from_numpy(w).requires_grad_(True)
    y = F.conv2d(F.pad(xt, (pad[2], pad[3], pad[0], pad[1])), wt, torch.from_numpy(b), stride, 0, 1, groups)
    y.backward(torch.from_numpy(g))
    return {"forward": y.detach().numpy(), "input gradient": xt.grad.numpy(), "weight gradient": wt.grad.numpy()}


def ours_sides(ops, x, w, b, g, stride, pad, groups):
    return {"forward": lambda: ops.conv2d_forward(x, w, b, stride, pad, (1, 1), groups),
            "input gradient": lambda: ops.conv2d_input_grad(g, x.shape, w, stride, pad, (1, 1), groups),
            "weight gradient": lambda: ops.conv2d_param_grads(g, x, w.shape, stride, pad, (1, 1), groups, False)[0]}


def main():
    args = parse(__doc__, add_arguments)  # first: it may restart the process with other BLAS kernels
    torch = setup_torch()
    import numpy as np

    from cnnvis.engine import ops
    header(f"Depthwise and 1x1 convolutions, cnnvis vs PyTorch, batch {1 if args.quick else 8}")
    rng = np.random.default_rng(0)
    rows = []
    cases = [(name, (1,) + shape[1:], *rest) for name, shape, *rest in CASES[::4]] if args.quick else CASES
    for name, shape, out, k, s, pad, groups in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal((out, shape[1] // groups, k, k)).astype(np.float32)
        b = rng.standard_normal(out).astype(np.float32)
        y = ops.conv2d_forward(x, w, b, (s, s), pad, (1, 1), groups)
        g = rng.standard_normal(y.shape).astype(np.float32)
        ours, theirs = ours_sides(ops, x, w, b, g, (s, s), pad, groups), torch_sides(torch, x, w, b, g, s, pad, groups)
        ref = torch_reference(torch, x, w, b, g, s, pad, groups)
        for what in ours:
            err = np.abs(ours[what]() - ref[what]).max() / np.abs(ref[what]).max()
            t = time_ab({"cnnvis": ours[what], "torch": theirs[what]}, args.repeats)
            rows.append((name, f"{shape} -> {out}", what, f"{t['cnnvis'] * 1e3:.2f}", f"{t['torch'] * 1e3:.2f}",
                         f"{t['cnnvis'] / t['torch']:.2f}", f"{err:.1e}"))
    table(rows, ("conv", "shape", "pass", "cnnvis ms", "torch ms", "ratio cnnvis/torch", "max |diff| / max |torch|"))


if __name__ == "__main__":
    main()

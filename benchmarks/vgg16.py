"""VGG16 at 224x224: forward (batch 1 and 8), forward + backward to the input (batch 1), and
each conv layer alone, cnnvis against PyTorch in the same run (random weights, float32).

    python benchmarks/vgg16.py            # AVX-512 BLAS kernels where the CPU has them
    python benchmarks/vgg16.py --blas keep
    python benchmarks/vgg16.py --quick    # VGG16 at 64x64, batches 1 and 2 (checks the script)

Each side is timed after its own untimed calls, interleaved, medians (common.time_ab);
PyTorch runs on as many threads as cnnvis.
"""
from common import header, parse, setup_torch, table, time_ab


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="VGG16 at 64x64, batches 1 and 2 (checks the script)")


def torch_logits_model(net, torch):
    """PyTorch VGG16 with our weights, up to the logits, in-place ReLUs as torchvision's."""
    from cnnvis.verify.torch_mirror import torch_mirror
    model = torch_mirror(net).head("predictions")  # without the final softmax: logits
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.inplace = True
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def main():
    args = parse(__doc__, add_arguments)  # first: it may restart the process with other BLAS kernels
    torch = setup_torch()
    import numpy as np

    import cnnvis
    from cnnvis.layers import Conv2D
    header("VGG16 forward and backward, cnnvis vs PyTorch")
    size, batches = (64, (1, 2)) if args.quick else (224, (1, 8))
    net = cnnvis.vgg16(seed=0, input_shape=(3, size, size))
    model = torch_logits_model(net, torch)
    rng = np.random.default_rng(0)
    rows = []
    for n in batches:
        x = rng.standard_normal((n, 3, size, size)).astype(np.float32)
        xt = torch.from_numpy(x)
        ref = model(xt).numpy()
        err = np.abs(net.forward(x, until="predictions") - ref).max() / np.abs(ref).max()
        t = time_ab({"cnnvis": lambda: net.forward(x, until="predictions"), "torch": lambda: model(xt)},
                    args.repeats)
        rows.append((f"forward, batch {n}", f"{t['cnnvis'] / n * 1e3:.0f}", f"{t['torch'] / n * 1e3:.0f}",
                     f"{t['cnnvis'] / t['torch']:.2f}", f"{err:.1e}"))

    x = rng.standard_normal((1, 3, size, size)).astype(np.float32)
    seed = np.zeros((1, 1000), np.float32)
    seed[0, 1] = 1

    def ours():
        net.forward(x, until="predictions")
        return net.backward(seed, start="predictions")

    def theirs():
        xt = torch.from_numpy(x).requires_grad_(True)
        model(xt)[0, 1].backward()
        return xt.grad.numpy()

    ref = theirs()
    err = np.abs(ours() - ref).max() / np.abs(ref).max()
    t = time_ab({"cnnvis": ours, "torch": theirs}, args.repeats)
    rows.append(("forward + backward to input, batch 1", f"{t['cnnvis'] * 1e3:.0f}", f"{t['torch'] * 1e3:.0f}",
                 f"{t['cnnvis'] / t['torch']:.2f}", f"{err:.1e}"))
    table(rows, (f"VGG16 {size}x{size}", "cnnvis ms/img", "torch ms/img", "ratio cnnvis/torch",
                 "max |diff| / max |torch|"))

    conv_rows = []
    net.forward(x)
    inputs = {node.name: net.activations.get(net.inputs_of(node.name)[0], x) for node in net.nodes}
    for layer in net.nodes:
        if not isinstance(layer, Conv2D):
            continue
        inp = inputs[layer.name]  # this layer's input in the pass above (x for the first)
        theirs_layer, inp_t = model.module(layer.name), torch.from_numpy(inp)
        t = time_ab({"cnnvis": lambda: layer.forward(inp), "torch": lambda: theirs_layer(inp_t)}, args.repeats)
        gflop = 2 * layer.in_channels * layer.out_channels * 9 * inp.shape[2] * inp.shape[3] / 1e9
        conv_rows.append((layer.name, f"{layer.in_channels}->{layer.out_channels} @{inp.shape[2]}",
                          f"{t['cnnvis'] * 1e3:.1f}", f"{t['torch'] * 1e3:.1f}", f"{t['cnnvis'] / t['torch']:.2f}",
                          f"{gflop / t['cnnvis']:.0f}", f"{gflop / t['torch']:.0f}"))
    table(conv_rows, ("conv layer, batch 1", "shape", "cnnvis ms", "torch ms", "ratio",
                      "cnnvis GFLOP/s*", "torch GFLOP/s"))
    print("* direct-convolution FLOPs / time; Winograd F(2x2,3x3) does 2.25x fewer multiplications")


if __name__ == "__main__":
    main()

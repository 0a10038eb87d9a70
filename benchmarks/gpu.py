"""GPU: VGG16 forward at batch 64 and the occlusion sweep (patch 16, stride 4, full map),
cnnvis's CuPy backend against PyTorch (cuDNN) on the same GPU, in the same run, TF32 off on
both (CUPY_TF32=0; torch's allow_tf32 flags False), random weights (seed 0), float32.

    python benchmarks/gpu.py                        # needs CuPy and a CUDA build of PyTorch
    python benchmarks/gpu.py --device cpu --quick   # the script's logic on the CPU, small sizes

Targets (issue 7): forward at most 2x PyTorch's time; cnnvis's exact incremental occlusion
faster than PyTorch's naive batched occlusion (Krypton: 3.9x exact on a GPU).
"""
import os
import sys

from common import parse, table, time_ab


def add_arguments(p):
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu",
                   help="cpu: cnnvis's CPU backend and PyTorch on the CPU (checks the script, not a GPU number)")
    p.add_argument("--quick", action="store_true", help="a small network and batch (checks the script)")
    p.add_argument("--batch", type=int, default=64, help="forward batch size")


def torch_naive_heatmap(model, torch, x, target, patch, stride, batch):
    """score(x) - score(x occluded at (i, j)) for every position, occluded images batched
    through ``model`` on x's device (zeros as the fill)."""
    _, _, h, w = x.shape
    n_r, n_c = (h - patch) // stride + 1, (w - patch) // stride + 1
    positions = [(i, j) for i in range(n_r) for j in range(n_c)]
    scores = []
    with torch.no_grad():
        clean = model(x)[0, target]
        for k in range(0, len(positions), batch):
            chunk = positions[k:k + batch]
            imgs = x.repeat(len(chunk), 1, 1, 1)
            for b, (i, j) in enumerate(chunk):
                imgs[b, :, i * stride:i * stride + patch, j * stride:j * stride + patch] = 0
            scores.append(model(imgs)[:, target])
        return (clean - torch.cat(scores)).reshape(n_r, n_c).cpu().numpy()


def main():
    args = parse(__doc__, add_arguments)
    os.environ["CUPY_TF32"] = "0"  # before CuPy is imported: full float32 GEMMs, as torch below
    import numpy as np
    import torch

    import cnnvis
    from cnnvis.engine import to_device, to_host
    from cnnvis.images import load_image
    from cnnvis.methods.occlusion import occlusion
    from cnnvis.methods.targets import logits_layer
    from cnnvis.verify.torch_mirror import torch_mirror

    gpu = args.device == "gpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda" if gpu else "cpu")
    if gpu:
        cp = cnnvis.engine.backend.cupy()  # a BackendError with the reason where there is no GPU

        def sync():
            cp.cuda.Device().synchronize()
            torch.cuda.synchronize()
        device_name = f"{torch.cuda.get_device_name()}, CuPy {cp.__version__}, CUDA {torch.version.cuda}"
    else:
        def sync():
            pass
        device_name = "CPU (a check of the script, not a GPU measurement)"

    print("# GPU: cnnvis (CuPy) vs PyTorch (cuDNN), TF32 off")
    print(f"cnnvis {cnnvis.__version__}, torch {torch.__version__}; device: {device_name}")
    print(f"command: python {' '.join(sys.argv)}\n")

    if args.quick:
        net = cnnvis.small_vgg(widths=(16, 32), input_shape=(3, 64, 64), classes=10, seed=0)
        batch, patch, stride, size = 4, 8, 4, 64
    else:
        net = cnnvis.vgg16(seed=0)
        batch, patch, stride, size = args.batch, 16, 4, 224
    model = torch_mirror(net).head("predictions").to(dev).eval()  # logits
    for p in model.parameters():
        p.requires_grad_(False)
    net.to("gpu" if gpu else "cpu")
    logits = logits_layer(net)

    def timed(fn):
        def run():
            out = fn()
            sync()
            return out
        return run

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, size, size)).astype(np.float32)
    x_ours, x_theirs = to_device(x, net.backend), torch.from_numpy(x).to(dev)
    ref = model(x_theirs).cpu().numpy()
    err = np.abs(to_host(net.forward(x_ours, until=logits)) - ref).max() / np.abs(ref).max()
    t = time_ab({"cnnvis": timed(lambda: net.forward(x_ours, until=logits)),
                 "torch": timed(lambda: model(x_theirs))}, args.repeats)
    table([(f"VGG16 forward, batch {batch}" if not args.quick else f"small VGG forward, batch {batch}",
            f"{t['cnnvis'] / batch * 1e3:.2f}", f"{t['torch'] / batch * 1e3:.2f}",
            f"{t['cnnvis'] / t['torch']:.2f}", f"{err:.1e}")],
          ("", "cnnvis ms/img", "torch ms/img", "ratio cnnvis/torch", "max |diff| / max |torch|"))

    image = net.preprocess(load_image("cat", size=(size, size)))
    target = int(np.argmax(to_host(net.forward(image, until=logits))))
    image_theirs = torch.from_numpy(image).to(dev)
    sweeps = {
        "PyTorch naive, batch 64": lambda: torch_naive_heatmap(model, torch, image_theirs, target, patch,
                                                               stride, 64),
        "cnnvis naive, batch 64": lambda: occlusion(net, image, target, patch, stride, score="logit",
                                                    method="naive", batch_size=64, progress=False).heatmap[0],
        "cnnvis incremental (exact)": lambda: occlusion(net, image, target, patch, stride, score="logit",
                                                        progress=False).heatmap[0]}
    maps = {}

    def kept(name, fn):
        def run():
            maps[name] = fn()
        return timed(run)
    # a warm-up call each (kernels compiled, cuDNN algorithms chosen), then interleaved medians
    seconds = time_ab({name: kept(name, fn) for name, fn in sweeps.items()}, args.repeats)
    reference = maps["PyTorch naive, batch 64"]
    n_pos = reference.size
    rows = [(name, f"{seconds[name] / n_pos * 1e3:.2f}",
             f"{seconds['PyTorch naive, batch 64'] / seconds[name]:.2f}",
             f"{np.abs(maps[name] - reference).max() / np.abs(reference).max():.1e}") for name in sweeps]
    print(f"## occlusion, patch {patch}, stride {stride}: {reference.shape[0]}x{reference.shape[1]} positions, "
          "full map, the cat photo's predicted class's logit")
    table(rows, ("method", "ms / position", "speed-up vs PyTorch naive", "max |diff| / max |map| vs PyTorch"))


if __name__ == "__main__":
    main()

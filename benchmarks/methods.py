"""The gradient methods of cnnvis against their Captum equivalents, in one run: each pair on
the same network, weights, input and target, timed interleaved (A B A B ...), medians and
their ratio, and how far the two results are apart.

    python benchmarks/methods.py              # VGG16, ResNet-18, ResNet-50 (random weights),
                                              # EfficientNet-Lite0 (ImageNet weights); 224x224, the cat
    python benchmarks/methods.py --quick      # a small VGG 3x32x32 (checks that the script runs)
    python benchmarks/methods.py --scorecam   # also time Score-CAM (VGG16: 512 masked forwards)

Captum runs on torch_mirror(net) up to the logits, parameters frozen (no weight gradients),
ReLUs not in place (Captum's hooks need them so). Both sides: float32, PyTorch on as many
threads as cnnvis. Timing (common.time_ab): a warm-up call per side, then --repeats
repetitions interleaved, each timed call after untimed calls of its own side; medians.
SmoothGrad: both sides draw the same noise (torch.normal from seed 0) inside the timed call.
Grad-CAM++ and Score-CAM have no Captum equivalent: only cnnvis's time is shown.
"max |diff| / max |Captum|": on VGG16 in float32 a few ReLU/max-pool decisions lie within
rounding of their kink and may be taken differently, which moves an input gradient by a few
percent at one spot (tests/test_methods_captum_vgg16.py explains and tests it exactly). On
EfficientNet-Lite0 Captum's deconvnet and guided backprop apply no rule at its ReLU6 units
(its hooks act on nn.ReLU only) while cnnvis does: those rows differ by design
(tests/test_methods_captum_graphs.py agrees with Captum once the rule is hooked on ReLU6 too).
FGSM's epsilon is given in input units on both sides (pixel units scale per channel).
"""
from common import header, parse, setup_torch, table, time_ab

TARGET = 281  # an index only: the weights are random


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="a small VGG only (checks the script)")
    p.add_argument("--scorecam", action="store_true", help="also time Score-CAM (slow on VGG16)")
    p.add_argument("--ig-steps", type=int, default=50, help="integrated gradients steps (Captum's default)")
    p.add_argument("--samples", type=int, default=10, help="SmoothGrad samples")
    p.add_argument("--batch", type=int, default=10,
                   help="internal batch size of IG and SmoothGrad, both sides")


def pairs(net, x, model, torch, args):
    """{name: (ours, captum)}: zero-argument callables returning NumPy arrays."""
    from captum.attr import (Deconvolution, GuidedBackprop, GuidedGradCam, InputXGradient,
                             IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Saliency)
    from captum.robust import FGSM, PGD

    from cnnvis import methods as M
    from cnnvis.methods.adversarial import input_range, pixel_size
    from cnnvis.methods.cam import cam_layer

    xt = torch.from_numpy(x)
    layer = model.module(cam_layer(net))
    size = x.shape[2:]
    n, stdev = args.samples, 0.15 * float(x.max() - x.min())

    def smoothgrad():  # draws the noise NoiseTunnel draws, as it does: inside the timed call
        noise = torch.normal(0, torch.tensor(stdev).repeat((n,) + x.shape[1:]), generator=torch.manual_seed(0))
        return M.smoothgrad(net, x, TARGET, n=n, noise=noise.numpy()[None], batch_size=args.batch,
                            progress=False)

    def noise_tunnel():
        torch.manual_seed(0)  # Captum draws the same noise as ours gets
        return NoiseTunnel(Saliency(model)).attribute(
            xt, nt_samples=n, nt_samples_batch_size=args.batch, stdevs=stdev, target=TARGET,
            abs=False).detach().numpy()

    ce = lambda out, t: torch.nn.functional.cross_entropy(out, t, reduction="none")  # noqa: E731
    lo, hi = (torch.tensor(v, dtype=torch.float32).view(1, -1, 1, 1) for v in input_range(net))
    eps = float(2 * pixel_size(net).min())  # 2 grey levels of the channel with the smallest step
    t = torch.tensor([TARGET])
    return {
        "Saliency": (lambda: M.saliency(net, x, TARGET),
                     lambda: Saliency(model).attribute(xt, target=TARGET, abs=False).detach().numpy()),
        "Gradient x input": (
            lambda: M.saliency(net, x, TARGET, times_input=True),
            lambda: InputXGradient(model).attribute(xt.clone(), target=TARGET).detach().numpy()),
        "Deconvnet": (lambda: M.deconvnet(net, x, TARGET),
                      lambda: Deconvolution(model).attribute(xt, target=TARGET).detach().numpy()),
        "Guided backprop": (lambda: M.guided_backprop(net, x, TARGET),
                            lambda: GuidedBackprop(model).attribute(xt, target=TARGET).detach().numpy()),
        "Grad-CAM (+ interpolate)": (
            lambda: M.gradcam(net, x, TARGET, relu=False, normalize=False),
            lambda: LayerAttribution.interpolate(LayerGradCam(model, layer).attribute(xt, target=TARGET),
                                                 size, "bilinear")[:, 0].detach().numpy()),
        "Guided Grad-CAM": (
            lambda: M.guided_gradcam(net, x, TARGET),
            lambda: GuidedGradCam(model, layer).attribute(xt, target=TARGET).detach().numpy()),
        f"Integrated gradients ({args.ig_steps} steps)": (
            lambda: M.integrated_gradients(net, x, TARGET, steps=args.ig_steps, batch_size=args.batch,
                                           progress=False).attributions,
            lambda: IntegratedGradients(model).attribute(xt, target=TARGET, n_steps=args.ig_steps,
                                                         internal_batch_size=args.batch).detach().numpy()),
        f"SmoothGrad ({n} samples)": (smoothgrad, noise_tunnel),
        "FGSM": (lambda: M.fgsm(net, x, TARGET, epsilon=eps, unit="input").x,
                 lambda: FGSM(model, ce, lo, hi).perturb(xt, epsilon=eps, target=t).detach().numpy()),
        "Iterative FGSM (5 steps)": (
            lambda: M.iterative_fgsm(net, x, TARGET, epsilon=2 * eps, step=eps / 2, steps=5, unit="input",
                                     progress=False).x,
            lambda: PGD(model, ce, lo, hi).perturb(xt, radius=2 * eps, step_size=eps / 2, step_num=5,
                                                   target=t).detach().numpy()),
    }, {
        "Grad-CAM++": lambda: M.gradcam_plus_plus(net, x, TARGET),
        **({"Score-CAM": lambda: M.scorecam(net, x, TARGET, progress=False)} if args.scorecam else {}),
    }


def main():
    args = parse(__doc__, add_arguments)  # first: it may restart the process with other BLAS kernels
    torch = setup_torch()
    import warnings

    import numpy as np
    warnings.filterwarnings("ignore", category=UserWarning, module="captum")  # "set requires_grad"

    import cnnvis

    header("Gradient methods, cnnvis vs Captum")
    if args.quick:
        networks = {"small VGG 3x32x32": lambda: cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32),
                                                                 classes=300)}
    else:
        from cnnvis.pretrained import pretrained, weights_path
        networks = {"VGG16 224x224": lambda: cnnvis.vgg16(seed=0),
                    "ResNet-18 224x224": lambda: cnnvis.models.resnet18(seed=0),
                    "ResNet-50 224x224": lambda: cnnvis.models.resnet50(seed=0)}
        if weights_path("efficientnet-lite0", required=False) is not None:
            networks["EfficientNet-Lite0 224x224 (ImageNet weights)"] = lambda: pretrained("efficientnet-lite0")
    for name, make in networks.items():
        one_network(name, make(), torch, args, np)


def one_network(name, net, torch, args, np):
    from cnnvis.images import load_image
    from cnnvis.methods.targets import logits_layer
    from cnnvis.verify.torch_mirror import torch_mirror
    x = net.preprocess(load_image("cat", net.input_shape[1:]))
    model = torch_mirror(net).head(logits_layer(net))
    for p in model.parameters():
        p.requires_grad_(False)
    compared, alone = pairs(net, x, model, torch, args)
    rows = []
    for method, (ours, theirs) in compared.items():
        a, b = ours(), theirs()
        err = np.abs(a - b).max() / np.abs(b).max()
        t = time_ab({"cnnvis": ours, "captum": theirs}, args.repeats)
        rows.append((method, f"{t['cnnvis'] * 1e3:.1f}", f"{t['captum'] * 1e3:.1f}",
                     f"{t['cnnvis'] / t['captum']:.2f}", f"{err:.1e}"))
    for method, ours in alone.items():
        t = time_ab({"cnnvis": ours}, args.repeats)
        rows.append((method, f"{t['cnnvis'] * 1e3:.1f}", "-", "-", "-"))
    table(rows, (f"{name}, batch 1", "cnnvis ms", "Captum ms", "ratio cnnvis/Captum",
                 "max |diff| / max |Captum|"))


if __name__ == "__main__":
    main()

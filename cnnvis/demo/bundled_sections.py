"""Report sections on the bundled Fashion-MNIST model and its 100 bundled test images."""
import functools

import numpy as np

from .. import methods as M
from ..datasets import bundled_samples
from ..errors import BackendError
from ..methods import by_name
from ..methods.activation_max import activation_maximization
from ..methods.deepdream import deepdream
from ..methods.embedding import embedding
from ..methods.feature_maps import feature_maps
from ..methods.predictions import top_k
from ..methods.targets import Unit
from ..methods.top_filters import top_filters
from ..methods.top_patches import top_patch_projections, top_patches
from ..models import bundled_model
from ..render.activation_max import actmax_figure, save_actmax_gif, top_filters_figure
from ..render.attribution import adversarial_figure, methods_figure
from ..render.common import image_grid, new_figure
from ..render.deepdream import deepdream_figure
from ..render.embedding import embedding_figure
from ..render.feature_maps import channel_figure, feature_maps_figure
from ..render.filters import filters_figure
from ..render.occlusion import occlusion_figure
from ..render.predictions import predictions_figure
from ..render.top_patches import top_patches_figure


# gradient ascent of the class models (section 8, and the recorded ones of section 13:
# scripts/record_training.py) and of the top-filters grid (section 9, from mid-gray)
ASCENT = {"steps": 150, "lr": 6.0, "decay": 0.005, "blur_sigma": 0.6, "blur_every": 4, "start": 0.05,
          "noise": 0.1, "seed": 0}


@functools.cache
def net():
    return bundled_model()


@functools.cache
def data():
    return bundled_samples()


def sample(class_name, k=0):
    """(image (28, 28) uint8, index) of the k-th bundled sample of a class."""
    d = data()
    index = int(np.flatnonzero(d.labels == d.class_names.index(class_name))[k])
    return d.images[index], index


def model(report, ctx):
    with report.section("1. The bundled model", "A small VGG-style network (3x3 convolutions, ReLU, "
                        "max-pooling, a dense layer with dropout) that cnnvis trained on Fashion-MNIST "
                        "with its own backward passes (section 13). Below: its layers, then the 100 "
                        "bundled test images (10 per class) with its predictions; red titles are "
                        "mistakes.", {"weights": "cnnvis/data/fashion_mnist_vgg.h5"}) as s:
        n, d = net(), data()
        s.text(n.summary(), pre=True)
        pred = top_k(n, n.preprocess(d.images), k=1).classes[:, 0]
        accuracy = float((pred == d.labels).mean())
        fig = new_figure(12, 13, dpi=80)
        image_grid(fig, list(d.images), [d.class_names[p] for p in pred], cols=10, cmap="gray")
        for ax, ok in zip(fig.axes, pred == d.labels):
            ax.title.set_color("black" if ok else "red")
        s.figure(fig, "samples", f"Predictions on the 100 bundled test images: {accuracy:.0%} right "
                 "(on all 10,000 test images: see section 13)")


def predictions(report, ctx):
    with report.section("2. Predictions", "The five most probable classes for two test images, one the "
                        "network gets right and one it gets wrong (green: the true class).", {"k": 5}) as s:
        n, d = net(), data()
        pred = top_k(n, n.preprocess(d.images), k=5)
        wrong = np.flatnonzero(pred.classes[:, 0] != d.labels)
        for name, index in (("right", sample("Ankle boot")[1]), ("wrong", int(wrong[0]))):
            s.figure(predictions_figure(d.images[index], pred, index, label=d.class_names[d.labels[index]],
                                        title=f"test image {index}"), name)


def filters(report, ctx):
    with report.section("3. Filters", "The 3x3 kernels of the first convolution, each scaled on its own: "
                        "what pattern of pixels each unit of the first layer looks for.",
                        {"layer": "block1_conv1"}) as s:
        s.figure(filters_figure(net()), "block1", "32 kernels of block1_conv1")


def maps(report, ctx):
    with report.section("4. Feature maps", "A layer's channels for one image (sorted by mean activation), "
                        "and the strongest deeper channel as a mask over the image.",
                        {"layers": "block1_conv2_relu, block2_conv2_relu", "image": "a sneaker"}) as s:
        n = net()
        image, _ = sample("Sneaker")
        x = n.preprocess(image)
        s.figure(feature_maps_figure(feature_maps(n, x, "block1_conv2_relu", sort=True)), "block1")
        fm = feature_maps(n, x, "block2_conv2_relu", sort=True, top_k=1)
        s.figure(channel_figure(image, fm.maps[0, 0], fm.layer, fm.channels[0, 0]), "channel")


def gradient_methods(report, ctx):
    steps = 8 if ctx["quick"] else 32
    with report.section("5. Gradient methods", "Each method's picture of why the network predicts the "
                        "class it predicts: saliency (Simonyan et al. 2014), deconvnet (Zeiler & Fergus "
                        "2014), guided backprop (Springenberg et al. 2015), SmoothGrad (Smilkov et al. "
                        "2017), integrated gradients (Sundararajan et al. 2017), Grad-CAM (Selvaraju et "
                        "al. 2017), Grad-CAM++ (Chattopadhay et al. 2018), guided Grad-CAM and Score-CAM "
                        "(Wang et al. 2020). Each agrees with Captum or pytorch-grad-cam in the test suite.",
                        {"target": "the predicted class", "score": "probability", "SmoothGrad samples": 20,
                         "IG steps": steps, "CAM layer": "block2_conv2_relu"}) as s:
        n = net()
        for name in ("Bag", "Pullover"):
            image, index = sample(name)
            x = n.preprocess(image)
            s.figure(methods_figure(n, x, by_name.panel(n, x, steps=steps, progress=ctx["progress"])),
                     name.lower(), f"test image {index} ({name})")


def occlusion(report, ctx):
    with report.section("6. Occlusion sensitivity", "Zeiler & Fergus's experiment: slide a grey patch over "
                        "the image and watch the probability of the true class; where it drops, the "
                        "network was looking. Computed exactly by incremental inference (only the part "
                        "of each layer the patch changes is recomputed; Krypton, SIGMOD 2019).",
                        {"patch": 6, "stride": 1, "fill": 0, "method": "incremental (exact)"}) as s:
        n = net()
        for name in ("Sneaker", "Trouser"):
            image, index = sample(name)
            target = data().class_names.index(name)
            res = M.occlusion(n, n.preprocess(image), target, 6, 1, progress=ctx["progress"])
            s.figure(occlusion_figure(image, res, class_names=data().class_names,
                                      title=f"test image {index}: {name}"), name.lower(),
                     f"{res.info['grid'][0] * res.info['grid'][1]} positions in {res.info['seconds']:.1f} s")


def patches(report, ctx):
    with report.section("7. Maximally activating patches", "For six channels of the last conv layer, the "
                        "nine test images that excite them most, cropped to each unit's receptive field, "
                        "with the deconvnet projection of the unit beside each crop (Zeiler & Fergus).",
                        {"layer": "block2_conv2_relu", "dataset": "the 100 bundled test images, streamed"}) as s:
        n, layer = net(), "block2_conv2_relu"
        scan = top_patches(n, "bundled", [Unit(layer, c) for c in range(64)], k=1, progress=ctx["progress"])
        best = np.argsort([-p[0].score for p in scan.patches], kind="stable")[:6]
        result = top_patches(n, "bundled", [Unit(layer, int(c)) for c in best], k=9, progress=ctx["progress"])
        s.figure(top_patches_figure(result, top_patch_projections(n, result), n), "top9")


def class_models(report, ctx):
    params = dict(ASCENT, steps=40) if ctx["quick"] else dict(ASCENT)
    with report.section("8. Class models (activation maximization)", "What the network thinks each class "
                        "looks like: an image found by gradient ascent on the class logit from a dark "
                        "noisy start, with L2 decay and blurring (Simonyan et al. 2014), and the ascent as "
                        "an animation.", params) as s:
        n = net()
        result = activation_maximization(n, None, list(range(10)), record_every=10,
                                         progress=ctx["progress"], **params)
        s.figure(actmax_figure(result, list(n.class_names), cols=5), "classes")
        s.gif(lambda path: save_actmax_gif(result, path, min_size=84, cols=5), "ascent",
              "the gradient ascent, every 10 steps")


def top_filter_grid(report, ctx):
    params = dict(ASCENT, steps=30 if ctx["quick"] else 60, start=0.5)
    with report.section("9. The most active filters of a layer", "Activation maximization of every channel "
                        "of a conv layer; the 64 that reach the highest mean activation, in an 8x8 grid.",
                        dict(params, layer="block2_conv2")) as s:
        top = top_filters(net(), "block2_conv2", n=64, batch_size=32, progress=ctx["progress"], **params)
        s.figure(top_filters_figure(top), "grid")


def dream(report, ctx):
    with report.section("10. DeepDream", "Amplify what a layer already sees in an image: normalized "
                        "gradient ascent on the layer's squared activations, over octaves, with jitter.",
                        {"layer": "block2_conv2", "steps": 10, "octaves": 2}) as s:
        n = net()
        image, _ = sample("Trouser")
        result = deepdream(n, n.preprocess(image), "block2_conv2", steps=10, octaves=2, jitter=2,
                           progress=ctx["progress"])
        s.figure(deepdream_figure(image, result, target="block2_conv2"), "trouser")


def embeddings(report, ctx):
    with report.section("11. Embedding of the penultimate layer", "The 256 features the classifier reads, "
                        "for the 100 test images, projected to 2-D by PCA and by t-SNE (scikit-learn); "
                        "ringed points are misclassified.", {"layer": "fc1 (after ReLU, dropout off)",
                                                              "t-SNE perplexity": 15}) as s:
        n, d = net(), data()
        x = n.preprocess(d.images)
        s.figure(embedding_figure(embedding(n, x, d.labels, "pca"), d.class_names, d.images, thumbnails=25),
                 "pca", "PCA, with some of the images drawn at their points")
        try:
            emb = embedding(n, x, d.labels, "tsne", perplexity=15)
        except BackendError as exc:  # scikit-learn is optional
            s.text(f"t-SNE not shown: {exc}")
        else:
            s.figure(embedding_figure(emb, d.class_names), "tsne", "t-SNE")


def adversarial(report, ctx):
    with report.section("12. Adversarial examples (FGSM)", "Can the network be fooled by smartly "
                        "distorting the image? One signed-gradient step (Goodfellow et al. 2015), then "
                        "iterative FGSM towards a chosen class (Kurakin et al. 2017).",
                        {"FGSM epsilon": "8 grey levels", "iterative": "16 grey levels, target 'Bag'"}) as s:
        n = net()
        image, _ = sample("Sandal")
        x = n.preprocess(image)
        s.figure(adversarial_figure(n, x, M.fgsm(n, x, "predicted", epsilon=8.0), title="FGSM, untargeted"),
                 "fgsm")
        res = M.iterative_fgsm(n, x, data().class_names.index("Bag"), epsilon=16.0, targeted=True)
        s.figure(adversarial_figure(n, x, res, title="iterative FGSM, targeted at 'Bag'"), "targeted")


SECTIONS = [model, predictions, filters, maps, gradient_methods, occlusion, patches, class_models,
            top_filter_grid, dream, embeddings, adversarial]

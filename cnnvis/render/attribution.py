"""Pictures of attributions (methods/by_name.py's Explanations): signed gradients, saliency
maps, heatmap overlays, a panel of every method for one image, and the FGSM figure.

Display conventions, per image:
  * signed images (deconvnet, guided backprop, Guided Grad-CAM): grey is zero,
    0.5 + g / (2 q) with q the 99.5th percentile of |g|, clipped to [0, 1], in the image's
    own colours (as Zeiler & Fergus and Springenberg et al. show them);
  * saliency: Simonyan's max_c |g| on black, scaled by its 99.5th percentile;
  * maps in [0, 1] (Grad-CAM family): a colormap blended over the photo.
The 99.5th percentile keeps a handful of extreme pixels from turning the rest grey.
"""
import numpy as np

from .. import methods as M
from ..engine import to_host
from ..errors import InputError
from ..preprocessing import ORDERS
from .common import new_figure, overlay

PERCENTILE = 99.5


def image_space(net, g):
    """An input-space array (N, C, H, W) as images (N, H, W, C) in RGB (or grey) order, times
    scale / std per channel: the gradient with respect to the pixels in [0, 255]."""
    g = to_host(g).astype(np.float64)
    p = net.preprocessing
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


def heatmap_figure(image, heatmap, alpha=0.5, cmap="jet", title=None):
    """The photo (H, W[, 3]) in [0, 255] with a [0, 1] heatmap blended over it, and a colorbar."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    fig = new_figure(4.2, 3.6, dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(overlay(image, heatmap, alpha, cmap, lo=0, hi=1))
    ax.set_axis_off()
    fig.colorbar(ScalarMappable(Normalize(0, 1), cmap), ax=ax, fraction=0.046, pad=0.03)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def target_label(net, t):
    """A resolved target in words: 'unit block5_conv3_relu[7]' (or '[7, 3, 4]' for one
    position) for a Unit, else the class's name ('class 3' when the network has none)."""
    if isinstance(t, M.Unit):
        return f"unit {t.layer}[{t.channel}" + (f", {t.i}, {t.j}]" if t.i is not None else "]")
    return net.class_name(t)


def explanation_title(net, explanation, index=0):
    """'cat (p = 0.71)' for a class target (the score it was explained by), 'unit L[c]' for a unit."""
    t = explanation.targets[index]
    if isinstance(t, M.Unit):
        return target_label(net, t)
    word = "p" if explanation.score == "prob" else "logit"
    return f"{target_label(net, t)} ({word} = {explanation.scores[index]:.3g})"


def picture(net, explanation, index=0):
    """(picture, kind) of image ``index`` of an Explanation (methods/by_name.py), as its display
    says: kind 'signed' (an RGB image in [0, 1], (H, W) for grey networks), 'gray' ((H, W) in
    [0, 1], max_c |g|) or 'heat' (a [0, 1] map)."""
    if explanation.display not in ("heat", "signed", "magnitude"):
        raise InputError(f"{explanation.method} results are drawn by their own figure, not as a picture")
    if explanation.display == "heat":
        return explanation.values[index], "heat"
    image = image_space(net, explanation.values[index:index + 1])[0]
    image = image[..., 0] if image.shape[-1] == 1 else image
    if explanation.display == "signed":
        return signed_image(image), "signed"
    return saliency_image(image), "gray"


def methods_figure(net, x, explanations, cols=5, alpha=0.5, cmap="jet", index=0):
    """The photo beside each explanation's picture (e.g. methods.by_name.panel), titled with the
    class and its probability (or logit): a figure for a paper or a lecture."""
    scored = [e for e in explanations if e.score == "prob"] or explanations
    title = explanation_title(net, scored[0], index)
    image = net.deprocess(x[index:index + 1])[0]
    image = image[..., 0] if image.shape[-1] == 1 else image
    cells = [("Input", np.clip(image / 255.0, 0, 1), "photo")]
    cells += [(e.title, *picture(net, e, index)) for e in explanations]
    rows = int(np.ceil(len(cells) / cols))
    fig = new_figure(2.1 * cols, 2.25 * rows + 0.35, dpi=110)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.45 / (2.25 * rows + 0.35),
                        wspace=0.06, hspace=0.14)
    for k, (name, pic, kind) in enumerate(cells):
        ax = fig.add_subplot(rows, cols, k + 1)
        if kind == "heat":
            ax.imshow(overlay(image, pic, alpha, cmap, lo=0, hi=1))
        else:
            ax.imshow(pic, cmap="gray" if np.ndim(pic) == 2 else None, vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.set_axis_off()
    layer = next((e.layer for e in explanations if e.layer), None)
    note = f" (CAMs at {layer})" if layer else ""
    fig.suptitle(f"What the network looks at for: {title}{note}", fontsize=11)
    return fig


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


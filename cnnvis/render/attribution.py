"""Pictures of attributions: signed gradients, saliency maps, heatmap overlays, a panel of
every method for one image, and the FGSM figure.

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


def _target_title(net, x, target, score):
    """'cat (p = 0.71)' for a class target of the one image in x."""
    t = M.resolve(net, x, target)[0]
    if isinstance(t, M.Unit):
        return target_label(net, t), t
    s = to_host(net.forward(x, until=M.targets.target_layer(net, [t], score)))[0, t]
    return f"{target_label(net, t)} ({'p' if score == 'prob' else 'logit'} = {s:.3g})", t


# the gradient and CAM methods method_picture draws: {key (cnnvis explain's): title}
PICTURES = {"saliency": "Saliency", "deconvnet": "Deconvnet", "guided-backprop": "Guided backprop",
            "smoothgrad": "SmoothGrad", "integrated-gradients": "Integrated gradients",
            "gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "guided-gradcam": "Guided Grad-CAM",
            "scorecam": "Score-CAM"}


def method_picture(net, x, method, target, layer=None, score=None, samples=50, sigma=0.15,
                   steps=50, progress=None):
    """(picture, kind) of one method (a key of PICTURES) on one image x (1, C, H, W): kind
    'signed' (an RGB image in [0, 1], (H, W) for grey networks: deconvnet, guided backprop,
    Guided Grad-CAM), 'gray' ((H, W) in [0, 1]: saliency, SmoothGrad, integrated gradients)
    or 'heat' (a [0, 1] map: the CAMs). score: how a class is scored, 'logit' or 'prob';
    by default as each paper: the logit, Score-CAM's probability (the logit if the network
    has no softmax). samples, sigma: SmoothGrad's; steps: integrated gradients'."""
    def rgb(g):  # (1, C, H, W) -> (H, W, 3) or, for grey networks, (H, W)
        image = image_space(net, g)[0]
        return image[..., 0] if image.shape[-1] == 1 else image

    if method == "scorecam":
        score = score or ("prob" if M.targets.ends_in_softmax(net) else "logit")
        return M.scorecam(net, x, target, layer, score=score, progress=progress)[0], "heat"
    score = score or "logit"
    if method == "saliency":
        return saliency_image(rgb(M.saliency(net, x, target, score=score))), "gray"
    if method == "deconvnet":
        return signed_image(rgb(M.deconvnet(net, x, target, score=score))), "signed"
    if method == "guided-backprop":
        return signed_image(rgb(M.guided_backprop(net, x, target, score=score))), "signed"
    if method == "smoothgrad":
        g = M.smoothgrad(net, x, target, n=samples, sigma=sigma, score=score, progress=progress)
        return saliency_image(rgb(g)), "gray"
    if method == "integrated-gradients":
        res = M.integrated_gradients(net, x, target, steps=steps, score=score, progress=progress)
        return saliency_image(rgb(res.attributions)), "gray"
    if method == "gradcam":
        return M.gradcam(net, x, target, layer, score=score)[0], "heat"
    if method == "gradcam++":
        return M.gradcam_plus_plus(net, x, target, layer, score=score)[0], "heat"
    if method == "guided-gradcam":
        return signed_image(rgb(M.guided_gradcam(net, x, target, layer, score=score,
                                                 upsample="bilinear"))), "signed"
    raise InputError(f"unknown method {method!r}; choose one of {', '.join(PICTURES)}")


def method_pictures(net, x, target, layer=None, smooth_samples=20, ig_steps=32, scorecam=True,
                    progress=None):
    """Every method of PICTURES (Score-CAM only when ``scorecam``) on one image x (1, C, H, W):
    [(title, picture, kind)], as method_picture draws them, classes scored as each paper does."""
    if len(x) != 1:
        raise InputError(f"method_pictures explains one image; got a batch of {len(x)}: pass x[:1], "
                         "or call it once per image")
    t = M.resolve(net, x, target)  # once: 'predicted' is the clean image's class
    return [(title, *method_picture(net, x, method, t, layer, samples=smooth_samples,
                                    steps=ig_steps, progress=progress))
            for method, title in PICTURES.items() if scorecam or method != "scorecam"]


def methods_figure(net, x, target="predicted", score="prob", cols=5, alpha=0.5, cmap="jet",
                   **kwargs):
    """The photo beside every method's picture (method_pictures), titled with the class and
    its score: a figure for a paper or a lecture."""
    if not M.targets.ends_in_softmax(net):
        score = "logit"
    title, t = _target_title(net, x, target, score)
    pics = method_pictures(net, x, t, **kwargs)
    image = net.deprocess(x)[0]
    image = image[..., 0] if image.shape[-1] == 1 else image
    cells = [("Input", np.clip(image / 255.0, 0, 1), "photo")] + pics
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
    fig.suptitle(f"What the network looks at for: {title}", fontsize=11)
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


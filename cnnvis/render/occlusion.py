"""Pictures of occlusion sensitivity: the heatmap over the image, and Zeiler & Fergus's figure."""
import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Patch, Rectangle

from .common import add_colorbar, mark_seen, new_figure, overlay
from ..methods.occlusion import spread_per_pixel


def occlusion_map_image(result, index, image_hw):
    """The per-pixel map of one image (Captum-style averaging of the windows), (H, W)."""
    if result.pixel_map is not None:
        return result.pixel_map[index]
    return spread_per_pixel(result.heatmap[index:index + 1], image_hw, result.info["patch"],
                            result.info["stride"])[0]


def occlusion_overlay(image, result, index=0, alpha=0.5, cmap="jet"):
    """uint8 (H, W, 3): the image with the score drop of each region laid over it."""
    return overlay(image, occlusion_map_image(result, index, np.shape(image)[:2]), alpha, cmap)


def occlusion_figure(image, result, index=0, class_names=None, title=None, fit=None):
    """Zeiler & Fergus (2014, fig. 7): (a) the image with the patch, (b) the target's score as a
    function of the patch position, (c) the most probable class per position (class targets),
    (d) the score drop over the image, each map with its colorbar. image: what the network saw;
    fit: the cnnvis.fit.Fit that made it, to draw (d) over the image as given."""
    img = np.asarray(image)
    h, w = img.shape[:2]
    (ph, pw), (sh, sw) = result.info["patch"], result.info["stride"]
    panels = 4 if result.top_class is not None else 3
    fig = new_figure(3.2 * panels, 3.6)
    axes = [fig.add_subplot(1, panels, k + 1) for k in range(panels)]
    fig.subplots_adjust(left=0.02, right=0.95, wspace=0.45)  # room for each colorbar's ticks and label
    axes[0].imshow(img, cmap="gray" if img.ndim == 2 else None)
    axes[0].add_patch(Rectangle((w / 2 - pw / 2, h / 2 - ph / 2), pw, ph, fill=True, color="gray", alpha=0.8))
    letters = iter("abcd")
    approx = result.info.get("approx") == "drilldown"  # occlusion_approx: say it is not exact
    axes[0].set_title(f"({next(letters)}) image, patch {ph}x{pw}, stride {sh}"
                      + (f"\napproximate: {result.info['exact_fraction']:.0%} exact, rest bilinear" if approx else ""),
                      fontsize=9)
    extent = (pw / 2 - sw / 2, pw / 2 + sw * (result.scores.shape[2] - 0.5),
              ph / 2 + sh * (result.scores.shape[1] - 0.5), ph / 2 - sh / 2)
    label = {"prob": "probability", "logit": "logit", "unit": "activation"}[result.info["score"]]
    im = axes[1].imshow(result.scores[index], cmap="jet", extent=extent)
    axes[1].set_xlim(0, w)
    axes[1].set_ylim(h, 0)
    word = {"prob": "p", "logit": "logit", "unit": "activation"}[result.info["score"]]
    add_colorbar(fig, *im.get_clim(), "jet", f"target {word} with the patch there", orientation="vertical",
                 ax=axes[1])
    axes[1].set_title(f"({next(letters)}) target {label} with the patch there", fontsize=9)
    if result.top_class is not None:
        top = result.top_class[index]
        classes = np.unique(top)
        cmap = colormaps["tab20"]
        colors = {c: cmap(k % 20) for k, c in enumerate(classes)}
        rgb = np.array([[colors[c][:3] for c in row] for row in top])
        axes[2].imshow(rgb, extent=extent)
        axes[2].set_xlim(0, w)
        axes[2].set_ylim(h, 0)
        names = [class_names[c] if class_names else str(c) for c in classes]
        axes[2].legend(handles=[Patch(color=colors[c], label=n) for c, n in zip(classes, names)][:10],
                       fontsize=6, loc="lower left", framealpha=0.8)
        axes[2].set_title(f"({next(letters)}) most probable class", fontsize=9)
    drop = occlusion_map_image(result, index, (h, w))
    lo, hi = float(drop.min()), float(drop.max())
    shown = img
    if fit is not None:
        drop, shown = fit.to_original(drop), fit.original
        mark_seen(axes[-1], fit.seen(), shown.shape)
    axes[-1].imshow(overlay(shown, drop, 0.55, lo=lo, hi=hi))
    add_colorbar(fig, lo, hi, "jet", f"drop in the {word} when occluded", orientation="vertical", ax=axes[-1])
    axes[-1].set_title(f"({next(letters)}) score drop when occluded", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    return fig

"""Picture of an embedding (methods/embedding.py): a scatter plot coloured by label, with the
misclassified points ringed, and optionally image thumbnails at some points."""
import numpy as np
from matplotlib import colormaps
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from .common import new_figure, save_figure, to_uint8
from .mosaic import as_rgb


def embedding_figure(emb, class_names=None, images=None, thumbnails=0, seed=0, title=None):
    """Scatter of emb.points coloured by emb.labels; points whose prediction differs from
    their label are ringed in black (when the network predicts classes). images (N, H, W[, C]) in [0, 255] with thumbnails=k draws
    k of them (drawn at random with ``seed``) at their points."""
    fig = new_figure(7.2, 6.0, dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    classes = np.unique(emb.labels)
    cmap = colormaps["tab10" if len(classes) <= 10 else "tab20"]
    for k, c in enumerate(classes):
        mask = emb.labels == c
        name = class_names[c] if class_names is not None else str(c)
        ax.scatter(*emb.points[mask].T, s=18, color=cmap(k % cmap.N), label=name, alpha=0.85,
                   linewidths=0)
    if emb.predictions is not None:
        wrong = emb.predictions != emb.labels
        ax.scatter(*emb.points[wrong].T, s=60, facecolors="none", edgecolors="black", linewidths=1.1)
    if images is not None and thumbnails:
        rng = np.random.default_rng(seed)
        for n in rng.choice(len(images), size=min(int(thumbnails), len(images)), replace=False):
            zoom = 24 / max(images[n].shape[:2])
            box = OffsetImage(to_uint8(as_rgb(images[n])), zoom=zoom, interpolation="nearest")
            ax.add_artist(AnnotationBbox(box, emb.points[n], frameon=True, pad=0.1,
                                         bboxprops={"edgecolor": "0.6", "linewidth": 0.5}))
    handles, labels = ax.get_legend_handles_labels()
    if emb.predictions is not None:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none",
                              markeredgecolor="black", markersize=8))
        labels.append(f"misclassified ({int(wrong.sum())} of {len(wrong)})")
    ax.legend(handles, labels, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5),
              frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    method = {"pca": "PCA", "tsne": "t-SNE"}[emb.method]
    ax.set_xlabel(f"{method} 1")
    ax.set_ylabel(f"{method} 2")
    ax.set_title(title or f"{method} of the {emb.layer} features of {len(emb.points)} images",
                 fontsize=10)
    return fig


def save_embedding(emb, path, **kwargs):
    """Write embedding_figure(emb, **kwargs) to path (PNG, SVG, PDF), atomically. Returns path."""
    return save_figure(embedding_figure(emb, **kwargs), path)

"""Pictures of the evaluation (cnnvis/evaluation): every method's deletion / insertion / ROAD
curve on one plot per metric, and the randomization cascade as the grid of maps of Adebayo
et al.'s Figure 2 (a row per method, a column per step, each map as |map| scaled to [0, 1])."""
import numpy as np

from .common import new_figure, normalize

TITLES = {"deletion": "Deletion (lower AUC is better)", "insertion": "Insertion (higher AUC is better)",
          "road-morf": "ROAD, most relevant first (lower)", "road-lerf": "ROAD, least relevant first (higher)"}
AXES = {"deletion": "share of pixels removed", "insertion": "share of pixels inserted",
        "road-morf": "share of pixels imputed", "road-lerf": "share of pixels imputed"}


def curves_figure(evaluation, title=None):
    """One panel per curve metric of ``evaluation`` (an Evaluation): each method's mean score
    over the images against the share of pixels changed, its mean AUC in the legend."""
    kinds = [k for k in TITLES if k in evaluation.curves]
    cols = min(2, max(1, len(kinds)))
    rows = int(np.ceil(len(kinds) / cols)) or 1
    fig = new_figure(6.2 * cols, 4.4 * rows, dpi=100)
    for k, kind in enumerate(kinds):
        ax = fig.add_subplot(rows, cols, k + 1)
        for method, c in evaluation.curves[kind].items():
            style = {"color": "black", "linestyle": "--"} if method == "random" else {}
            ax.plot(c.fractions, c.scores.mean(axis=0), label=f"{method} ({evaluation.mean(method, kind):.3f})",
                    linewidth=1.4, **style)
        ax.set_title(TITLES[kind], fontsize=10)
        ax.set_xlabel(AXES[kind], fontsize=9)
        first = next(iter(evaluation.curves[kind].values()))
        ax.set_ylabel(f"target {'probability' if first.info['score'] == 'prob' else 'logit'}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def _map_cell(ax, m):
    ax.imshow(normalize(np.abs(m)), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def randomization_figure(randomization, image=None, index=0, similarity="spearman_abs", title=None):
    """Adebayo et al.'s Figure 2 for image ``index``: a row per method, the original map and
    then the map after each step of the cascade (column titles: the layer randomised last),
    each titled with its similarity to the original; ``image`` (H, W[, 3]) drawn first."""
    methods = list(randomization.maps)
    steps = randomization.steps
    cols = len(steps) + (image is not None)
    fig = new_figure(1.25 * cols + 0.9, 1.3 * len(methods) + 0.7, dpi=100)
    for r, method in enumerate(methods):
        for s, step in enumerate(steps):
            ax = fig.add_subplot(len(methods), cols, r * cols + s + 1 + (image is not None))
            _map_cell(ax, randomization.maps[method][s][index])
            if r == 0:
                ax.set_title(step if s == 0 else step.replace("_", "_\n", 1), fontsize=6)
            if s > 0 and similarity in randomization.scores[method]:
                ax.set_xlabel(f"{randomization.scores[method][similarity][s][index]:.2f}", fontsize=6)
            if s == 0:
                ax.set_ylabel(method, fontsize=7)
        if image is not None:
            ax = fig.add_subplot(len(methods), cols, r * cols + 1)
            ax.imshow(image, cmap="gray" if np.ndim(image) == 2 else None, interpolation="nearest")
            ax.set_axis_off()
    order = "cascading, from the top layer down" if randomization.order == "cascading" else "independent"
    fig.suptitle(title or f"Model-parameter randomization ({order}); under each map: {similarity} "
                 "with the original", fontsize=9)
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.03, top=0.86, wspace=0.08, hspace=0.35)
    return fig


def data_randomization_figure(result, images, count=4, similarity="spearman_abs", title=None):
    """For the first ``count`` images: each method's map of the real model beside the map of the
    random-label model (under it: their ``similarity``)."""
    methods = list(result.maps)
    count = min(count, len(images), len(next(iter(result.maps.values()))))
    cols = 1 + 2 * len(methods)
    fig = new_figure(1.1 * cols + 0.5, 1.35 * count + 0.9, dpi=100)
    for r in range(count):
        ax = fig.add_subplot(count, cols, r * cols + 1)
        ax.imshow(images[r], cmap="gray" if np.ndim(images[r]) == 2 else None, interpolation="nearest")
        ax.set_axis_off()
        for k, method in enumerate(methods):
            for j, (maps, who) in enumerate(((result.maps, "real"), (result.random_maps, "random labels"))):
                ax = fig.add_subplot(count, cols, r * cols + 2 + 2 * k + j)
                _map_cell(ax, maps[method][r])
                if r == 0:
                    ax.set_title(f"{method}\n{who}", fontsize=6)
                if j == 1:
                    ax.set_xlabel(f"{result.scores[method][similarity][r]:.2f}", fontsize=6)
    fig.suptitle(title or f"Data randomization: the real model and the random-label model; under each "
                 f"pair: {similarity}", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.04, top=0.84, wspace=0.08, hspace=0.3)
    return fig

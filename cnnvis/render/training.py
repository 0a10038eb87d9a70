"""Pictures of training: loss and accuracy curves, and how the network changes over epochs."""
import numpy as np

from .common import new_figure, save_figure


def _series(ax, epochs, values, label, style):
    points = [(e, v) for e, v in zip(epochs, values) if v is not None]
    if points:
        ax.plot(*zip(*points), style, label=label, linewidth=1.8, markersize=4)


def history_figure(history, title=None):
    """Two panels: train / validation cross-entropy, and train / validation accuracy, per epoch."""
    fig = new_figure(9.0, 3.6, dpi=120)
    epochs = history.column("epoch")
    for k, (what, label) in enumerate((("loss", "cross-entropy"), ("acc", "accuracy"))):
        ax = fig.add_subplot(1, 2, k + 1)
        _series(ax, epochs, history.column(f"train_{what}"), "train", "o-")
        _series(ax, epochs, history.column(f"val_{what}"), "validation", "s--")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False)
    best = [v for v in history.column("val_acc") if v is not None]
    fig.suptitle(title or (f"{history.config.get('network', 'training')}: best validation "
                           f"accuracy {max(best):.2%}" if best else "training curves"))
    fig.tight_layout()
    return fig


def save_history_plot(history, path, title=None):
    """Write history_figure(history) to path (PNG, SVG or PDF, atomically). Returns path."""
    return save_figure(history_figure(history, title), path)


def accuracy_comparison_figure(curves, title, ylabel="test accuracy"):
    """One panel, one line per run: curves = {label: [accuracy per epoch]}."""
    fig = new_figure(5.5, 3.8, dpi=120)
    ax = fig.add_subplot(1, 1, 1)
    for (label, values), style in zip(curves.items(), ("o-", "s--", "^-.", "d:")):
        ax.plot(np.arange(1, len(values) + 1), values, style, label=label, linewidth=1.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right")
    ax.set_title(title)
    fig.tight_layout()
    return fig

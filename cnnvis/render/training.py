"""Pictures of training: loss and accuracy curves, and how the network changes over epochs."""
import numpy as np
from PIL import Image

from ..engine import to_host
from ..io import atomic_path, check_output
from ..methods.filters import conv_layer
from ..progress import bar
from .common import image_grid, new_figure, normalize, save_figure, to_uint8
from .mosaic import as_rgb


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


def figure_pixels(fig):
    """The rendered figure as a uint8 RGB array (H, W, 3)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def save_gif(frames, path, seconds_per_frame=0.7, hold_last=3):
    """Write uint8 RGB frames (same size) as a looping GIF, atomically; the last frame is
    shown hold_last times as long. Returns path."""
    check_output(path, "gif")
    images = [Image.fromarray(f) for f in frames]
    durations = [int(1000 * seconds_per_frame)] * len(images)
    durations[-1] *= hold_last
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=durations, optimize=False)
    return path


def kernels_figure(w, scale=None, title=None, cols=8):
    """Conv kernels w (O, C, KH, KW) as a grid, blue < 0 < red.

    Single-channel kernels (O, 1, KH, KW) are drawn on one symmetric colour scale, +-scale
    (default max |w|), so frames of different epochs compare; RGB kernels are min-max scaled.
    (render/filters.py draws a layer's filters for the unit method instead: one mosaic, each
    filter scaled on its own, so it cannot show frames on one scale.)
    """
    w = np.asarray(w, np.float64)
    scale = scale or float(np.abs(w).max())
    rows = int(np.ceil(len(w) / cols))
    fig = new_figure(1.0 * cols + 0.9, 1.0 * rows + 0.6, dpi=100)
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=[1] * cols + [0.15], wspace=0.08, hspace=0.08,
                            left=0.02, right=0.9, bottom=0.03, top=1 - 0.5 / (rows + 0.6))
    for k, kernel in enumerate(w):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        if kernel.shape[0] == 1:
            im = ax.imshow(kernel[0], cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="nearest")
        else:
            ax.imshow(normalize(kernel.transpose(1, 2, 0)), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    if w.shape[1] == 1:
        fig.colorbar(im, cax=fig.add_subplot(grid[:, cols]), label="weight")
    fig.suptitle(title or f"{len(w)} filters {w.shape[2]}x{w.shape[3]}")
    return fig


def filter_frames(weights, layer, epochs, progress=None):
    """One uint8 RGB frame per epoch: kernels_figure of weights[e] (O, C, KH, KW), all on one
    colour scale (max |w| over the epochs), titled with the change ||W_e - W_0|| / ||W_0||."""
    weights = [np.asarray(w, np.float64) for w in weights]
    scale = max(float(np.abs(w).max()) for w in weights)
    frames = []
    for epoch, w in bar(list(zip(epochs, weights)), desc="filters", progress=progress):
        change = np.linalg.norm(w - weights[0]) / np.linalg.norm(weights[0])
        title = f"{layer} after epoch {epoch} (changed {change:.0%} since epoch {epochs[0]})"
        frames.append(figure_pixels(kernels_figure(w, scale, title)))
    return frames


def save_filters_gif(checkpoint_dir, path, layer=None, progress=None):
    """A GIF of a conv layer's filters (default the first conv) at every checkpoint
    (filter_frames). Returns path."""
    from ..training.checkpoints import load_checkpoints
    nets = load_checkpoints(checkpoint_dir)
    layer = conv_layer(nets[0][1], layer)
    weights = [to_host(net[layer].params["weight"]) for _, net in nets]
    return save_gif(filter_frames(weights, layer, [epoch for epoch, _ in nets], progress), path)


def class_model_figure(images, titles, suptitle):
    """Class model images (N, H, W, C) in [0, 255] in rows of up to 5 with their titles, each
    image min-max stretched to the full grey range (their brightness differs across epochs)."""
    cols = min(len(images), 5)
    rows = -(-len(images) // cols)
    fig = new_figure(1.8 * cols, 2.0 * rows + 0.4, dpi=100)
    pictures = [to_uint8(255 * normalize(as_rgb(img))) for img in images]
    image_grid(fig, pictures, titles, cols=cols, suptitle=suptitle)
    fig.tight_layout()
    return fig


def save_class_model_gif(checkpoint_dir, path, target=0, steps=200, progress=None):
    """A GIF of the class model (methods/class_model.py) of ``target`` (a class index or name,
    a list of them, or 'all') at every checkpoint; each frame starts from the same seeded noise."""
    from ..methods.class_model import class_model
    from ..methods.targets import logits_layer, resolve
    from ..training.checkpoints import load_checkpoints
    nets = load_checkpoints(checkpoint_dir)
    if isinstance(target, str) and target == "all":
        target = list(range(nets[0][1].output_shapes()[logits_layer(nets[0][1])][0]))
    targets = list(target) if isinstance(target, (list, tuple)) else [target]
    frames = []
    for epoch, net in bar(nets, desc="class models", progress=progress):
        classes = resolve(net, np.zeros((len(targets), *net.input_shape)), targets)
        images = class_model(net, classes, steps=steps, progress=False)
        names = [net.class_name(c) for c in classes]
        title = f"class models (logit ascent), epoch {epoch}"
        frames.append(figure_pixels(class_model_figure(images, names, title)))
    return save_gif(frames, path)

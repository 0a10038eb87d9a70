"""Training pictures: curves PNG, filter and class-model GIFs, and the class model itself."""
import numpy as np
from PIL import Image

from cnnvis.methods.class_model import class_model
from cnnvis.methods.targets import gradient
from cnnvis.render.training import (accuracy_comparison_figure, save_class_model_gif, save_filters_gif,
                                    save_history_plot)
from cnnvis.training import Adam, train
from test_training_loop import halves, tiny_net


def trained(tmp_path=None, epochs=8):
    net = tiny_net(dropout=0)
    history = train(net, halves(), halves(16, seed=1), epochs=epochs, batch_size=16,
                    optimizer=Adam(0.01), seed=0, checkpoint_dir=tmp_path, progress=False)
    return net, history


def test_class_model_draws_what_the_class_responds_to():
    net, _ = trained()
    images = class_model(net, [0, 1], steps=60, progress=False)  # (2, 8, 8, 1) in [0, 255]
    assert images.shape == (2, 8, 8, 1) and images.min() >= 0 and images.max() <= 255
    left, right = images[:, :, :4].mean(axis=(1, 2, 3)), images[:, :, 4:].mean(axis=(1, 2, 3))
    assert left[0] > right[0] and right[1] > left[1]  # class 0 = bright left half, 1 = right
    x = net.preprocess(images)
    start = net.preprocess(np.full((2, 8, 8, 1), 12.0))  # about the seeded starting noise
    assert (gradient(net, x, [0, 1])[1] > gradient(net, start, [0, 1])[1]).all()  # logits rose


def test_history_plot_and_comparison_figure(tmp_path):
    _, history = trained(epochs=3)
    path = save_history_plot(history, tmp_path / "curves.png")
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size[0] > 600
    fig = accuracy_comparison_figure({"a": [0.5, 0.7], "b": [0.4, 0.9]}, "t")
    assert [len(line.get_xdata()) for line in fig.axes[0].lines] == [2, 2]


def test_gifs_have_one_frame_per_checkpoint(tmp_path):
    trained(tmp_path / "ck", epochs=3)
    filters = save_filters_gif(tmp_path / "ck", tmp_path / "filters.gif", progress=False)
    models = save_class_model_gif(tmp_path / "ck", tmp_path / "models.gif", target="all", steps=5,
                                  progress=False)
    for path in (filters, models):
        with Image.open(path) as gif:
            assert gif.format == "GIF" and gif.n_frames == 4  # epochs 0 (the start), 1, 2, 3
            first = np.asarray(gif.convert("RGB"))
            gif.seek(3)
            assert not np.array_equal(first, np.asarray(gif.convert("RGB")))  # the frames differ

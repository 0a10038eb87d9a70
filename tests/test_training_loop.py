"""The training loop: it learns, it repeats bit for bit, it writes its files atomically, it freezes."""
import json
import os

import numpy as np
import pytest

from cnnvis.errors import InputError, LayerNotFoundError
from cnnvis.models import small_vgg
from cnnvis.training import SGD, Adam, Augment, History, evaluate, train
from cnnvis.loading import load


def tiny_net(seed=0, dropout=0.25):
    return small_vgg(widths=(4,), convs_per_block=1, input_shape=(1, 8, 8), classes=2,
                     hidden=(8,), dropout=dropout, seed=seed)


def halves(n=64, seed=0):
    """Class 0: bright left half, class 1: bright right half, plus noise: linearly separable."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.1, (n, 1, 8, 8)).astype(np.float32)
    x[y == 0, :, :, :4] += 1
    x[y == 1, :, :, 4:] += 1
    return x, y


def test_tiny_network_learns_separable_problem():
    net = tiny_net()
    history = train(net, halves(), halves(32, seed=1), epochs=15, batch_size=16,
                    optimizer=Adam(0.01), seed=0, progress=False)
    # chance is log 2 = 0.69; a separable problem with margin ~1 must be fit well below 0.1
    assert history.rows[0]["train_loss"] > 0.3
    assert history.rows[-1]["train_loss"] < 0.1
    assert history.rows[-1]["val_acc"] == 1.0
    assert evaluate(net, halves(32, seed=2))[1] == 1.0


def trained_weights(seed):
    net = tiny_net()
    train(net, halves(), None, epochs=2, batch_size=8, optimizer=SGD(0.05, 0.9, nesterov=True),
          weight_decay=1e-3, l1=1e-4, augment=Augment(flip=True, shift=1), seed=seed, progress=False)
    return [p.copy() for _, _, p in net.parameters()]


def test_same_seed_gives_bit_identical_weights():
    a, b, c = trained_weights(3), trained_weights(3), trained_weights(4)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c))  # the seed matters (order, masks)


def test_checkpoints_and_history_are_written_and_reload(tmp_path):
    net = tiny_net()
    history = train(net, halves(), halves(16, seed=1), epochs=3, batch_size=16, seed=0,
                    checkpoint_dir=tmp_path, progress=False)
    names = sorted(os.listdir(tmp_path))
    assert names == ["epoch_000.h5", "epoch_001.h5", "epoch_002.h5", "epoch_003.h5", "history.csv",
                     "history.json"]
    last = load(tmp_path / "epoch_003.h5")
    for (_, _, p), (_, _, q) in zip(net.parameters(), last.parameters()):
        np.testing.assert_array_equal(p, q)
    first = load(tmp_path / "epoch_001.h5")
    assert not np.array_equal(first["predictions"].params["weight"], net["predictions"].params["weight"])
    again = History.load(tmp_path / "history.json")
    assert again.rows == json.loads(json.dumps(history.rows)) and again.config["seed"] == 0
    csv_lines = (tmp_path / "history.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,lr,train_loss") and len(csv_lines) == 4
    assert float(csv_lines[3].split(",")[5]) == history.rows[2]["val_acc"]


def test_a_crash_while_saving_leaves_the_previous_history_intact(tmp_path, monkeypatch):
    import cnnvis.io
    import cnnvis.training.history as module
    json_writes = []

    def failing_write(path, text):  # the JSON of epoch 2 dies half-written
        if str(path).endswith(".json"):
            json_writes.append(path)
            if len(json_writes) == 2:
                with cnnvis.io.atomic_path(path) as tmp, open(tmp, "w") as f:
                    f.write(text[:10])
                    raise OSError("disk full")
        return cnnvis.io.write_text(path, text)

    monkeypatch.setattr(module, "write_text", failing_write)
    with pytest.raises(OSError, match="disk full"):
        train(tiny_net(), halves(), None, epochs=3, batch_size=32, seed=0, checkpoint_dir=tmp_path,
              progress=False)
    assert len(History.load(tmp_path / "history.json")) == 1  # epoch 1's file, whole
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no temporaries left


def test_frozen_layers_stay_bit_identical_and_get_no_gradients():
    net = tiny_net(dropout=0)
    frozen = ["fc1"]  # between trainable layers: gradients pass through it, its own are not computed
    before = {name: {k: v.copy() for k, v in net[name].params.items()} for name in net.names}
    computed = []
    for layer in net.nodes:
        if layer.params:
            original = layer.param_grads
            layer.param_grads = lambda g, c, _o=original, _n=layer.name: (computed.append(_n), _o(g, c))[1]
    train(net, halves(), None, epochs=2, batch_size=16, optimizer=Adam(0.01), frozen=frozen, seed=0,
          progress=False)
    for name in frozen:
        for k, v in net[name].params.items():
            np.testing.assert_array_equal(v, before[name][k])
        assert name not in computed  # the walk never computed them
    for name in ("block1_conv1", "predictions"):
        assert not np.array_equal(net[name].params["weight"], before[name]["weight"])


def test_frozen_base_is_not_visited_by_backward(monkeypatch):
    net = tiny_net(dropout=0)
    visited = []
    for layer in net.nodes:
        original = layer.backward
        monkeypatch.setattr(layer, "backward", lambda g, c, rule="gradient", _o=original, _n=layer.name:
                            (visited.append(_n), _o(g, c, rule))[1])
    train(net, halves(16), None, epochs=1, batch_size=16, frozen=["block1_conv1"], seed=0,
          progress=False)
    # stops at the lowest trainable layer, fc1: its parameter gradients, but no input gradient
    assert visited == ["predictions", "fc1_relu"]


def test_training_errors_say_what_to_fix():
    with pytest.raises(LayerNotFoundError):
        train(tiny_net(), halves(), frozen=["no_such_layer"], progress=False)
    with pytest.raises(InputError, match="nothing to train"):
        train(tiny_net(), halves(), frozen=["block1_conv1", "fc1", "predictions"], progress=False)
    with pytest.raises(InputError, match="training data"):
        train(tiny_net(), (np.zeros((4, 1, 9, 9)), np.zeros(4)), progress=False)

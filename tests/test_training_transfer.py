"""Transfer learning: a copied, frozen conv base under a new head, against training from scratch."""
import numpy as np
import pytest

from cnnvis.datasets import Dataset
from cnnvis.errors import InputError
from cnnvis.layers import Dense, Flatten
from cnnvis.graph import Network
from cnnvis.training.transfer import compare_transfer, conv_base, new_head_network
from test_training_loop import halves, tiny_net


def test_new_head_copies_the_conv_base_and_adds_a_fresh_head():
    base = tiny_net()
    base["block1_conv1"].params["weight"] += 1  # not the initialisation a fresh net would get
    net = new_head_network(base, classes=3, hidden=(5,), seed=1)
    assert conv_base(net) == ["block1_conv1", "block1_conv1_relu", "block1_pool"]
    np.testing.assert_array_equal(net["block1_conv1"].params["weight"], base["block1_conv1"].params["weight"])
    assert net["block1_conv1"].params["weight"] is not base["block1_conv1"].params["weight"]
    assert net["fc1"].params["weight"].shape == (5, 4 * 4 * 4)
    assert net.output_shapes()["predictions"] == (3,)
    scratch = new_head_network(base, classes=3, copy_base=False)
    assert not np.array_equal(scratch["block1_conv1"].params["weight"], base["block1_conv1"].params["weight"])


def test_compare_transfer_freezes_the_base_and_trains_both(monkeypatch):
    base = tiny_net(dropout=0)
    x, y = halves(48)
    images = np.clip(x[:, 0] * 255, 0, 255).astype(np.uint8)  # back to pixels: preprocess is / 255
    data = Dataset(images, y, ("left", "right"))
    train_data, test_data = data.split(32, seed=0)
    copies = {}
    original = new_head_network

    def spy(*args, **kwargs):
        net = original(*args, **kwargs)
        copies[kwargs["copy_base"]] = (net, {k: v.copy() for k, v in net["block1_conv1"].params.items()})
        return net

    monkeypatch.setattr("cnnvis.training.transfer.new_head_network", spy)
    runs = compare_transfer(base, train_data, test_data, epochs=2, batch_size=8, hidden=(4,),
                            progress=False)
    assert list(runs) == ["frozen conv base + new head", "from scratch"]
    assert all(len(h) == 2 and h.rows[-1]["val_acc"] is not None for h in runs.values())
    frozen_net, before = copies[True]
    for k, v in frozen_net["block1_conv1"].params.items():
        np.testing.assert_array_equal(v, before[k])  # frozen: bit-identical
    scratch_net, before = copies[False]
    assert not np.array_equal(scratch_net["block1_conv1"].params["weight"], before["weight"])


def test_a_network_without_pooling_has_no_conv_base():
    net = Network([Flatten(name="flatten"), Dense(4, 2, name="predictions")], (1, 2, 2))
    with pytest.raises(InputError, match="max-pool"):
        conv_base(net)

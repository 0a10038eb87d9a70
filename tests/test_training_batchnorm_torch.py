"""Batch norm in training inside a network: cnnvis.training.train against the same steps in
PyTorch (issue 18 item 11).

A small conv-bn-relu network (two convs, each followed by a BatchNorm2d in training mode
and a ReLU; global pooling; a dense layer; softmax) is trained by cnnvis.training.train
for one epoch of three mini-batches (12 images, batch 4) with SGD (lr 0.1, momentum 0.9),
no dropout, no augmentation. The batches are the ones the trainer really used (recorded
from its train_step), and PyTorch takes the same three steps on torch_mirror(net) in
train() mode: F.cross_entropy on the logits, torch.optim.SGD(lr=0.1, momentum=0.9).
Every parameter and both batch norms' running mean and variance are compared after the
three steps (the second batch norm with EfficientNet's eps 1e-3 and momentum 0.01).

Tolerances (rel = max|ours - torch| / max|torch| per array): float64 1e-12 [measured
<= 4e-16]: the same arithmetic in another order; float32 1e-5 [measured <= 1.6e-7]:
three steps of float32 training, each through the batch norms' batch statistics.

conv2 keeps its bias, right before a batch norm in training: the bias's gradient is zero
in exact arithmetic (dL/db = sum of the batch norm's dx over N, H, W, and the batch mean is
subtracted), so after three steps both libraries' biases are rounding noise around their
initial 0 (measured <= 6e-9 in float32, 2e-17 in float64) and are compared as zero
(<= 1e-7 / 1e-15), not relatively.

Time: ~2 s, plus the first use of torch.optim, which imports torch._dynamo (~5 s here, once
per session; tests/test_training_optimizers.py pays it too).
"""
import numpy as np
import pytest

from conftest import rel_err
from cnnvis.graph import Network
from cnnvis.layers import BatchNorm2d, Conv2D, Dense, GlobalAveragePool2D, ReLU, Softmax
from cnnvis.training import SGD, train, trainer
from cnnvis.verify.torch_mirror import torch_mirror

TOL = {np.float32: 1e-5, np.float64: 1e-12}
ZERO = {np.float32: 1e-7, np.float64: 1e-15}  # conv2's bias, zero up to rounding
LR, MOMENTUM = 0.1, 0.9


def conv_bn_net(seed=0):
    rng = np.random.default_rng(seed)
    layers = [Conv2D(3, 4, 3, padding=1, bias=False, name="conv1", rng=rng), BatchNorm2d(4, name="bn1"),
              ReLU(name="relu1"), Conv2D(4, 6, 3, 2, "same", name="conv2", rng=rng),
              BatchNorm2d(6, eps=1e-3, momentum=0.01, name="bn2"), ReLU(name="relu2"),
              GlobalAveragePool2D(name="gap"), Dense(6, 3, name="fc", rng=rng), Softmax(name="softmax")]
    bn = layers[1]
    bn.params = {"weight": rng.uniform(0.5, 1.5, 4), "bias": rng.uniform(-0.5, 0.5, 4)}
    bn.buffers = {"running_mean": rng.uniform(-0.5, 0.5, 4), "running_var": rng.uniform(0.5, 2, 4)}
    bn.astype(np.float32)
    return Network(layers, (3, 8, 8), name="conv_bn")


def data(n=12, seed=1):
    rng = np.random.default_rng(seed)
    return (2 * rng.standard_normal((n, 3, 8, 8)) + 0.5).astype(np.float32), rng.integers(0, 3, n)


def train_both(dtype, torch, monkeypatch):
    net = conv_bn_net().astype(dtype)
    mirror = torch_mirror(net).train()  # the initial weights, before ours move
    batches = []
    step = trainer.train_step

    def recording(net, x, y, *args, **kwargs):
        batches.append((x.copy(), y.copy()))
        return step(net, x, y, *args, **kwargs)

    monkeypatch.setattr(trainer, "train_step", recording)
    x, y = data()
    train(net, (x.astype(dtype), y), epochs=1, batch_size=4, optimizer=SGD(LR, MOMENTUM), seed=3,
          progress=False)

    optimizer = torch.optim.SGD(mirror.parameters(), lr=LR, momentum=MOMENTUM)
    for xb, yb in batches:
        optimizer.zero_grad()
        logits = mirror(torch.from_numpy(xb), until="fc")
        torch.nn.functional.cross_entropy(logits, torch.from_numpy(yb)).backward()
        optimizer.step()
    return net, mirror, batches


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_three_sgd_steps_with_batch_norm_equal_pytorch(torch, record_property, monkeypatch, dtype):
    net, mirror, batches = train_both(dtype, torch, monkeypatch)
    assert len(batches) == 3 and all(len(xb) == 4 for xb, _ in batches)
    assert sorted(np.concatenate([yb for _, yb in batches]).tolist()) == sorted(data()[1].tolist())
    assert not net.training  # train() leaves the network in inference mode
    initial = conv_bn_net().astype(dtype)
    worst = 0.0
    for node in net.nodes:
        module = mirror.module(node.name)
        if isinstance(module, torch.nn.Sequential):  # a 'same'-padded conv: (pad, conv)
            module = module[-1]
        for key, ours in node.arrays().items():
            theirs = getattr(module, key).detach().numpy()
            if (node.name, key) == ("conv2", "bias"):  # before a training batch norm: see above
                record_property("conv2.bias max abs", float(max(np.abs(ours).max(), np.abs(theirs).max())))
                assert np.abs(ours).max() <= ZERO[dtype] and np.abs(theirs).max() <= ZERO[dtype]
                continue
            err = rel_err(ours, theirs)
            record_property(f"{node.name}.{key} rel", err)
            worst = max(worst, err)
            assert ours.dtype == dtype, f"{node.name}.{key}"
            assert err <= TOL[dtype], f"{node.name}.{key}: rel {err:.2e}"
            # everything moved (else the comparison proves little)
            assert rel_err(ours, initial[node.name].arrays()[key]) > 1e-4, f"{node.name}.{key}"
    record_property("worst rel", worst)
    assert int(mirror.module("bn1").num_batches_tracked) == 3

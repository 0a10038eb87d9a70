"""Mini-batch training with the engine's own backward passes.

Each step: forward to the logits, the fused softmax cross-entropy gradient (losses.py),
the parameter gradients of the trainable layers (Network.param_gradients, which walks back
only as far as the lowest of them), L2/L1 penalty gradients added, one optimizer step in place. Per epoch:
train and validation loss and accuracy, a checkpoint in cnnvis's HDF5 format and the
history as JSON and CSV. Given the seed (and the same initial weights) a run is repeatable
bit for bit: the seed draws the batch order, the augmentation and the dropout masks.
"""
import os
import time

import numpy as np

from ..engine import to_host
from ..errors import InputError
from ..methods.targets import logits_layer
from ..progress import bar
from ..weights import save
from .history import History
from .losses import l1_penalty, l2_penalty, softmax_cross_entropy
from .optimizers import Adam
from ..schedules import learning_rate


def as_arrays(net, data):
    """(x network input (N, C, H, W), y int labels (N,)) from a Dataset or an (x, y) pair."""
    if data is None:
        return None
    if hasattr(data, "images"):
        x, y = net.preprocess(data.images), data.labels
    else:
        x, y = data
    x, y = np.asarray(x, dtype=net.dtype), np.asarray(y).astype(np.int64)
    if x.ndim != 4 or x.shape[1:] != net.input_shape or len(x) != len(y):
        raise InputError(f"training data must be inputs (N, {', '.join(map(str, net.input_shape))}) "
                         f"and N labels; got {x.shape} and {y.shape}")
    return x, y


def trainable_layers(net, frozen=()):
    """Layers with parameters that are not named in ``frozen``."""
    for name in frozen:
        net.index(name)  # a LayerNotFoundError for a misspelt name
    layers = [node for node in net.nodes if node.params and node.name not in frozen]
    if not layers:
        raise InputError("every layer with parameters is frozen: nothing to train; leave at least "
                         "one of them out of frozen=")
    return layers


def train_step(net, x, y, top, trainable, optimizer, weight_decay=0.0, l1=0.0):
    """One gradient step on the batch (x, y). Returns (cross-entropy, number correct)."""
    logits = net.forward(x, until=top)
    loss, grad = softmax_cross_entropy(logits, y)
    grads = net.param_gradients(grad, start=top, nodes=[layer.name for layer in trainable])
    params = [((layer.name, k), layer.params[k], grads[layer.name][k]) for layer in trainable
              for k in layer.params]
    for strength, penalty in ((weight_decay, l2_penalty), (l1, l1_penalty)):
        if strength:
            weights = [(p, g) for (_, k), p, g in params if k == "weight"]
            for (_, g), extra in zip(weights, penalty([p for p, _ in weights], strength)[1]):
                g += extra
    optimizer.step(params)
    return loss, int((to_host(logits).argmax(axis=1) == y).sum())


def evaluate(net, data, batch_size=256):
    """(mean cross-entropy, accuracy) of net on data (a Dataset or (x, y)), in inference mode."""
    x, y = as_arrays(net, data)
    net.eval()
    top, total, correct = logits_layer(net), 0.0, 0
    for k in range(0, len(x), batch_size):
        logits = net.forward(x[k:k + batch_size], until=top)
        total += softmax_cross_entropy(logits, y[k:k + batch_size])[0] * len(logits)
        correct += int((to_host(logits).argmax(axis=1) == y[k:k + batch_size]).sum())
    return total / len(x), correct / len(x)


def penalty_value(trainable, weight_decay, l1):
    weights = [layer.params["weight"] for layer in trainable if "weight" in layer.params]
    return (l2_penalty(weights, weight_decay)[0] if weight_decay else 0.0) + \
        (l1_penalty(weights, l1)[0] if l1 else 0.0)


def train(net, train_data, val_data=None, epochs=10, batch_size=64, optimizer=None,
          schedule="constant", weight_decay=0.0, l1=0.0, augment=None, frozen=(), seed=0,
          checkpoint_dir=None, progress=None, on_epoch=None):
    """Train ``net`` in place on softmax cross-entropy; returns the History.

    train_data, val_data: Datasets (preprocessed with net.preprocess) or (x, y) pairs of
    network inputs (N, C, H, W) and integer labels (N,).
    optimizer: an SGD or Adam (default Adam(1e-3)); its lr is the base of ``schedule``
    ('constant' | 'step' | 'cosine', per epoch). weight_decay, l1: strengths of the
    (lambda/2)||w||^2 and lambda|w| penalties on conv and dense weights (not biases).
    augment: an Augment (flips, shifts) applied to training batches. frozen: names of
    layers whose parameters stay fixed (no gradients computed for them).
    checkpoint_dir: write epoch_000.h5 (the initial weights), epoch_001.h5, ... and
    history.json / history.csv there.
    on_epoch: called with each epoch's row of the history.
    """
    x, y = as_arrays(net, train_data)
    val = as_arrays(net, val_data)
    if int(batch_size) < 1 or int(epochs) < 1:
        raise InputError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
    optimizer = optimizer or Adam()
    base_lr, top = optimizer.lr, logits_layer(net)
    trainable = trainable_layers(net, frozen)
    order_seed, augment_seed, dropout_seed = np.random.SeedSequence(seed).spawn(3)
    order_rng, augment_rng = np.random.default_rng(order_seed), np.random.default_rng(augment_seed)
    history = History({"network": net.name, "epochs": epochs, "batch_size": batch_size,
                       "optimizer": type(optimizer).__name__,
                       **{k: v for k, v in vars(optimizer).items() if k not in ("state", "lr")},
                       "lr": base_lr, "schedule": schedule, "weight_decay": weight_decay, "l1": l1,
                       "augment": repr(augment), "frozen": list(frozen), "seed": seed,
                       "train_size": len(x), "val_size": len(val[0]) if val else 0})
    if checkpoint_dir:
        save(net, os.path.join(checkpoint_dir, "epoch_000.h5"))  # the start, for filters over training
    for epoch in range(epochs):
        start = time.perf_counter()
        optimizer.lr = learning_rate(schedule, base_lr, epoch, epochs)
        net.train(seed=dropout_seed.spawn(1)[0])
        order, loss_sum, correct = order_rng.permutation(len(x)), 0.0, 0
        steps = range(0, len(x), batch_size)
        with bar(total=len(steps), desc=f"epoch {epoch + 1}/{epochs}", progress=progress,
                 unit="batch") as pbar:
            for k in steps:
                idx = order[k:k + batch_size]
                xb = augment(x[idx], augment_rng) if augment else x[idx]
                loss, right = train_step(net, xb, y[idx], top, trainable, optimizer, weight_decay, l1)
                loss_sum, correct = loss_sum + loss * len(idx), correct + right
                pbar.update()
                pbar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        val_loss, val_acc = evaluate(net, val) if val else (None, None)
        row = {"epoch": epoch + 1, "lr": optimizer.lr, "train_loss": loss_sum / len(x),
               "train_acc": correct / len(x), "val_loss": val_loss, "val_acc": val_acc,
               "penalty": penalty_value(trainable, weight_decay, l1),
               "seconds": time.perf_counter() - start}
        history.append(row)
        if checkpoint_dir:
            save(net, os.path.join(checkpoint_dir, f"epoch_{epoch + 1:03d}.h5"))
            history.save(os.path.join(checkpoint_dir, "history"))
        if on_epoch:
            on_epoch(history.rows[-1])
    net.eval()
    return history

"""Embeddings: a labelled image set's penultimate-layer features, projected to 2-D.

Features: F[n] = the output of the layer before the logits for image n (Krizhevsky et al.
2012, sec. 6.1, compare images by these; Karpathy's CNN-codes t-SNE). Projections:
    PCA   Z = (F - mean F) V_k, V_k the top-k right singular vectors of F - mean F (numpy SVD),
          each component's sign fixed so that its largest |loading| is positive (scikit-learn's
          svd_flip convention, so the numbers match sklearn.decomposition.PCA)
    t-SNE van der Maaten & Hinton (2008), scikit-learn's TSNE (optional: pip install
          'cnnvis[embed]'), perplexity a parameter, PCA initialization, seeded.
"""
from typing import NamedTuple

import numpy as np

from ..engine import holds_weights, to_host
from ..errors import BackendError, InputError
from ..graph import INPUT
from ..layers import Dense
from ..progress import bar
from .targets import logits_layer

METHODS = ("pca", "tsne")


class PCA(NamedTuple):
    """points (N, k): the projection; components (k, D); explained_variance_ratio (k,); mean (D,)."""
    points: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    mean: np.ndarray


class Embedding(NamedTuple):
    """points (N, 2); labels (N,) as given; predictions (N,) the network's classes (None for a
    network without a classifier, e.g. a conv stack); layer: whose output the features are;
    method: 'pca' or 'tsne'."""
    points: np.ndarray
    labels: np.ndarray
    predictions: np.ndarray
    layer: str
    method: str


def classifier(net):
    """The logits layer's name, or None when the network ends without a Dense classifier."""
    logits = logits_layer(net)
    return logits if isinstance(net[logits], Dense) else None


def penultimate_layer(net):
    """The node whose output feeds the classifier (e.g. fc1_dropout, equal to fc1_relu at
    inference; in a ResNet the global pooling); for a network without a classifier, its output."""
    logits = classifier(net)
    if logits is None:
        return net.output
    (source,) = net.inputs_of(logits)
    if source == INPUT:
        raise InputError(f"{net.name} has no layer before its logits layer {logits!r}; give the "
                         "layer whose features to embed (layer=)")
    return source


@holds_weights
def features(net, inputs, layer=None, batch_size=64, progress=None):
    """(features (N, D) of ``layer`` (default penultimate_layer), flattened; predicted classes
    (N,), or None without a classifier) for network input ``inputs`` (N, C, H, W),
    batch_size images at a time."""
    layer = layer or penultimate_layer(net)
    logits = classifier(net)
    feats, preds = [], []
    for k in bar(range(0, len(inputs), batch_size), desc="features", progress=progress):
        batch = inputs[k:k + batch_size]
        if logits is not None:  # this pass may compute the layer too
            preds.append(to_host(net.forward(batch, until=logits)).argmax(axis=1))
        if logits is None or layer not in net.activations:  # (else the last batch's are there)
            net.forward(batch, until=layer)
        feats.append(to_host(net.activations[layer]).reshape(len(batch), -1))
    return np.concatenate(feats).astype(np.float64), np.concatenate(preds) if preds else None


def pca(x, n_components=2):
    """Principal components of the rows of x (N, D) by SVD; returns PCA (module docstring)."""
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or not 1 <= n_components <= min(x.shape):
        raise InputError(f"pca needs (N, D) data with n_components between 1 and min(N, D); "
                         f"got shape {x.shape} and n_components={n_components}")
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    vt = vt * signs[:, None]
    variance = s ** 2
    total = variance.sum()
    ratio = variance / total if total > 0 else np.zeros_like(variance)
    k = int(n_components)
    return PCA((x - mean) @ vt[:k].T, vt[:k], ratio[:k], mean)


def tsne(x, n_components=2, perplexity=30.0, seed=0, max_iter=1000):
    """scikit-learn's t-SNE of the rows of x (N, D): (N, n_components), max_iter gradient
    steps (at least 250). Needs scikit-learn."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise BackendError("t-SNE needs scikit-learn: pip install 'cnnvis[embed]' (or "
                           "scikit-learn); method='pca' needs nothing more") from None
    x = np.asarray(x, np.float64)
    if not 0 < perplexity < len(x):
        raise InputError(f"perplexity must be between 0 and the number of points ({len(x)}), "
                         f"got {perplexity}; about 5 to 50 is usual")
    from threadpoolctl import threadpool_limits
    # one OpenMP thread: a few hundred points need no more, and scikit-learn's OpenMP pool
    # spin-waits: with other jobs on the cores, 100 points took 40 s on two threads, 0.2 s on one
    with threadpool_limits(1, user_api="openmp"):
        return TSNE(n_components, perplexity=perplexity, init="pca", random_state=seed,
                    max_iter=max_iter).fit_transform(x)


def embedding(net, inputs, labels, method="pca", layer=None, perplexity=30.0, seed=0,
              batch_size=64, progress=None):
    """2-D embedding of the ``layer`` features (default the penultimate layer) of network input
    ``inputs`` (N, C, H, W) with labels (N,). Returns Embedding."""
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    labels = np.asarray(labels)
    if len(labels) != len(inputs):
        raise InputError(f"got {len(labels)} labels for {len(inputs)} images; give one per image")
    layer = layer or penultimate_layer(net)
    feats, preds = features(net, inputs, layer, batch_size, progress)
    points = pca(feats).points if method == "pca" else tsne(feats, 2, perplexity, seed)
    return Embedding(points, labels, preds, layer, method)

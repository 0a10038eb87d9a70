"""Embeddings: penultimate features, PCA against scikit-learn and numpy, t-SNE, errors, render."""
import sys

import numpy as np
import pytest
from PIL import Image
from units_nets import tiny_vgg

import cnnvis
from cnnvis.errors import BackendError, InputError
from cnnvis.methods.embedding import embedding, features, pca, penultimate_layer, tsne


def data(n=30):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 16, 16, 3)), rng.integers(0, 5, n)


def test_features_are_the_penultimate_activations():
    net = tiny_vgg()
    images, _ = data()
    x = net.preprocess(images)
    assert penultimate_layer(net) == "fc1_dropout"
    f, preds = features(net, x, batch_size=7, progress=False)
    logits = np.asarray(net.forward(x, until="predictions"))
    # batches of 7 vs all 30 at once: the float32 GEMMs block differently, rounding only
    np.testing.assert_allclose(f, np.asarray(net.activations["fc1_dropout"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(preds, logits.argmax(axis=1))
    f2, _ = features(net, x, "block2_pool", progress=False)
    assert f2.shape == (30, 8 * 4 * 4)


def test_a_conv_stack_has_features_but_no_predictions(tmp_path):
    from cnnvis.render.embedding import save_embedding
    net = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 16, 16), include_top=False)
    images, labels = data(12)
    x = net.preprocess(images)
    assert penultimate_layer(net) == "block2_pool"
    f, preds = features(net, x, progress=False)
    assert preds is None
    np.testing.assert_array_equal(f, np.asarray(net.forward(x)).reshape(12, -1))
    f5, _ = features(net, x, batch_size=5, progress=False)  # each batch its own pass, the last of 2
    np.testing.assert_allclose(f5, f, rtol=1e-5, atol=1e-6)
    emb = embedding(net, x, labels, progress=False)
    assert emb.predictions is None and emb.points.shape == (12, 2)
    assert Image.open(save_embedding(emb, tmp_path / "conv.png")).format == "PNG"


def test_pca_matches_scikit_learn_and_the_covariance_eigenvectors():
    from sklearn.decomposition import PCA
    x = np.random.default_rng(1).standard_normal((40, 6)) @ np.diag([5, 3, 2, 1, 0.5, 0.1])
    ours = pca(x, 3)
    ref = PCA(3, svd_solver="full").fit(x)
    # both float64 SVDs of the same centred matrix
    np.testing.assert_allclose(ours.points, ref.transform(x), atol=1e-10)
    np.testing.assert_allclose(ours.components, ref.components_, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-10)
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))  # ascending eigenvalues
    for k in range(3):
        assert abs(ours.components[k] @ vectors[:, -1 - k]) == pytest.approx(1, abs=1e-10)
    assert ours.explained_variance_ratio[0] == pytest.approx(values[-1] / values.sum(), rel=1e-10)
    with pytest.raises(InputError, match="n_components"):
        pca(x, 7)


def test_tsne_seeded_and_its_errors(monkeypatch):
    x = np.random.default_rng(2).standard_normal((25, 5))
    a, b = tsne(x, perplexity=5, seed=3, max_iter=250), tsne(x, perplexity=5, seed=3, max_iter=250)
    assert a.shape == (25, 2)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(InputError, match="perplexity"):
        tsne(x, perplexity=30)
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)  # as if scikit-learn were missing
    with pytest.raises(BackendError, match=r"cnnvis\[embed\]"):
        tsne(x, perplexity=5)


def test_embedding_and_render(tmp_path):
    from cnnvis.render.embedding import save_embedding
    net = tiny_vgg()
    images, labels = data()
    x = net.preprocess(images)
    emb = embedding(net, x, labels, "pca", progress=False)
    f, preds = features(net, x, progress=False)
    np.testing.assert_allclose(emb.points, pca(f).points, atol=1e-12)  # the same float64 SVD: equal
    np.testing.assert_array_equal(emb.predictions, preds)
    t = embedding(net, x, labels, "tsne", perplexity=8, progress=False)
    assert t.points.shape == (30, 2) and t.method == "tsne"
    path = save_embedding(t, tmp_path / "tsne.png", class_names=net.class_names, images=images,
                          thumbnails=5)
    assert Image.open(path).format == "PNG"
    with pytest.raises(InputError, match="labels"):
        embedding(net, x, labels[:3], progress=False)
    with pytest.raises(InputError, match="method"):
        embedding(net, x, labels, "umap", progress=False)

"""Predictions: top-k classes and probabilities against PyTorch, names, errors, render."""
import numpy as np
import pytest
from PIL import Image
from units_nets import tiny_vgg

from cnnvis.errors import InputError
from cnnvis.methods.predictions import top_k
from cnnvis.verify.torch_mirror import torch_mirror


def test_top_k_matches_torch(torch):
    net = tiny_vgg()
    images = np.random.default_rng(0).integers(0, 256, (5, 16, 16, 3))
    x = net.preprocess(images)
    pred = top_k(net, x, k=3, batch_size=2)
    with torch.no_grad():
        probs = torch_mirror(net)(torch.from_numpy(x))  # ends with nn.Softmax
    values, indices = probs.topk(3, dim=1)
    np.testing.assert_array_equal(pred.classes, indices.numpy())
    # float32 network, softmax in float64 here and float32 in torch
    np.testing.assert_allclose(pred.probabilities, values.numpy(), rtol=1e-5)
    assert pred.names[0, 0] == net.class_names[pred.classes[0, 0]]
    with pytest.raises(InputError, match="only 5 classes"):
        top_k(net, x, k=6)


def test_render(tmp_path):
    from cnnvis.render.predictions import save_predictions
    net = tiny_vgg()
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 3))
    pred = top_k(net, net.preprocess(image), k=5)
    path = save_predictions(image, pred, tmp_path / "pred.png", label="c")
    assert Image.open(path).format == "PNG"

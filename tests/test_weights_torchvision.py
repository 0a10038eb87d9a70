"""PyTorch state dicts in torchvision's VGG16 naming, against the PyTorch model that saved them.

The model is built here with torchvision's module tree (features / avgpool / classifier,
so its state_dict() has torchvision's keys: features.0.weight ... classifier.6.bias),
randomly initialised by PyTorch, saved with torch.save and loaded with cnnvis.

Tolerance 1e-4 relative (max|ours - torch| / max|torch|), float32: the same products
summed in different orders through 16 layers give ~1e-6 (see the assertion messages).
"""
import sys

import numpy as np
import pytest

from conftest import rel_err
from cnnvis.errors import WeightsError
from cnnvis.images import load_image
from cnnvis.loading import detect_format, load

TOL = 1e-4  # float32, see the module docstring
CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def torchvision_vgg16(torch):
    """torchvision.models.vgg16's structure, without torchvision (it is not a dependency)."""
    nn = torch.nn

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], 3
            for v in CFG:
                if v == "M":
                    layers.append(nn.MaxPool2d(2, 2))
                else:
                    layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                    c = v
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    torch.manual_seed(0)
    model = VGG().eval()
    with torch.no_grad():  # He-scaled, so activations keep their size through 16 layers, and
        for p in model.parameters():  # non-zero biases, so that a bias lost on loading shows
            if p.ndim == 1:
                p.uniform_(-0.1, 0.1)
            else:
                p.normal_(0.0, float(np.sqrt(2.0 / p[0].numel())))
    return model


@pytest.fixture(scope="module")
def saved(torch, tmp_path_factory):
    model = torchvision_vgg16(torch)
    path = tmp_path_factory.mktemp("tv") / "vgg16.pth"
    torch.save(model.state_dict(), path)
    return model, path


def torchvision_input(names=("cat", "dog")):
    """torchvision's preprocessing, written here: /255, minus mean, over std, NCHW."""
    images = np.stack([load_image(n) for n in names]).astype(np.float64) / 255
    x = (images - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    return x.transpose(0, 3, 1, 2).astype(np.float32)


def test_state_dict_logits_match_pytorch(torch, saved, record_property):
    model, path = saved
    assert detect_format(str(path)) == "pytorch"
    net = load(path)
    assert len(net.class_names) == 1000 and net.preprocessing.to_dict()["channel_order"] == "RGB"
    ours = net.forward(net.preprocess(np.stack([load_image("cat"), load_image("dog")])),
                       until="predictions")
    with torch.no_grad():
        ref = model(torch.from_numpy(torchvision_input())).numpy()
    err = rel_err(ours, ref)
    record_property("logits_rel_err", err)
    assert err <= TOL, f"logits rel err {err:.2e}"
    assert np.abs(ref[0] - ref[1]).max() > 1e-3 * np.abs(ref).max()  # the two images differ


def test_features_only_state_dict_gives_vgg16_notop(torch, saved, tmp_path, record_property):
    model, _ = saved
    state = {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
    torch.save(state, tmp_path / "features.pt")
    net = load(tmp_path / "features.pt")
    assert "fc1" not in net and net.class_names is None
    x = np.ascontiguousarray(torchvision_input(("dog",))[:, :, 64:160, 64:160])  # any size: 96x96
    with torch.no_grad():
        ref = model.features(torch.from_numpy(x)).numpy()
    err = rel_err(net.forward(x), ref)
    record_property("block5_pool_rel_err", err)
    assert err <= TOL, f"block5_pool rel err {err:.2e}"
    wrapped = {"state_dict": {"module." + k: v for k, v in state.items()}, "epoch": torch.tensor(3)}
    torch.save(wrapped, tmp_path / "checkpoint.pth")  # a training checkpoint of a DataParallel model
    again = load(tmp_path / "checkpoint.pth")
    for (name, key, value), (_, _, same) in zip(net.parameters(), again.parameters(), strict=True):
        assert np.array_equal(value, same), f"{name}.{key}"


def test_pickled_model_is_refused_not_unpickled(torch, tmp_path):
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), tmp_path / "model.pt")
    with pytest.raises(WeightsError, match="never unpickles.*state_dict"):
        load(tmp_path / "model.pt")


def test_bad_state_dicts(torch, saved, tmp_path):
    model, path = saved
    other = {"encoder.conv.weight": torch.zeros(64, 3, 3, 3), "encoder.conv.bias": torch.zeros(64)}
    torch.save(other, tmp_path / "other.pt")
    with pytest.raises(WeightsError, match="no architecture cnnvis knows.*encoder.conv.bias"):
        load(tmp_path / "other.pt")
    state = {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
    state["features.2.weight"] = torch.zeros(64, 32, 3, 3)
    torch.save(state, tmp_path / "shape.pt")
    with pytest.raises(WeightsError, match=r"features.2.*'block1_conv2' weight has shape \(64, 32, 3, 3\)"
                                           r".*needs \(64, 64, 3, 3\)"):
        load(tmp_path / "shape.pt")
    del state["features.2.weight"], state["features.2.bias"]
    torch.save(state, tmp_path / "missing.pt")
    with pytest.raises(WeightsError, match="no weights for layer.*block5_conv3"):
        load(tmp_path / "missing.pt")  # 12 convs for VGG16's 13: the last is left without
    with open(path, "rb") as f:
        (tmp_path / "cut.pth").write_bytes(f.read(4096))  # a download cut short
    with pytest.raises(WeightsError, match="cannot read .*cut.pth as a PyTorch file"):
        load(tmp_path / "cut.pth")


def test_reading_needs_no_torch(saved, monkeypatch):
    model, path = saved
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    net = load(path)
    assert np.array_equal(net["block5_conv3"].params["weight"],
                          model.features[28].weight.detach().numpy())

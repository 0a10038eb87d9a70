"""Grad-CAM and Grad-CAM++ against pytorch-grad-cam's definitions, Score-CAM against the
paper's equations and against the authors' code, each re-implemented here with torch on the
small VGG's mirror.

pytorch-grad-cam (jacobgil, 1.5) cannot be installed here (it needs torchvision), so its
computation is written out below from its source: BaseCAM (hooks on the layer's output,
backward of the sum of the target logits), GradCAM.get_cam_weights (mean of the
gradients), GradCAMPlusPlus.get_cam_weights (alphas with its eps = 1e-6), then
ReLU -> scale_cam_image (x - min, / (1e-7 + max), cv2.resize) -> scale_cam_image again.
cv2.resize(INTER_LINEAR) on float32 maps uses the same half-pixel bilinear rule as
F.interpolate(align_corners=False), which stands in for it.

Score-CAM has two definitions that give different maps (cnnvis/methods/scorecam.py): the
paper's equations (Wang et al. 2020: the increase of confidence over a zero baseline image,
ReLU at the layer's resolution; cnnvis's default) and what the authors' code computes
(github.com/haofanwang/Score-CAM, cam/scorecam.py, ScoreCAM.forward: no baseline, the sum of
score * upsampled map, ReLU at the input's size; definition="code"). Each is written out
below from its own source, one forward per channel, and the two are checked to differ.

TOL = 1e-5 absolute on maps in [0, 1]: float32 rounding plus pytorch-grad-cam's 1e-7 guards
(measured 7e-7 for Grad-CAM and Grad-CAM++, 4e-7 to 3e-6 for Score-CAM).
"""
import numpy as np
import pytest

from conftest import agreement
from methods_nets import TARGETS, small, small_mirror
from cnnvis import methods as M

TOL = 1e-5
LAYER = "block2_conv2_relu"


def layer_output_and_gradient(model, x, layer, targets, torch):
    """A = layer(x) and dS/dA for S = sum of each image's target logit (pytorch-grad-cam's)."""
    store = {}
    handle = model.module(layer).register_forward_hook(lambda m, i, o: store.update(a=o))
    try:
        out = model(torch.from_numpy(x))
        store["a"].retain_grad()
        out[torch.arange(len(x)), torch.tensor(targets)].sum().backward()
    finally:
        handle.remove()
    return store["a"].detach().numpy(), store["a"].grad.numpy()


def scale_cam_image(cam, size=None, torch=None):
    """pytorch-grad-cam's scale_cam_image, with F.interpolate in place of cv2.resize."""
    cam = cam - cam.min(axis=(1, 2), keepdims=True)
    cam = cam / (1e-7 + cam.max(axis=(1, 2), keepdims=True))
    if size is not None:
        cam = torch.nn.functional.interpolate(torch.from_numpy(cam)[:, None], size,
                                              mode="bilinear", align_corners=False)[:, 0].numpy()
    return np.float32(cam)


def pytorch_grad_cam(weights, a, size, torch):
    cam = np.maximum((weights[:, :, None, None] * a).sum(axis=1), 0)
    return scale_cam_image(np.maximum(scale_cam_image(cam, size, torch), 0))


def test_gradcam_matches_pytorch_grad_cam(torch, record_property):
    net, x = small()
    _, logits = small_mirror()
    a, g = layer_output_and_gradient(logits, x, LAYER, TARGETS, torch)
    theirs = pytorch_grad_cam(np.mean(g, axis=(2, 3)), a, x.shape[2:], torch)
    ours = M.gradcam(net, x, TARGETS)  # defaults: the last conv's ReLU, relu, bilinear, min-max
    assert ours.shape == (2, 32, 32) and theirs.max() > 0
    agreement(record_property, "max abs", np.abs(ours - theirs).max(), TOL)
    assert ours.min() == 0 and ours.max() == 1


def test_gradcam_plus_plus_matches_pytorch_grad_cam(torch, record_property):
    net, x = small()
    _, logits = small_mirror()
    a, g = layer_output_and_gradient(logits, x, LAYER, TARGETS, torch)
    g2 = g ** 2
    aij = g2 / (2 * g2 + a.sum(axis=(2, 3))[:, :, None, None] * g2 * g + 0.000001)
    aij = np.where(g != 0, aij, 0)
    weights = np.sum(np.maximum(g, 0) * aij, axis=(2, 3))
    theirs = pytorch_grad_cam(weights, a, x.shape[2:], torch)
    ours = M.gradcam_plus_plus(net, x, TARGETS)
    assert theirs.max() > 0
    agreement(record_property, "max abs", np.abs(ours - theirs).max(), TOL)
    # and it is a different map from Grad-CAM's (else the test above proves little)
    assert np.abs(ours - M.gradcam(net, x, TARGETS)).max() > 0.05


def scorecam_reference(model, x, layer, targets, torch, definition):
    """Score-CAM by the paper's equations (definition 'paper') or as the authors' code
    computes it ('code'), one image and one channel at a time, softmax scores."""
    F = torch.nn.functional
    store = {}
    handle = model.module(layer).register_forward_hook(lambda m, i, o: store.update(a=o))
    up = lambda m: F.interpolate(m, x.shape[2:], mode="bilinear", align_corners=False)  # noqa: E731
    with torch.no_grad():
        xt = torch.from_numpy(x)
        model(xt)
        handle.remove()
        a = store["a"]
        maps = []
        for n, t in enumerate(targets):
            base = F.softmax(model(torch.zeros_like(xt[n:n + 1])), dim=1)[0, t]
            if definition == "paper":  # L = ReLU(sum_k (S(x * M_k) - S(0)) A_k), then up
                cam = torch.zeros(a.shape[2:], dtype=a.dtype)
            else:                       # the authors' score_saliency_map, (1, 1, H, W)
                cam = torch.zeros((1, 1) + x.shape[2:], dtype=a.dtype)
            for k in range(a.shape[1]):
                saliency_map = up(a[n:n + 1, k:k + 1])
                if saliency_map.max() == saliency_map.min():
                    continue
                mask = (saliency_map - saliency_map.min()) / (saliency_map.max() - saliency_map.min())
                score = F.softmax(model(xt[n:n + 1] * mask), dim=1)[0, t]
                if definition == "paper":
                    cam += (score - base) * a[n, k]
                else:
                    cam += score * saliency_map
            if definition == "paper":
                cam = up(F.relu(cam)[None, None])
            else:
                cam = F.relu(cam)
            cam = cam[0, 0]
            maps.append(((cam - cam.min()) / (cam.max() - cam.min())).numpy())
    return np.stack(maps)


@pytest.mark.parametrize("definition,batch_size", [("paper", 5), ("paper", 64), ("code", 5), ("code", 64)])
def test_scorecam_matches_reference(torch, record_property, definition, batch_size):
    net, x = small()
    _, logits = small_mirror()
    theirs = scorecam_reference(logits, x, LAYER, TARGETS, torch, definition)
    ours = M.scorecam(net, x, TARGETS, batch_size=batch_size, definition=definition, progress=False)
    assert ours.shape == (2, 32, 32) and theirs.max() > 0
    agreement(record_property, "max abs", np.abs(ours - theirs).max(), TOL)


def test_scorecam_definitions_differ(torch):
    # else the two reference tests above would prove the same thing twice
    net, x = small()
    paper = M.scorecam(net, x, TARGETS, progress=False)
    code = M.scorecam(net, x, TARGETS, definition="code", progress=False)
    assert np.abs(paper - code).max() > 0.05


def test_scorecam_refuses_an_unknown_definition():
    from cnnvis.errors import InputError
    net, x = small()
    with pytest.raises(InputError, match="definition must be one of"):
        M.scorecam(net, x, TARGETS, definition="authors", progress=False)

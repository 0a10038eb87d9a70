"""Score-CAM: weight each feature map by how much the class score rises when the image is
seen only through that map.

Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
Networks", CVPR workshops 2020. Two definitions, which give different maps:
  * definition="paper" (default): the paper's equations. The weight of map k is the
    increase of confidence over a baseline image, C(A_k) = S(x * M_k) - S(x_b) with
    x_b = 0 (its Definition 1), and L = ReLU(sum_k C(A_k) A_k) at the layer's resolution,
    then upsampled and min-max normalized as Grad-CAM.
  * definition="code": what the authors' code (github.com/haofanwang/Score-CAM,
    cam/scorecam.py) computes: no baseline, w_k = S(x * M_k), maps whose upsampled A_k is
    constant left out, L = ReLU(sum_k w_k up(A_k)) at the input's size, then min-max.
Both use bilinear upsampling, min-max masks M_k = minmax(up(A_k)) and (by default) softmax
scores. No library's numbers to match: tests/test_methods_cam_references.py compares each
with an independent PyTorch implementation of its own equations.
"""
from ..engine import array_module, to_host
from ..errors import InputError
from .batches import pair_batches
from .cam import cam_layer, finish, minmax
from .targets import resolve, scores_and_seed, target_layer, target_scores
from .upsample import upsample as resize

DEFINITIONS = ("paper", "code")


def scorecam(net, x, target, layer=None, score="prob", batch_size=32, relu=True,
             upsample="bilinear", normalize=True, definition="paper", progress=None):
    """Score-CAM map of each image's target at ``layer`` (default: see cam.cam_layer).

    definition="paper":
        M_k = minmax(up(A_k))                     (bilinear to the input; 0 if A_k is constant)
        w_k = S(x * M_k) - S(x_b),  x_b = x * 0   (the channel-wise increase of confidence)
        L   = ReLU(sum_k w_k A_k), then upsampled and min-max normalized as Grad-CAM
    definition="code" (the authors' code):
        w_k = S(x * M_k), 0 where up(A_k) is constant
        L   = ReLU(sum_k w_k up(A_k)) at the input's size, then min-max normalized
    (upsample=None keeps the layer's resolution in both.)

    S is the target's softmax probability (score='prob', the paper's) or logit. The N*K
    masked images run through the network batch_size at a time, with a progress bar.
    x: network input (N, C, H, W). Returns (N, H, W) (or (N, h, w) without upsampling).
    """
    if definition not in DEFINITIONS:
        raise InputError(f"definition must be one of {DEFINITIONS}, got {definition!r}")
    targets = resolve(net, x, target)
    top = target_layer(net, targets, score)
    layer = cam_layer(net, layer, top)
    net.forward(x, until=top)
    a = net.activations[layer]
    xp = array_module(a)
    x = xp.asarray(x, dtype=a.dtype)
    n, k = a.shape[:2]
    gains = []
    for rows in pair_batches(n, k, batch_size, "Score-CAM", "mask", progress):  # (image, channel)
        img, ch = xp.asarray(rows[:, 0]), xp.asarray(rows[:, 1])
        masks = minmax(resize(a[img, ch], x.shape[2:]))
        net.forward(x[img] * masks[:, None], until=top)
        gains.append(target_scores(net.activations[top], [targets[i] for i in rows[:, 0]]))
    scores = xp.concatenate(gains).reshape(n, k)
    if definition == "paper":
        net.forward(xp.zeros_like(x), until=top)
        baseline, _ = scores_and_seed(net, targets, top)
        return finish(scores - xp.asarray(baseline, dtype=a.dtype)[:, None], a, x.shape[2:], relu,
                      upsample, normalize)
    constant = a.max(axis=(2, 3)) == a.min(axis=(2, 3))  # so is up(A_k), and only then
    cam = (xp.where(constant, 0, scores)[:, :, None, None] * a).sum(axis=1)
    if upsample is not None:  # linear: up(sum_k w_k A_k) = sum_k w_k up(A_k), to rounding
        cam = resize(cam, x.shape[2:], upsample)
    if relu:
        cam = xp.maximum(cam, 0)
    return to_host(minmax(cam) if normalize else cam)

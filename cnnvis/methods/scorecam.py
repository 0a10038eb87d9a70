"""Score-CAM: weight each feature map by how much the class score rises when the image is
seen only through that map.

Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
Networks", CVPR workshops 2020 (the authors' code: bilinear upsampling, min-max masks,
softmax scores). No library's numbers to match: the tests compare with an independent
PyTorch implementation of the same equations.
"""
from ..engine import array_module
from .batches import pair_batches
from .cam import cam_layer, finish, minmax
from .targets import resolve, scores_and_seed, target_layer, target_scores
from .upsample import upsample as resize


def scorecam(net, x, target, layer=None, score="prob", batch_size=32, relu=True,
             upsample="bilinear", normalize=True, progress=None):
    """Score-CAM map of each image's target at ``layer`` (default: see cam.cam_layer).

        M_k = minmax(up(A_k))                     (bilinear to the input; 0 if A_k is constant)
        w_k = S(x * M_k) - S(x_b),  x_b = x * 0   (the channel-wise increase of confidence)
        L   = ReLU(sum_k w_k A_k), then upsampled and min-max normalized as Grad-CAM

    S is the target's softmax probability (score='prob', the paper's) or logit. The N*K
    masked images run through the network batch_size at a time, with a progress bar.
    x: network input (N, C, H, W). Returns (N, H, W) (or (N, h, w) without upsampling).
    """
    targets = resolve(net, x, target)
    top = target_layer(net, targets, score)
    layer = cam_layer(net, layer, top)
    net.forward(x, until=top)
    a = net.activations[layer]
    xp = array_module(a)
    x = xp.asarray(x, dtype=a.dtype)
    net.forward(xp.zeros_like(x), until=top)
    baseline, _ = scores_and_seed(net, targets, top)
    n, k = a.shape[:2]
    gains = []
    for rows in pair_batches(n, k, batch_size, "Score-CAM", "mask", progress):  # (image, channel)
        img, ch = xp.asarray(rows[:, 0]), xp.asarray(rows[:, 1])
        masks = minmax(resize(a[img, ch], x.shape[2:]))
        net.forward(x[img] * masks[:, None], until=top)
        gains.append(target_scores(net.activations[top], [targets[i] for i in rows[:, 0]]))
    weights = xp.concatenate(gains).reshape(n, k) - xp.asarray(baseline, dtype=a.dtype)[:, None]
    return finish(weights, a, x.shape[2:], relu, upsample, normalize)

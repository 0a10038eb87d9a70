"""Grad-CAM, Grad-CAM++ and Guided Grad-CAM: where in a layer's maps the class evidence lies.

Grad-CAM: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017. Grad-CAM++: Chattopadhay et al., "Grad-CAM++:
Generalized Gradient-Based Visual Explanations for Deep Convolutional Networks", WACV 2018.
Numbers match Captum's LayerGradCam (relu=False or True, normalize=False) followed by
LayerAttribution.interpolate, Captum's GuidedGradCam, and jacobgil's pytorch-grad-cam
(GradCAM, GradCAMPlusPlus: the defaults relu=True, upsample='bilinear', normalize=True).
"""
from ..engine import array_module, to_host
from .cam import cam_layer, finish
from .targets import resolve, scores_and_seed, target_layer


def _layer_gradient(net, x, target, layer, score):
    """dS/dA at the CAM layer (``layer``, or cam_layer's default for the targets) for each
    image's target; also A, the seed, the targets' layer and the CAM layer."""
    targets = resolve(net, x, target)
    top = target_layer(net, targets, score)
    layer = cam_layer(net, layer, top)
    net.forward(x, until=top)
    _, seed = scores_and_seed(net, targets, top)
    return net.backward(seed, start=top, until=layer), net.activations[layer], seed, top, layer


def gradcam(net, x, target, layer=None, score="logit", relu=True, upsample="bilinear",
            normalize=True):
    """Grad-CAM map of each image's target at ``layer`` (default: see cam.cam_layer).

        w[n, k] = mean_{i,j} dS/dA[n, k, i, j]      L[n] = ReLU(sum_k w[n, k] A[n, k])

    then upsampled to the input (upsample 'bilinear', 'nearest' or None) and min-max
    normalized to [0, 1] per image. relu=False, normalize=False gives Captum's LayerGradCam
    (relu_attributions=False) + LayerAttribution.interpolate(mode=upsample).
    x: network input (N, C, H, W). Returns (N, H, W) (or (N, h, w) without upsampling).
    """
    grads, a, _, _, _ = _layer_gradient(net, x, target, layer, score)
    return finish(grads.mean(axis=(2, 3)), a, x.shape[2:], relu, upsample, normalize)


def gradcam_plus_plus(net, x, target, layer=None, score="logit", relu=True, upsample="bilinear",
                      normalize=True, eps=1e-6):
    """Grad-CAM++: pixel-weighted gradients, with the closed-form alphas for Y = exp(S).

    With g = dS/dA (S the logit), the higher derivatives of exp(S) are powers of g, so
        alpha[k, i, j] = g^2 / (2 g^2 + sum_{a,b} A[k, a, b] * g^3 + eps)   (0 where g = 0)
        w[k] = sum_{i,j} alpha[k, i, j] * ReLU(g[k, i, j])
    and the map is finished as in gradcam. eps=1e-6 is pytorch-grad-cam's guard against a
    zero denominator; eps=0 is the paper's formula.
    Returns (N, H, W) (or (N, h, w) without upsampling).
    """
    g, a, _, _, _ = _layer_gradient(net, x, target, layer, score)
    xp = array_module(g)
    g2 = g * g
    denominator = 2 * g2 + a.sum(axis=(2, 3), keepdims=True) * (g2 * g) + eps
    safe = xp.where(denominator != 0, denominator, 1)
    alpha = xp.where(g != 0, g2 / safe, 0)
    w = (alpha * xp.maximum(g, 0)).sum(axis=(2, 3))
    return finish(w, a, x.shape[2:], relu, upsample, normalize)


def guided_gradcam(net, x, target, layer=None, score="logit", upsample="nearest"):
    """Guided Grad-CAM: guided backprop times the upsampled, rectified, unnormalized Grad-CAM.

        R[n, c, h, w] = GB[n, c, h, w] * up(ReLU(sum_k w[n, k] A[n, k]))[h, w]

    as Captum's GuidedGradCam computes it (its interpolate_mode default 'nearest'; Selvaraju
    et al. upsample bilinearly: upsample='bilinear'). One forward pass, two backward passes.
    Returns R (N, C, H, W) on the host.
    """
    grads, a, seed, top, _ = _layer_gradient(net, x, target, layer, score)
    cam = finish(grads.mean(axis=(2, 3)), a, x.shape[2:], True, upsample, False)
    guided = to_host(net.backward(seed, start=top, rule="guided"))
    return guided * cam[:, None]

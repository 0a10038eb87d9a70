"""What the class activation maps (Grad-CAM, Grad-CAM++, Score-CAM) share: the layer they
look at, and the last steps that turn channel weights into a map.

    L[n] = sum_k w[n, k] * A[n, k]          (A: the layer's output, (N, K, h, w))
    then, each optional and in this order: ReLU, upsampling to the input, min-max to [0, 1].
"""
from ..engine import array_module, to_host
from ..errors import InputError
from ..layers import MaxPool2D
from ..receptive import receptive_fields
from .upsample import MODES, upsample


def cam_layer(net, layer=None, target_layer=None):
    """The layer a CAM looks at: ``layer`` if it has (C, H, W) maps; by default the last node
    with such maps that the output depends on before the first global node (Flatten, global
    pooling), and when that is a max-pool, the node it pools (in VGG, the last conv's ReLU:
    the rectified maps Selvaraju et al. used; in a ResNet the last block's output).

    target_layer: the layer holding the targets' scores. The CAM layer must come before it;
    when the default does not (a unit of a conv layer), the last layer before the target's
    with a smaller receptive field (in VGG: the previous conv's ReLU)."""
    shapes = net.output_shapes()
    spatial = [n for n in net.names if len(shapes[n]) == 3]
    if layer is not None:
        if len(shapes[net[layer].name]) != 3:
            raise InputError(f"layer {layer!r} has output shape {shapes[layer]}; a CAM needs a "
                             f"layer with (C, H, W) maps, one of: {', '.join(spatial)}")
        if target_layer is not None and not net.is_ancestor(layer, target_layer):
            raise InputError(f"the target lives in layer {target_layer!r}, which does not come after "
                             f"the CAM layer {layer!r}; choose a layer before it")
        return layer
    first_global = next((node.name for node in net.nodes if node.extent == "global"), net.output)
    before = [n for n in spatial if n == first_global or net.is_ancestor(n, first_global)]
    if not before:
        raise InputError(f"{net.name} has no layer with (C, H, W) maps for a CAM")
    last = before[-1]
    if isinstance(net[last], MaxPool2D) and net.inputs_of(last)[0] in shapes:
        last = net.inputs_of(last)[0]
    if target_layer is None or net.is_ancestor(last, target_layer):
        return last
    return _before(net, target_layer, spatial)


def _before(net, target_layer, spatial):
    """The last spatial ancestor of ``target_layer`` whose units see less of the image."""
    fields = receptive_fields(net)
    own = fields.get(target_layer)
    earlier = [n for n in spatial if net.is_ancestor(n, target_layer) and n in fields
               and (own is None or fields[n].size < own.size)]
    if not earlier:
        raise InputError(f"no layer with (C, H, W) maps comes before {target_layer!r}, so no CAM "
                         "can explain a target there; choose a target in a later layer")
    return earlier[-1]


def finish(weights, activations, size, relu=True, upsample_mode="bilinear", normalize=True):
    """The map sum_k w_k A_k from weights (N, K) and activations (N, K, h, w), then ReLU,
    upsampling to ``size`` (H, W) (upsample_mode None keeps (h, w)) and per-image min-max
    to [0, 1] (a constant map becomes 0). Returns (N, H, W) on the host."""
    if upsample_mode is not None and upsample_mode not in MODES:
        raise InputError(f"upsample must be one of {MODES} or None, got {upsample_mode!r}")
    xp = array_module(activations)
    cam = (weights[:, :, None, None] * activations).sum(axis=1)
    if relu:
        cam = xp.maximum(cam, 0)
    if upsample_mode is not None:
        cam = upsample(cam, size, upsample_mode)
    return to_host(minmax(cam) if normalize else cam)


def minmax(maps):
    """Each map of maps (N, h, w) scaled to [0, 1]: (m - min m) / (max m - min m), 0 where m
    is constant. Stays on the maps' device."""
    xp = array_module(maps)
    lo = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - lo
    return xp.where(span > 0, (maps - lo) / xp.where(span > 0, span, 1), 0)

"""Receptive and projective fields: which pixels a unit sees, which units a pixel box can change.

Per axis, a layer with kernel k, stride s and leading padding p maps the field of
its input units (size r, jump j, start t: unit u sees pixels t + u*j ... t + u*j + r - 1)
to that of its output units:

    r' = r + (k - 1) * j        j' = j * s        t' = t - p * j

Pointwise layers (ReLU, dropout) keep the field; after Flatten every unit sees the
whole image. VGG16's pool5: r = 212, j = 32, t = -90 (an effective padding of 90).

The projective field runs the other way: an input range [a, b] of a layer with
(k, s, p) can change outputs o with o*s - p <= b and o*s - p + k - 1 >= a, i.e.
    o in [ceil((a + p - k + 1) / s), floor((b + p) / s)]   clipped to the map.
Boxes are half-open (row0, row1, col0, col1), ready for slicing x[..., row0:row1, col0:col1].
"""
from dataclasses import dataclass

from .errors import InputError


@dataclass(frozen=True)
class Field:
    """Receptive field of one layer's units, per axis (rows, cols)."""
    size: tuple
    jump: tuple
    start: tuple

    @property
    def padding(self):
        """The effective padding: how far the first unit's field reaches before pixel 0."""
        return (-self.start[0], -self.start[1])


def receptive_fields(net):
    """{layer name: Field} for every layer up to the first Flatten (later layers see everything)."""
    size, jump, start = [1, 1], [1, 1], [0, 0]
    fields = {}
    for layer in net.layers:
        if type(layer).__name__ == "Flatten":
            break
        if layer.geometry is not None:
            for ax, (k, s, p) in enumerate(layer.geometry):
                size[ax] += (k - 1) * jump[ax]
                start[ax] -= p * jump[ax]
                jump[ax] *= s
        fields[layer.name] = Field(tuple(size), tuple(jump), tuple(start))
    return fields


def receptive_field(net, name):
    """Field of the units of layer ``name`` (a conv, pool or pointwise layer)."""
    fields = receptive_fields(net)
    if name not in fields:
        net.index(name)  # unknown name -> the usual error
        raise InputError(f"layer {name!r} comes after Flatten: each of its units sees the whole image")
    return fields[name]


def unit_box(net, name, i, j, image_shape=None, clip=True):
    """Input pixels seen by unit (i, j) of layer ``name``: half-open (r0, r1, c0, c1).

    Clipped to the image (image_shape (H, W), default the network's input) unless clip=False.
    """
    f = receptive_field(net, name)
    h, w = image_shape if image_shape is not None else net.input_shape[1:]
    _, ho, wo = _map_shapes(net, name, (h, w))[name]
    if not (0 <= i < ho and 0 <= j < wo):
        raise InputError(f"unit ({i}, {j}) is outside the {ho}x{wo} map of layer {name!r}; "
                         f"use 0 <= i < {ho} and 0 <= j < {wo}")
    r0, c0 = f.start[0] + i * f.jump[0], f.start[1] + j * f.jump[1]
    box = (r0, r0 + f.size[0], c0, c0 + f.size[1])
    if not clip:
        return box
    return (max(0, box[0]), min(h, box[1]), max(0, box[2]), min(w, box[3]))


def _map_shapes(net, name, image_shape):
    """{layer: output shape} for an image of (H, W), up to layer ``name`` only (later dense
    layers need not accept the size)."""
    shape, shapes = (net.input_shape[0],) + tuple(image_shape), {}
    for layer in net.layers[:net.index(name) + 1]:
        shape = shapes[layer.name] = layer.output_shape(shape)
    return shapes


def project_range(lo, hi, kernel, stride, pad, out_size):
    """Outputs [o0, o1) that input rows [lo, hi) can change, for one axis of one layer."""
    if hi <= lo:  # nothing changed stays nothing (a kernel smaller than its stride skips rows)
        return 0, 0
    o0 = max(0, -((-(lo + pad - kernel + 1)) // stride))  # ceil division
    o1 = min(out_size, (hi - 1 + pad) // stride + 1)
    return o0, max(o0, o1)


def projective_field(net, name, box, image_shape=None):
    """Units of layer ``name`` that the input pixel box (r0, r1, c0, c1) can change.

    Returns a half-open box in the coordinates of that layer's output map.
    """
    h, w = image_shape if image_shape is not None else net.input_shape[1:]
    shapes = _map_shapes(net, name, (h, w))
    stop = net.index(name)
    (r0, r1, c0, c1) = box
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise InputError(f"box {box} is not a non-empty box inside the {h}x{w} image")
    for layer in net.layers[:stop + 1]:
        if type(layer).__name__ == "Flatten":
            raise InputError(f"layer {name!r} comes after Flatten: every unit sees the whole image")
        if layer.geometry is not None:
            _, oh, ow = shapes[layer.name]
            (kh, sh, ph), (kw, sw, pw) = layer.geometry
            r0, r1 = project_range(r0, r1, kh, sh, ph, oh)
            c0, c1 = project_range(c0, c1, kw, sw, pw, ow)
    return (r0, r1, c0, c1)

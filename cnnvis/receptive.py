"""Receptive and projective fields: which pixels a unit sees, which units a pixel box can change.

Per axis, a window layer with kernel span k (dilation included), stride s and leading
padding p maps the field of its input units (size r, jump j, start t: unit u sees pixels
t + u*j ... t + u*j + r - 1) to that of its output units:

    r' = r + (k - 1) * j        j' = j * s        t' = t - p * j

Pointwise layers (ReLU, BatchNorm, dropout) keep the field. Where several inputs meet (Add,
Concat), a unit sees the box covering every input's box: t' = min t_i, r' = max(t_i + r_i) - t';
their jumps must agree. After a global layer (Flatten, Dense, global pooling) every unit
sees the whole image. VGG16's pool5: r = 212, j = 32, t = -90 (an effective padding of 90).

The projective field runs the other way: an input range [a, b] of a layer with
(k, s, p) can change outputs o with o*s - p <= b and o*s - p + k - 1 >= a, i.e.
    o in [ceil((a + p - k + 1) / s), floor((b + p) / s)]   clipped to the map;
where inputs meet, the changed region is the box covering the inputs' changed regions, and
a changed input broadcast from a 1x1 map (squeeze-and-excitation) changes the whole map.
Boxes are half-open (row0, row1, col0, col1), ready for slicing x[..., row0:row1, col0:col1].
"""
from dataclasses import dataclass

from .errors import InputError
from .graph import INPUT


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


def spatial_shapes(net, image_hw=None, until=None):
    """{node: output shape} for an (H, W) image ('input' included); None where a node cannot
    take that size (a dense layer built for another) and after it."""
    def shape(node, *inputs):
        if any(s is None for s in inputs):
            return None
        try:
            return tuple(node.output_shape(*inputs))
        except InputError:
            if node.extent == "global":
                return None
            raise

    return net.walk(shape, (net.input_shape[0],) + tuple(image_hw or net.input_shape[1:]), until)


def receptive_fields(net, image_hw=None):
    """{node name: Field} for every node before the global ones (later nodes see everything).

    image_hw: the image size (default the network's), which 'same' paddings depend on."""
    shapes = spatial_shapes(net, image_hw)

    def field(node, *inputs):
        if node.extent == "global" or shapes[node.name] is None or any(f is None for f in inputs):
            return None
        f = _cover(node, inputs)
        if node.extent == "window":
            f = _through_window(f, node.window(*shapes[node.inputs[0]][1:]))
        return f

    fields = net.walk(field, Field((1, 1), (1, 1), (0, 0)))
    return {name: f for name, f in fields.items() if f is not None and name != INPUT}


def _cover(node, fields):
    """The field covering the fields of a node's inputs (their jumps must agree)."""
    if len(fields) == 1:
        return fields[0]
    if len({f.jump for f in fields}) > 1:
        raise InputError(f"layer {node.name!r} merges inputs with different strides in the image "
                         f"({', '.join(str(f.jump) for f in fields)}): their units do not line up")
    start = tuple(min(f.start[ax] for f in fields) for ax in range(2))
    end = tuple(max(f.start[ax] + f.size[ax] for f in fields) for ax in range(2))
    return Field(tuple(e - s for s, e in zip(start, end)), fields[0].jump, start)


def _through_window(f, win):
    size, jump, start = [], [], []
    for ax in range(2):
        k, s, p = win.axis(ax)
        size.append(f.size[ax] + (k - 1) * f.jump[ax])
        start.append(f.start[ax] - p * f.jump[ax])
        jump.append(f.jump[ax] * s)
    return Field(tuple(size), tuple(jump), tuple(start))


def receptive_field(net, name, image_hw=None):
    """Field of the units of node ``name`` (a conv, pool or pointwise layer)."""
    fields = receptive_fields(net, image_hw)
    if name not in fields:
        net.index(name)  # unknown name -> the usual error
        raise InputError(f"layer {name!r} comes after a global layer (Flatten, Dense, global "
                         "pooling): each of its units sees the whole image")
    return fields[name]


def unit_box(net, name, i, j, image_shape=None, clip=True):
    """Input pixels seen by unit (i, j) of node ``name``: half-open (r0, r1, c0, c1).

    Clipped to the image (image_shape (H, W), default the network's input) unless clip=False.
    """
    h, w = image_shape if image_shape is not None else net.input_shape[1:]
    f = receptive_field(net, name, (h, w))
    _, ho, wo = spatial_shapes(net, (h, w), name)[name]
    if not (0 <= i < ho and 0 <= j < wo):
        raise InputError(f"unit ({i}, {j}) is outside the {ho}x{wo} map of layer {name!r}; "
                         f"use 0 <= i < {ho} and 0 <= j < {wo}")
    r0, c0 = f.start[0] + i * f.jump[0], f.start[1] + j * f.jump[1]
    box = (r0, r0 + f.size[0], c0, c0 + f.size[1])
    if not clip:
        return box
    return (max(0, box[0]), min(h, box[1]), max(0, box[2]), min(w, box[3]))


def project_range(lo, hi, kernel, stride, pad, out_size):
    """Outputs [o0, o1) that input rows [lo, hi) can change, for one axis of one layer."""
    if hi <= lo:  # nothing changed stays nothing (a kernel smaller than its stride skips rows)
        return 0, 0
    o0 = max(0, -((-(lo + pad - kernel + 1)) // stride))  # ceil division
    o1 = min(out_size, (hi - 1 + pad) // stride + 1)
    return o0, max(o0, o1)


def project_box(node, boxes, in_shapes, out_shape):
    """The box of node's output map that changed input boxes (None: unchanged) can change.

    boxes, in_shapes: per input; out_shape (C, H, W). Window layers project each axis; a
    merge covers its inputs' boxes; a changed 1x1 input broadcast to a larger map, or a
    global node, changes everything; None when nothing changed."""
    _, h, w = out_shape
    changed = [(b, s) for b, s in zip(boxes, in_shapes) if b is not None and b[0] < b[1] and b[2] < b[3]]
    if not changed:
        return None
    if node.extent == "global" or any(s[1:] == (1, 1) and (h, w) != (1, 1) for _, s in changed):
        return (0, h, 0, w)
    if node.extent == "window":
        (r0, r1, c0, c1), shape = changed[0]
        win = node.window(*shape[1:])
        (kh, sh, ph), (kw, sw, pw) = win.axis(0), win.axis(1)
        return project_range(r0, r1, kh, sh, ph, h) + project_range(c0, c1, kw, sw, pw, w)
    return (min(b[0] for b, _ in changed), max(b[1] for b, _ in changed),
            min(b[2] for b, _ in changed), max(b[3] for b, _ in changed))


def projective_field(net, name, box, image_shape=None):
    """Units of node ``name`` that the input pixel box (r0, r1, c0, c1) can change, in an
    image of image_shape (H, W) (default the network's input). Returns a half-open box in the
    coordinates of that node's output map.
    """
    h, w = image_shape if image_shape is not None else net.input_shape[1:]
    (r0, r1, c0, c1) = box
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise InputError(f"box {box} is not a non-empty box inside the {h}x{w} image")
    shapes = spatial_shapes(net, (h, w), name)
    if shapes[net[name].name] is None or len(shapes[net[name].name]) != 3:
        raise InputError(f"layer {name!r} comes after a global layer: every unit sees the whole image")

    def project(node, *boxes):
        return project_box(node, boxes, [shapes[i] for i in node.inputs], shapes[node.name])

    found = net.walk(project, tuple(box), name)[name]
    return found if found is not None else (0, 0, 0, 0)

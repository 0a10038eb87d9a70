"""Receptive and projective fields (cnnvis/receptive.py) against hand-derived values and
brute force.

Brute force: with non-negative weights, zero biases and a zero image, every unit is 0;
raising one pixel to 1 makes exactly the units that depend on it positive (a conv sums
non-negative terms, ReLU keeps positives, a max-pool window holding one rises). So
"which units change when pixel p changes" is read off exactly, for all pixels at once
with a batch of one-hot images, in float64.
"""
import numpy as np
import pytest

import cnnvis
from cnnvis.errors import InputError, LayerNotFoundError
from cnnvis.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from cnnvis.graph import Network
from cnnvis.receptive import projective_field, receptive_field, receptive_fields, unit_box

# VGG16 by hand: a 3x3 conv adds 2 * jump to the size and moves the start by -1 * jump;
# a 2x2/2 pool adds 1 * jump and doubles the jump.  (size, jump, start) per layer:
VGG16_FIELDS = {
    "block1_conv1": (3, 1, -1), "block1_conv2": (5, 1, -2), "block1_pool": (6, 2, -2),
    "block2_conv1": (10, 2, -4), "block2_conv2": (14, 2, -6), "block2_pool": (16, 4, -6),
    "block3_conv1": (24, 4, -10), "block3_conv2": (32, 4, -14), "block3_conv3": (40, 4, -18),
    "block3_pool": (44, 8, -18),
    "block4_conv1": (60, 8, -26), "block4_conv2": (76, 8, -34), "block4_conv3": (92, 8, -42),
    "block4_pool": (100, 16, -42),
    "block5_conv1": (132, 16, -58), "block5_conv2": (164, 16, -74), "block5_conv3": (196, 16, -90),
    "block5_pool": (212, 32, -90),  # the published value: 212 pixels, stride 32, padding 90
}


@pytest.fixture(scope="module")
def vgg16_conv():
    return cnnvis.vgg16(include_top=False)


def test_vgg16_known_fields(vgg16_conv):
    fields = receptive_fields(vgg16_conv)
    for name, (size, jump, start) in VGG16_FIELDS.items():
        f = fields[name]
        assert (f.size, f.jump, f.start) == ((size,) * 2, (jump,) * 2, (start,) * 2), name
        assert fields[name + "_relu"] == f if "conv" in name else True  # pointwise: same field
    assert receptive_field(vgg16_conv, "block5_pool").padding == (90, 90)


def test_vgg16_unit_boxes_clipped_at_the_border(vgg16_conv):
    # pool5 unit (0, 0) starts 90 pixels before the image; unit (6, 6) ends 90 after it
    assert unit_box(vgg16_conv, "block5_pool", 0, 0, clip=False) == (-90, 122, -90, 122)
    assert unit_box(vgg16_conv, "block5_pool", 0, 0) == (0, 122, 0, 122)
    assert unit_box(vgg16_conv, "block5_pool", 6, 6, clip=False) == (102, 314, 102, 314)
    assert unit_box(vgg16_conv, "block5_pool", 6, 6) == (102, 224, 102, 224)
    assert unit_box(vgg16_conv, "block5_pool", 3, 1) == (6, 218, 0, 154)
    assert unit_box(vgg16_conv, "block1_conv1", 0, 223) == (0, 2, 222, 224)
    # another image size: the conv stack takes any size
    assert unit_box(vgg16_conv, "block5_pool", 9, 9, image_shape=(320, 320)) == (198, 320, 198, 320)


def test_vgg16_projective_field(vgg16_conv):
    # one pixel at (100, 100) reaches block1_conv1 units 99..101, and pool5 units whose
    # 212-wide fields (start 32 o - 90) contain 100: o = 0 .. 5
    assert projective_field(vgg16_conv, "block1_conv1", (100, 101, 100, 101)) == (99, 102, 99, 102)
    assert projective_field(vgg16_conv, "block5_pool", (100, 101, 100, 101)) == (0, 6, 0, 6)
    assert projective_field(vgg16_conv, "block5_pool", (0, 224, 0, 224)) == (0, 7, 0, 7)


# ---- brute force on small networks with odd geometry ----------------------------------------
def odd_net():
    """Odd kernels, strides and asymmetric paddings; every pixel reaches some unit."""
    return Network([
        Conv2D(1, 2, 5, stride=3, padding=(2, 1, 0, 2), name="conv1"), ReLU(name="relu1"),
        MaxPool2D(3, stride=2, padding=1, name="pool1"),
        Conv2D(2, 2, (3, 2), stride=(2, 1), padding=(0, 1, 1, 0), name="conv2"),
        MaxPool2D((2, 3), stride=(1, 2), name="pool2"),
        Conv2D(2, 1, 1, name="conv3"),
    ], input_shape=(1, 29, 31))


def gappy_net():
    """A 1x1 stride-2 conv first: odd pixels reach nothing at all (fields with holes)."""
    return Network([
        Conv2D(1, 2, 1, stride=2, name="down"), Conv2D(2, 2, 3, padding=1, name="conv"),
        ReLU(name="relu"), MaxPool2D(2, name="pool"), Conv2D(2, 1, 3, stride=3, padding=(2, 0, 1, 1),
                                                            name="last"),
    ], input_shape=(1, 17, 19))


def dependence(net):
    """{layer: bool (H, W, Ho, Wo)}: does pixel (r, c) change unit (i, j) of the layer?"""
    net.astype(np.float64)
    for layer in net.nodes:
        if layer.params:
            layer.params["weight"] = np.abs(layer.params["weight"]) + 0.1
            layer.params["bias"] = np.zeros_like(layer.params["bias"])
    _, h, w = net.input_shape
    x = np.eye(h * w).reshape(h * w, 1, h, w)  # image k lights pixel k
    net.forward(x)
    return {name: (a > 0).any(axis=1).reshape(h, w, a.shape[2], a.shape[3])
            for name, a in net.activations.items()}


def box_of(mask):
    """Half-open bounding box (r0, r1, c0, c1) of a 2-D bool mask, None when empty."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return None
    return (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)


def is_empty(box):
    return box[0] >= box[1] or box[2] >= box[3]


@pytest.mark.parametrize("make", [odd_net, gappy_net])
def test_unit_box_matches_brute_force(make):
    net = make()
    dep = dependence(net)
    for name, d in dep.items():
        for i in range(d.shape[2]):
            for j in range(d.shape[3]):
                assert unit_box(net, name, i, j) == box_of(d[:, :, i, j]), (name, i, j)


def test_odd_net_fields_are_full_boxes():
    # without holes every pixel of a unit's box really reaches it (the box is not too big)
    net = odd_net()
    for name, d in dependence(net).items():
        for i in range(d.shape[2]):
            for j in range(d.shape[3]):
                r0, r1, c0, c1 = unit_box(net, name, i, j)
                assert d[r0:r1, c0:c1, i, j].all(), (name, i, j)


@pytest.mark.parametrize("make", [odd_net, gappy_net])
def test_projective_field_matches_brute_force(make):
    net = make()
    dep = dependence(net)
    _, h, w = net.input_shape
    rng = np.random.default_rng(0)
    boxes = [(r, r + 1, c, c + 1) for r in range(h) for c in range(w)]  # every single pixel
    for _ in range(150):  # and random boxes, the border ones included
        r0, c0 = rng.integers(0, h), rng.integers(0, w)
        boxes.append((r0, rng.integers(r0 + 1, h + 1), c0, rng.integers(c0 + 1, w + 1)))
    boxes += [(0, h, 0, w), (h - 1, h, w - 1, w), (0, 1, 0, 1)]
    for name, d in dep.items():
        for box in boxes:
            r0, r1, c0, c1 = box
            reached = d[r0:r1, c0:c1].any(axis=(0, 1))  # (Ho, Wo): units any pixel changes
            got = projective_field(net, name, box)
            if not reached.any():
                assert is_empty(got), (name, box, got)
                continue
            expected = np.zeros_like(reached)
            expected[got[0]:got[1], got[2]:got[3]] = True
            assert np.array_equal(reached, expected), (name, box, got, box_of(reached))


def test_gappy_net_has_unreachable_pixels():
    # the premise of gappy_net: pixel (1, 1) changes nothing, anywhere
    net = gappy_net()
    dep = dependence(net)
    assert not any(d[1, 1].any() for d in dep.values())
    for name in dep:
        assert is_empty(projective_field(net, name, (1, 2, 1, 2))), name


# ---- errors --------------------------------------------------------------------------------
def small_top_net():
    return Network([Conv2D(1, 2, 3, name="conv"), ReLU(name="relu"), Flatten(name="flatten"),
                    Dense(2 * 4 * 4, 3, name="fc")], input_shape=(1, 6, 6))


def test_errors():
    net = small_top_net()
    with pytest.raises(InputError, match="whole image"):
        receptive_field(net, "fc")
    with pytest.raises(InputError, match="whole image"):
        projective_field(net, "fc", (0, 1, 0, 1))
    with pytest.raises(LayerNotFoundError, match="conv, relu, flatten, fc"):
        receptive_field(net, "conv9")
    with pytest.raises(InputError, match="inside the 6x6 image"):
        projective_field(net, "conv", (0, 7, 0, 1))
    with pytest.raises(InputError, match="inside the 6x6 image"):
        projective_field(net, "conv", (2, 2, 0, 1))


def test_unit_outside_the_map_is_an_error():
    net = small_top_net()  # conv's map is 4x4
    assert unit_box(net, "conv", 3, 3) == (3, 6, 3, 6)
    for i, j in [(4, 0), (0, 4), (-1, 0)]:
        with pytest.raises(InputError, match="4x4"):
            unit_box(net, "conv", i, j)


def test_other_image_sizes_on_a_network_with_a_dense_top():
    # only the layers up to the one asked about need to accept the size (not fc's 32 inputs)
    net = small_top_net()
    assert unit_box(net, "relu", 6, 0, image_shape=(9, 9)) == (6, 9, 0, 3)
    assert projective_field(net, "conv", (8, 9, 0, 1), image_shape=(9, 9)) == (6, 7, 0, 1)

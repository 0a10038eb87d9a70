"""Maximally activating patches against brute force: the top-k sets, their order and ties,
the receptive-field boxes (derived by hand here), streaming sources, projections, render."""
import numpy as np
import pytest
from PIL import Image
from units_nets import tiny_vgg

import cnnvis
from cnnvis.errors import InputError, TargetError
from cnnvis.methods.deconvnet import deconvnet
from cnnvis.methods.targets import Unit
from cnnvis.methods.top_patches import top_patch_projections, top_patches

UNITS = [Unit("block1_conv2_relu", 1), Unit("block2_conv1", 3), Unit("block2_conv1", 0, 2, 5),
         Unit("fc1", 7)]


def images(n=23, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 16, 16, 3), dtype=np.uint8)


def hand_box(unit, i, j, size=16):
    """The receptive field by hand. block1_conv2: two 3x3 'same' convs, field 5, jump 1, start -2.
    block2_conv1: then a 2x2/2 pool (field 6, jump 2) and a 3x3 conv: field 6 + 2*2 = 10, start
    -2 - 1*2 = -4, jump 2. A dense unit sees the whole image."""
    if unit.layer.startswith("fc"):
        return (0, size, 0, size)
    if unit.layer.startswith("block1"):
        r0, c0, f = i - 2, j - 2, 5
    else:
        r0, c0, f = 2 * i - 4, 2 * j - 4, 10
    return (max(0, r0), min(size, r0 + f), max(0, c0), min(size, c0 + f))


def brute_force(net, data, unit, k):
    """[(score, image index, (i, j) or None)] of the top k, from all activations at once."""
    net.forward(net.preprocess(data), until=unit.layer)
    a = np.asarray(net.activations[unit.layer], np.float64)
    rows = []
    for n in range(len(data)):
        if a.ndim == 2:
            rows.append((a[n, unit.channel], n, None))
        elif unit.i is not None:
            rows.append((a[n, unit.channel, unit.i, unit.j], n, (unit.i, unit.j)))
        else:
            m = a[n, unit.channel]
            flat = int(np.argmax(m))  # numpy: the first maximum in row-major order
            rows.append((m.reshape(-1)[flat], n, divmod(flat, m.shape[1])))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return rows[:k]


@pytest.mark.parametrize("batch_size", [1, 5, 64])
def test_top_k_sets_order_and_boxes_match_brute_force(batch_size):
    net, data = tiny_vgg(), images()
    result = top_patches(net, data, UNITS, k=6, batch_size=batch_size, progress=False)
    assert result.count == len(data)
    for unit, patches in zip(UNITS, result.patches):
        expected = brute_force(net, data, unit, 6)
        assert [p.index for p in patches] == [n for _, n, _ in expected]
        assert [p.position for p in patches] == [ij for _, _, ij in expected]
        # float32 activations, the same kernels batch by batch as all at once: rounding only
        np.testing.assert_allclose([p.score for p in patches], [s for s, _, _ in expected], rtol=1e-5)
        for p in patches:
            box = hand_box(unit, *(p.position or (0, 0)))
            assert p.box == box
            np.testing.assert_array_equal(p.crop, data[p.index][box[0]:box[1], box[2]:box[3]])
            np.testing.assert_array_equal(p.image, data[p.index])


def test_inside_keeps_maxima_whose_field_is_inside_the_image():
    """block2_conv1's fields (10 pixels, jump 2, start -4, by hand) lie inside a 16x16 image for
    rows and columns 2 to 5 only (start + 2 i >= 0 and start + 2 i + 10 <= 16)."""
    net, data = tiny_vgg(), images()
    unit = Unit("block2_conv1", 3)
    result = top_patches(net, data, unit, k=5, inside=True, progress=False)
    net.forward(net.preprocess(data), until=unit.layer)
    a = np.asarray(net.activations[unit.layer], np.float64)[:, 3, 2:6, 2:6].reshape(len(data), -1)
    best = a.max(axis=1)
    order = sorted(range(len(data)), key=lambda n: (-best[n], n))[:5]
    assert [p.index for p in result.patches[0]] == order
    for p in result.patches[0]:
        assert 2 <= p.position[0] <= 5 and 2 <= p.position[1] <= 5
        assert p.box == p.field and p.crop.shape == (10, 10, 3)  # never clipped
    convs = cnnvis.small_vgg(widths=(4, 8), input_shape=(3, 16, 16), include_top=False)
    with pytest.raises(InputError, match="inside"):  # 8x8 images, 10x10 fields
        top_patches(convs, images(2)[:, :8, :8], unit, inside=True, progress=False)


def test_ties_go_to_the_lower_image_index_whatever_the_batch_size():
    data = np.repeat(images(1), 10, axis=0)  # ten identical images: every score ties
    for batch_size in (1, 3, 10):
        result = top_patches(tiny_vgg(), data, UNITS[:2], k=4, batch_size=batch_size, progress=False)
        assert [[p.index for p in ps] for ps in result.patches] == [[0, 1, 2, 3]] * 2


def test_a_generator_is_read_once_lazily_in_batches():
    net, data = tiny_vgg(), images(11)
    batch_sizes, forward = [], net.forward

    def spy(x, *args, **kwargs):
        batch_sizes.append(len(x))
        return forward(x, *args, **kwargs)

    net.forward = spy
    pulled = []

    def stream():
        for n, image in enumerate(data):
            pulled.append((n, len(batch_sizes)))  # how many batches ran when image n was taken
            yield image

    gen = stream()
    result = top_patches(net, gen, UNITS[0], k=3, batch_size=4, progress=False)
    assert result.count == 11 and len(pulled) == 11
    assert next(gen, None) is None  # consumed, and only once
    assert batch_sizes == [4, 4, 3]
    # image n is pulled only after the batches before its own have run: never read ahead
    assert all(done == n // 4 for n, done in pulled)
    assert [p.index for p in result.patches[0]] == [n for _, n, _ in brute_force(net, data, UNITS[0], 3)]


def test_folder_and_array_sources_agree(tmp_path):
    data = images(7, seed=2)
    for n, image in enumerate(data):
        Image.fromarray(image).save(tmp_path / f"img{n:02d}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    net = tiny_vgg()
    a = top_patches(net, str(tmp_path), UNITS[1], k=3, batch_size=2, progress=False)
    b = top_patches(net, data, UNITS[1], k=3, batch_size=2, progress=False)
    assert [(p.index, p.position, p.box) for p in a.patches[0]] == \
        [(p.index, p.position, p.box) for p in b.patches[0]]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        top_patches(net, str(tmp_path / "empty"), UNITS[1], progress=False)


def test_projections_live_inside_the_boxes():
    """A unit's deconvnet projection is zero outside its receptive field: it must fit the box."""
    net, data = tiny_vgg(), images()
    result = top_patches(net, data, UNITS[:3], k=3, progress=False)
    projections = top_patch_projections(net, result)
    for unit, patches, projs in zip(result.units, result.patches, projections):
        for p, proj in zip(patches, projs):
            full = deconvnet(net, net.preprocess(p.image), Unit(unit.layer, unit.channel, *p.position))[0]
            r0, r1, c0, c1 = p.box
            outside = full.copy()
            outside[:, r0:r1, c0:c1] = 0
            assert np.abs(outside).max() == 0 and np.abs(full).max() > 0
            np.testing.assert_array_equal(proj, full[:, r0:r1, c0:c1])


def test_bad_units_raise():
    net, data = tiny_vgg(), images(3)
    with pytest.raises(TargetError, match="channel"):
        top_patches(net, data, Unit("block2_conv1"), progress=False)
    with pytest.raises(TargetError, match="out of range"):
        top_patches(net, data, Unit("block2_conv1", 99), progress=False)
    with pytest.raises(TargetError, match="outside"):
        top_patches(net, data, Unit("block2_conv1", 0, 8, 0), progress=False)


def test_render(tmp_path):
    from cnnvis.render.top_patches import save_top_patches
    net = tiny_vgg()
    result = top_patches(net, images(), UNITS, k=9, progress=False)
    path = save_top_patches(result, tmp_path / "top.png", top_patch_projections(net, result, "guided"),
                            net, projection_title="guided backprop")
    assert Image.open(path).format == "PNG"
    with pytest.raises(InputError, match="net="):
        save_top_patches(result, tmp_path / "no.png", top_patch_projections(net, result))

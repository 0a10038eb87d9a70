"""The evaluation metrics on networks and maps whose answers are known by hand: deletion and
insertion on a linear network, ROAD's imputation on a linear image, Spearman with ties, the
pointing games, the localisation sets, the randomization cascade's bookkeeping, the errors."""
import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.evaluation import (box_masks, deletion, energy_pointing_game, grid_set, insertion,
                               model_randomization, pasted_set, perturbation_curves, pointing_game,
                               relevance, road, spearman, ssim)
from cnnvis.evaluation.perturbation import ranks, regions, trapezoid
from cnnvis.evaluation.road import noisy_linear_imputation
from cnnvis.evaluation.similarity import hog_similarity, rank
from cnnvis.graph import Network
from cnnvis.layers import Dense, Flatten
from cnnvis.models import small_vgg


def linear_net(w):
    """logit 0 = sum w * x (no bias), logit 1 = 0: deletion's curve is a sum we can write down."""
    dense = Dense(w.size, 2, name="logits")
    dense.params = {"weight": np.stack([w.reshape(-1), np.zeros(w.size)]).astype(np.float64),
                    "bias": np.zeros(2)}
    return Network([Flatten(name="flatten"), dense], (1,) + w.shape).astype(np.float64)


@pytest.fixture
def linear(rng):
    w = rng.standard_normal((4, 5))
    x = rng.uniform(0.5, 1.0, (2, 1, 4, 5))
    maps = w[None] * x[:, 0]  # gradient x input: each pixel's exact share of the logit
    return linear_net(w), x, maps, w


def test_deletion_removes_the_most_relevant_pixels_first(linear):
    net, x, maps, _ = linear
    c = deletion(net, x, maps, 0, step=0.25, score="logit")
    assert np.allclose(c.fractions, [0, 0.25, 0.5, 0.75, 1])
    for n in range(2):
        contrib = np.sort(maps[n].reshape(-1))[::-1]  # most relevant first
        left = contrib.sum() - np.concatenate([[0], np.cumsum(contrib)])[[0, 5, 10, 15, 20]]
        assert np.allclose(c.scores[n], left, atol=1e-12)
    assert np.allclose(c.auc(), [trapezoid(s, c.fractions) for s in c.scores])
    # RISE's auc(): (sum - ends / 2) / (points - 1) with equal steps
    rise = (c.scores.sum(axis=1) - c.scores[:, 0] / 2 - c.scores[:, -1] / 2) / (len(c.fractions) - 1)
    assert np.allclose(c.auc(), rise)


def test_insertion_is_lerf_deletion_read_backwards(linear):
    net, x, maps, _ = linear
    ins = insertion(net, x, maps, 0, step=0.05, baseline="zeros", score="logit")
    lerf = perturbation_curves(net, x, maps, 0, "deletion", "lerf", step=0.05, score="logit")
    assert np.allclose(ins.scores, lerf.scores[:, ::-1], atol=1e-12)
    assert np.allclose(ins.scores[:, -1], (x[:, 0] * net["logits"].params["weight"][0].reshape(4, 5)).sum((1, 2)))


def test_baselines_and_patches(linear):
    net, x, maps, w = linear
    mean = deletion(net, x, maps, 0, step=1.0, baseline="mean", score="logit")
    assert np.allclose(mean.scores[:, 1], x.mean(axis=(1, 2, 3)) * w.sum())
    given = deletion(net, x, maps, 0, step=1.0, baseline=0.5, score="logit")
    assert np.allclose(given.scores[:, 1], 0.5 * w.sum())
    rid, count = regions((4, 5), 2)  # 2x3 blocks, the right column cut to one pixel wide
    assert count == 6 and rid[0].tolist() == [0, 0, 1, 1, 2] and rid[3].tolist() == [3, 3, 4, 4, 5]
    c = perturbation_curves(net, x, maps, 0, patch=2, fractions=[0, 1 / 6], score="logit")
    for n in range(2):
        sums = np.bincount(rid.reshape(-1), maps[n].reshape(-1))
        assert np.isclose(c.scores[n, 1], maps[n].sum() - sums.max())


def test_ties_keep_row_major_order():
    maps = np.array([[[1.0, 2.0, 2.0], [0.0, 2.0, 1.0]]])
    rid, count = regions((2, 3), 1)
    assert ranks(maps, rid, count, "morf")[0].tolist() == [3, 0, 1, 5, 2, 4]
    assert ranks(maps, rid, count, "lerf")[0].tolist() == [1, 3, 4, 0, 5, 2]


def test_road_imputes_a_linear_image_exactly():
    h, w = 9, 11
    image = (0.3 * np.arange(h)[:, None] - 0.2 * np.arange(w)[None, :] + 1.0)[None].repeat(2, axis=0)
    removed = np.zeros((h, w), bool)
    removed[2:6, 3:8] = True  # inside: every removed pixel has its eight neighbours
    out = noisy_linear_imputation(image, removed, noise=0.0)
    assert np.abs(out - image).max() < 1e-12
    noisy = noisy_linear_imputation(image, removed, noise=0.01, rng=np.random.default_rng(3))
    assert np.array_equal(noisy[:, ~removed], image[:, ~removed])
    assert 0.005 < (noisy - image)[:, removed].std() < 0.015
    with pytest.raises(InputError, match="every pixel"):
        noisy_linear_imputation(image, np.ones((h, w), bool))


def test_road_curve(linear):
    net, x, maps, _ = linear
    c = road(net, x, maps, 0, "morf", fractions=[0, 0.5], noise=0.0, score="logit")
    assert np.allclose(c.scores[:, 0], maps.sum(axis=(1, 2)))
    assert c.info["imputation"] == "road" and c.top.shape == (2, 2)
    assert np.allclose(c.accuracy([int(t) for t in c.top[:, 1]])[1], 1.0)


def test_spearman_with_ties_is_scipys(rng):
    stats = pytest.importorskip("scipy.stats")
    a = rng.integers(0, 4, (3, 6, 6)).astype(float)  # many ties
    b = a + rng.integers(0, 3, (3, 6, 6))
    ours = spearman(a, b)
    assert np.allclose(ours, [stats.spearmanr(p.reshape(-1), q.reshape(-1))[0] for p, q in zip(a, b)])
    assert np.allclose(rank(np.array([[3.0, 1.0, 3.0, 2.0]])), [[3.5, 1, 3.5, 2]])
    assert np.allclose(spearman(a, a), 1.0)


def test_ssim_and_hog_of_a_map_with_itself_are_one(rng):
    pytest.importorskip("skimage")
    a = rng.random((2, 28, 28))
    assert np.allclose(ssim(a, a), 1.0) and np.allclose(hog_similarity(a, a), 1.0)
    assert np.all(ssim(a, rng.random((2, 28, 28))) < 0.5)


def test_pointing_games():
    masks = box_masks([(0, 0, 2, 2), (2, 2, 4, 4)], (4, 4))
    maps = np.zeros((2, 4, 4))
    maps[0, 1, 1] = 1.0   # on the object
    maps[1, 0, 0] = 1.0   # far from it: 2 * sqrt(2) pixels from (2, 2)
    assert pointing_game(maps, masks).tolist() == [1.0, 0.0]
    assert pointing_game(maps, masks, tolerance=3).tolist() == [1.0, 1.0]
    maps[1, 3, 3], maps[1, 0, 1] = 0.5, -4.0
    assert np.allclose(energy_pointing_game(maps, masks), [1.0, 0.5 / 1.5])  # negatives do not count
    with pytest.raises(InputError, match="at least one pixel"):
        pointing_game(maps, np.zeros((2, 4, 4), bool))


def test_localisation_sets():
    from cnnvis.datasets import bundled_samples
    samples = bundled_samples()
    grid = grid_set(samples, grids=2, seed=1)
    assert len(grid) == 8 and grid.images.shape == (8, 28, 28)
    for g in range(2):
        cells = grid.targets[4 * g:4 * g + 4]
        assert len(set(cells)) == 4
        assert np.array_equal(grid.masks[4 * g:4 * g + 4].sum(axis=0), np.ones((28, 28)))
    pasted = pasted_set(samples, count=5, size=12, seed=2)
    for image, mask in zip(pasted.images, pasted.masks):
        assert mask.sum() == 144 and image[~mask].max() == 0 and image[mask].max() > 0
    both = grid + pasted
    some = both.take([9, 0])  # (a pasted one, a grid one), in the order asked
    assert some.targets == [both.targets[9], both.targets[0]] and some.names == [both.names[9], both.names[0]]
    assert np.array_equal(some.images, both.images[[9, 0]]) and np.array_equal(some.masks, both.masks[[9, 0]])


def test_randomization_cascade_bookkeeping():
    net = small_vgg(widths=(4,), convs_per_block=1, input_shape=(1, 8, 8), hidden=(6,), classes=3)
    x = np.random.default_rng(0).random((2, 1, 8, 8)).astype(np.float32)
    before = {n: {k: v.copy() for k, v in net[n].params.items()} for n in ("block1_conv1", "fc1", "predictions")}
    seen = []

    def init(name, layer, rng):  # record which layers hold random weights at each step
        seen.append(name)
        return {k: np.zeros_like(v) for k, v in layer.params.items()}, {}

    res = model_randomization(net, x, 0, ["saliency", "random"], "cascading", similarities=["spearman"],
                              init=init)
    assert seen == ["predictions", "fc1", "block1_conv1"] and res.steps[0] == "original"
    assert np.allclose(res.scores["random"]["spearman"], 1.0)  # the control does not look at the model
    assert np.allclose(res.maps["saliency"][1:], 0)  # zero logit weights: zero gradients
    for n, params in before.items():  # the network given is left as it was
        assert all(np.array_equal(net[n].params[k], v) for k, v in params.items())
    ind = model_randomization(net, x, 0, ["saliency"], "independent", layers=["block1_conv1"],
                              similarities=["spearman"], seed=1)
    assert ind.steps == ["original", "block1_conv1"] and ind.maps["saliency"].shape == (2, 2, 8, 8)


@pytest.mark.parametrize("call, message", [
    (lambda net, x, m: deletion(net, x, m[:, :3], 0), "relevance maps must be"),
    (lambda net, x, m: deletion(net, x, m, 0, step=0), "step must be"),
    (lambda net, x, m: perturbation_curves(net, x, m, 0, fractions=[0, 0.5, 0.4]), "increasing"),
    (lambda net, x, m: perturbation_curves(net, x, m, 0, order="best"), "order must be"),
    (lambda net, x, m: perturbation_curves(net, x, m, 0, "insertion", imputation="road"), "insertion"),
    (lambda net, x, m: road(net, x, m, 0, fractions=[0, 1]), "every pixel"),
    (lambda net, x, m: deletion(net, x, m, 0, baseline="grey"), "baseline must be"),
    (lambda net, x, m: deletion(net, x, m, 0, patch=9), "patch must be"),
    (lambda net, x, m: deletion(net, x, m * np.nan, 0), "NaN"),
    (lambda net, x, m: relevance(net, x, 0, "saliency", steps=3), "saliency takes no option 'steps'"),
])
def test_errors_say_what_to_give(linear, call, message):
    net, x, maps, _ = linear
    with pytest.raises(InputError, match=message):
        call(net, x, maps)

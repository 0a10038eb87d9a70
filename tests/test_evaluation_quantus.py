"""The evaluation metrics against Quantus 0.6.0: the same model (torch_mirror of the bundled
network, float32), the same attributions (computed by cnnvis, passed as Quantus's a_batch, with
normalise=False and abs=False unless said), the same settings, 4 bundled test images (of 4 classes).

    ours                                           Quantus                          measured
    deletion, zeros, step k pixels                 PixelFlipping(features_in_step=k,  <= 1.0e-6
                                                     perturb_baseline=0.0)
    insertion from zeros                           PixelFlipping on the reversed order <= 1.2e-6
    deletion, patch=p                              Selectivity(patch_size=p)          <= 1.3e-6
    deletion, patch=p, morf / lerf: S(x) - S(x_k)  RegionPerturbation(order=...)      <= 2.7e-6
    road(noise=0): accuracy per fraction           ROAD(noise=0)                      equal
    model_randomization cascading / independent    MPRT(layer_order='top_down' /      <= 1e-15
      spearman, spearman_abs                         'independent'), abs False / True
    ssim(flatten=True)                             quantus.functions.similarity_func.ssim  equal
    pointing_game, energy_pointing_game            PointingGame, RelevanceMassAccuracy   equal

TOL = 1e-5 for the probability curves: float32 forwards in two engines (sums in another
order), measured above on every map. Where the definitions differ (each test says how):
* Quantus's curves omit the unperturbed point and integrate over step counts (np.trapz,
  dx=1); ours start at the image and integrate over the share of pixels in [0, 1]
  (test_deletion_is_pixel_flipping converts one AUC into the other);
* ties: Quantus sorts with np.argsort's default (not stable: with ties, its order depends on
  NumPy's sort kernel), ours keeps row-major order. Maps with ties (Grad-CAM after its ReLU,
  integrated gradients on black pixels) are given to Quantus as the rank of each pixel in
  our order, which makes the two orders one;
* Quantus's "independent" MPRT walks the layers bottom up, ours top down (the same set of
  one-layer randomisations, reported in reverse order);
* Quantus's ssim() runs on the flattened maps; ours on the 2-D maps (flatten=True: Quantus's);
* RelevanceMassAccuracy sums signed relevance; the energy pointing game clips it at 0;
* ROAD's noise: Quantus draws from NumPy's global generator, we from a seeded one: the
  check is at noise 0 (the imputation itself; test_evaluation_metrics checks the noise).
"""
import copy
import warnings

import numpy as np
import pytest

from conftest import agreement
from cnnvis.datasets import bundled_samples
from cnnvis.evaluation import (deletion, energy_pointing_game, insertion, localisation_set,
                               model_randomization, perturbation_curves, pointing_game, relevance, road)
from cnnvis.evaluation.perturbation import ranks, regions
from cnnvis.evaluation.road import noisy_linear_imputation
from cnnvis.evaluation.similarity import ssim
from cnnvis.verify.torch_mirror import net_from_mirror
from cnnvis.models import bundled_model

quantus = pytest.importorskip("quantus")
TOL = 1e-5
METHODS = ("saliency", "integrated-gradients", "gradcam")
STEP = 98  # pixels per deletion step: 8 steps of the 784
SEED = 42


@pytest.fixture(scope="module")
def setup(torch):
    warnings.filterwarnings("ignore", module="quantus")
    from cnnvis.verify.torch_mirror import torch_mirror
    net, data = bundled_model(), bundled_samples()
    index = np.array([3, 37, 71, 95])  # a T-shirt, a pullover, a shirt, an ankle boot
    x, y = net.preprocess(data.images[index]), data.labels[index]
    maps = {m: relevance(net, x, [int(v) for v in y], m, steps=8) if m == "integrated-gradients"
            else relevance(net, x, [int(v) for v in y], m) for m in METHODS}
    return net, torch_mirror(net), x, y, maps


TIES = ("integrated-gradients", "gradcam")


def for_quantus(maps, method, order="morf", patch=1, descending=True):
    """Quantus's a_batch (N, 1, H, W) float32: the maps themselves, or for maps with ties each
    feature's place in our (stable) order, so that Quantus's sort (descending, or ascending for
    its LeRF) removes the features in our order; a p x p patch's pixels share its value / p^2."""
    if method not in TIES:  # (reversed when Quantus's sort goes the other way)
        flip = (order == "lerf") == descending
        return (maps.max(axis=(1, 2), keepdims=True) - maps if flip else maps)[:, None].astype(np.float32)
    rid, count = regions(maps.shape[1:], patch)
    r = ranks(maps, rid, count, order)
    value = (count - r) / count if descending else (r + 1) / count
    return (np.take_along_axis(value, np.broadcast_to(rid.reshape(1, -1), (len(maps), rid.size)), axis=1)
            .reshape(maps.shape) / patch ** 2)[:, None].astype(np.float32)


def q_kwargs():
    return {"normalise": False, "abs": False, "disable_warnings": True}


def curve(metric, model, x, y, a):
    return np.asarray(metric(model=model, x_batch=x, y_batch=y, a_batch=a, softmax=True, device="cpu"),
                      np.float64)


@pytest.mark.parametrize("method", ["saliency", "gradcam"])
def test_deletion_is_pixel_flipping(setup, method, record_property):
    net, model, x, y, maps = setup
    ours = deletion(net, x, maps[method], [int(v) for v in y], step=STEP / 784)
    pf = quantus.PixelFlipping(features_in_step=STEP, perturb_baseline=0.0, **q_kwargs())
    theirs = curve(pf, model, x, y, for_quantus(maps[method], method))
    assert ours.scores.shape == (4, 9) and theirs.shape == (4, 8)  # Quantus: no point at 0
    agreement(record_property, "max abs", np.abs(ours.scores[:, 1:] - theirs).max(), TOL)
    # the AUCs: Quantus's (utils.calculate_auc: np.trapz, which NumPy 2.4 no longer has, so its
    # return_auc_per_sample fails here) over step counts without the first point; ours over [0, 1]
    theirs_auc = np.trapezoid(theirs, dx=1, axis=1)
    ours_as_theirs = ours.auc() * 8 - (ours.scores[:, 0] + ours.scores[:, 1]) / 2
    agreement(record_property, "AUC max abs", np.abs(ours_as_theirs - theirs_auc).max(), 8 * TOL)


def test_insertion_is_pixel_flipping_backwards(setup, record_property):
    """Inserting the k most relevant pixels into zeros = deleting the F - k others, the last in
    our order first (Quantus given the reversed order)."""
    net, model, x, y, maps = setup
    method = "gradcam"
    ours = insertion(net, x, maps[method], [int(v) for v in y], step=STEP / 784, baseline="zeros")
    pf = quantus.PixelFlipping(features_in_step=STEP, perturb_baseline=0.0, **q_kwargs())
    theirs = curve(pf, model, x, y, for_quantus(maps[method], method, descending=False))
    agreement(record_property, "max abs", np.abs(ours.scores[:, 1:-1][:, ::-1] - theirs[:, :-1]).max(), TOL)


def test_patches_are_selectivity_and_region_perturbation(setup, record_property):
    net, model, x, y, maps = setup
    targets, method = [int(v) for v in y], "gradcam"  # patch sums of Grad-CAM tie too
    ours = perturbation_curves(net, x, maps[method], targets, patch=7, step=1 / 16)
    a = for_quantus(maps[method], method, patch=7)
    theirs = curve(quantus.Selectivity(patch_size=7, perturb_baseline=0.0, **q_kwargs()), model, x, y, a)
    errs = [np.abs(ours.scores[:, 1:] - theirs).max()]
    for order in ("morf", "lerf"):
        ours = perturbation_curves(net, x, maps[method], targets, order=order, patch=7, fractions=[0, 1 / 16, 2 / 16])
        rp = quantus.RegionPerturbation(patch_size=7, order=order, regions_evaluation=2, perturb_baseline=0.0,
                                        **q_kwargs())
        a = for_quantus(maps[method], method, order, patch=7, descending=order == "morf")
        errs.append(np.abs((ours.scores[:, :1] - ours.scores[:, 1:]) - curve(rp, model, x, y, a)).max())
    agreement(record_property, "max abs", max(errs), TOL)


def test_road_is_quantus_road(setup, record_property):
    net, model, x, y, maps = setup
    method, percentages = "integrated-gradients", [5, 25, 45, 65, 85]
    ours = road(net, x, maps[method], [int(v) for v in y], fractions=np.array(percentages) / 100, noise=0.0)
    rd = quantus.ROAD(percentages=percentages, noise=0.0, **q_kwargs())
    theirs = rd(model=model, x_batch=x, y_batch=y, a_batch=for_quantus(maps[method], method), softmax=True,
                device="cpu")
    assert list(theirs) == percentages
    agreement(record_property, "accuracy max abs",
              np.abs(ours.accuracy(y) - np.array([theirs[p] for p in percentages])).max(), 0.0)


def test_road_imputation_is_quantus_noisy_linear_imputation(rng, record_property):
    image = rng.random((3, 12, 10))
    removed = rng.random((12, 10)) < 0.6  # large removed regions touching the border
    ours = noisy_linear_imputation(image, removed, noise=0.0)
    theirs = quantus.functions.perturb_func.noisy_linear_imputation(image, np.flatnonzero(removed), noise=0.0)
    agreement(record_property, "max abs", np.abs(ours - theirs).max(), 1e-12)  # one system, two sparse solves


def quantus_draws(model, torch, seed):
    """Our init= giving each layer the weights Quantus's generator gives it: reset_parameters()
    after torch.manual_seed(seed + 1) (PyTorch's default initialisation)."""
    modules = dict(model.named_modules())

    def init(name, layer, rng):
        m = copy.deepcopy(modules[f"nodes.{name}"])
        torch.manual_seed(seed + 1)
        m.reset_parameters()
        return ({k: getattr(m, k).detach().numpy() for k in layer.params},
                {k: getattr(m, k).detach().numpy() for k in layer.buffers})
    return init


@pytest.mark.parametrize("order, layer_order", [("cascading", "top_down"), ("independent", "independent")])
def test_model_randomization_is_mprt(setup, torch, order, layer_order, record_property):
    net, model, x, y, maps = setup
    targets = [int(v) for v in y]

    def explain(model, inputs, targets, **kwargs):  # Quantus's explain_func: cnnvis on its weights
        return relevance(net_from_mirror(net, model), np.asarray(inputs, np.float32), [int(t) for t in targets],
                         "saliency")[:, None]

    ours = model_randomization(net, x, targets, ["saliency"], order, similarities=["spearman", "spearman_abs"],
                               init=quantus_draws(model, torch, SEED))
    mprt = quantus.MPRT(layer_order=layer_order, seed=SEED, abs=False, normalise=False, disable_warnings=True)
    theirs = mprt(model=model, x_batch=x, y_batch=y, a_batch=maps["saliency"][:, None], explain_func=explain,
                  softmax=False, device="cpu")
    layers = [k for k in theirs if k != "original"]
    steps = ours.steps[1:] if order == "cascading" else ours.steps[1:][::-1]
    assert layers == [f"nodes.{s}" for s in steps]
    got = ours.scores["saliency"]["spearman"][1:]
    got = got if order == "cascading" else got[::-1]
    assert np.allclose(theirs["original"], 1.0)
    agreement(record_property, "Spearman max abs", np.abs(np.array([theirs[k] for k in layers]) - got).max(), 1e-12)
    # saliency maps are >= 0: |Spearman| is the same number (Quantus's abs=True gives it too)
    assert np.array_equal(ours.scores["saliency"]["spearman_abs"], ours.scores["saliency"]["spearman"])


def test_ssim_flattened_is_quantus_ssim(setup, record_property):
    pytest.importorskip("skimage")
    _, _, _, _, maps = setup
    a, b = maps["saliency"], maps["gradcam"]
    theirs = np.array(quantus.functions.similarity_func.ssim(a.reshape(4, -1), b.reshape(4, -1), batched=True))
    agreement(record_property, "max abs", np.abs(ssim(a, b, flatten=True) - theirs).max(), 1e-12)
    assert np.abs(ssim(a, b) - theirs).max() > 1e-3  # 2-D windows are not 1-D ones


def test_pointing_games_are_quantus_localisation(setup, record_property):
    net, model, _, _, _ = setup
    loc = localisation_set(net, grids=1, pasted=2)
    lx, ly = net.preprocess(loc.images), np.array(loc.targets)
    s = loc.masks[:, None].astype(np.float32)
    hit_errs, energy_errs = [], []
    for method in ("saliency", "gradcam", "integrated-gradients"):
        m = relevance(net, lx, loc.targets, method, **({"steps": 4} if method == "integrated-gradients" else {}))
        kw = {"model": model, "x_batch": lx, "y_batch": ly, "s_batch": s, "device": "cpu"}
        hits = quantus.PointingGame(**q_kwargs())(a_batch=m[:, None], **kw)
        hit_errs.append(np.abs(pointing_game(m, loc.masks) - np.asarray(hits, np.float64)).max())
        rma = quantus.RelevanceMassAccuracy(**q_kwargs())
        clipped = np.asarray(rma(a_batch=np.maximum(m, 0)[:, None], **kw))
        energy_errs.append(np.abs(energy_pointing_game(m, loc.masks) - clipped).max())
        if method == "integrated-gradients":  # signed: Quantus counts the negative relevance
            raw = np.asarray(rma(a_batch=m[:, None], **kw))
            assert np.abs(energy_pointing_game(m, loc.masks) - raw).max() > 1e-3
    agreement(record_property, "pointing game max abs", max(hit_errs), 0.0)
    agreement(record_property, "energy max abs", max(energy_errs), 1e-12)

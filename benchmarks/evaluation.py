"""The evaluation metrics of cnnvis against Quantus's, on the same work: the bundled model
(Quantus runs its torch_mirror), the same images, the same maps (cnnvis's, given to Quantus
as a_batch), the same settings; each pair timed interleaved (A B A B ...), medians and ratio,
and how far the two results are apart.

    python benchmarks/evaluation.py            # 16 bundled images, saliency maps
    python benchmarks/evaluation.py --quick    # 4 images, coarser steps (checks the script runs)

Both sides: float32, 2 threads. What each pair computes:
  deletion          our deletion curve, pixel steps  vs  PixelFlipping (perturb_baseline 0)
  region deletion   p x p patches, MoRF              vs  RegionPerturbation
  ROAD              noisy linear imputation, MoRF    vs  ROAD (noise 0, so that they agree)
  MPRT              cascading randomization, Spearman vs  MPRT top_down (its explain_func:
                    cnnvis's saliency on the randomised weights, as our side computes them)
  pointing game, energy                              vs  PointingGame, RelevanceMassAccuracy
"max |diff|" is the largest difference of the curves (or scores) of the two sides.
"""
from common import header, parse, setup_torch, table, time_ab


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="4 images and coarse steps (checks the script)")


def main():
    args = parse(__doc__, add_arguments)  # first: it may restart the process with other BLAS kernels
    torch = setup_torch()
    import copy
    import warnings

    import numpy as np
    import quantus
    warnings.filterwarnings("ignore", module="quantus")

    from cnnvis.datasets import bundled_samples
    from cnnvis.evaluation import (deletion, energy_pointing_game, localisation_set, model_randomization,
                                   perturbation_curves, pointing_game, relevance, road)
    from cnnvis.models import bundled_model
    from cnnvis.verify.torch_mirror import net_from_mirror, torch_mirror

    header("Evaluation metrics, cnnvis vs Quantus")
    net, data = bundled_model(), bundled_samples()
    n = 4 if args.quick else 16
    index = np.concatenate([np.flatnonzero(data.labels == c)[:2] for c in range(10)])[:n]
    x, y = net.preprocess(data.images[index]), data.labels[index]
    targets = [int(v) for v in y]
    model = torch_mirror(net)
    maps = relevance(net, x, targets, "saliency")  # no ties: both sides sort the pixels alike
    a = maps[:, None].astype(np.float32)
    step = 196 if args.quick else 28
    patch, percentages = (7, [10, 50, 90]) if args.quick else (4, list(range(5, 100, 10)))
    regions = (28 // patch) ** 2
    q = {"normalise": False, "abs": False, "disable_warnings": True}

    def qcall(metric, **kw):
        return metric(model=model, x_batch=x, y_batch=y, a_batch=a, device="cpu", **kw)

    def explain(model, inputs, targets, **kwargs):
        return relevance(net_from_mirror(net, model), np.asarray(inputs, np.float32), [int(t) for t in targets],
                         "saliency")[:, None]

    def quantus_init(name, layer, rng):  # the weights Quantus's generator draws (seed 42)
        m = copy.deepcopy(dict(model.named_modules())[f"nodes.{name}"])
        torch.manual_seed(43)
        m.reset_parameters()
        return ({k: getattr(m, k).detach().numpy() for k in layer.params},
                {k: getattr(m, k).detach().numpy() for k in layer.buffers})

    loc = localisation_set(net, grids=1 if args.quick else 2, pasted=4 if args.quick else 8)
    lx, ly = net.preprocess(loc.images), np.array(loc.targets)
    lmaps = relevance(net, lx, loc.targets, "saliency")
    s_batch = loc.masks[:, None].astype(np.float32)

    def region_drops():
        c = perturbation_curves(net, x, maps, targets, patch=patch, step=1 / regions)
        return c.scores[:, :1] - c.scores[:, 1:]

    pairs = {
        f"deletion, {784 // step} steps of {step} px": (
            lambda: deletion(net, x, maps, targets, step=step / 784).scores[:, 1:],
            lambda: np.asarray(qcall(quantus.PixelFlipping(features_in_step=step, perturb_baseline=0.0, **q),
                                     softmax=True))),
        f"region deletion, {regions} patches of {patch}x{patch}": (
            region_drops,
            lambda: np.asarray(qcall(quantus.RegionPerturbation(patch_size=patch, regions_evaluation=regions,
                                                                perturb_baseline=0.0, **q), softmax=True))),
        f"ROAD, {len(percentages)} fractions": (
            lambda: road(net, x, maps, targets, fractions=np.array(percentages) / 100, noise=0.0).accuracy(y),
            lambda: np.array(list(qcall(quantus.ROAD(percentages=percentages, noise=0.0, **q),
                                        softmax=True).values()))),
        "MPRT, cascading, 6 layers": (
            lambda: model_randomization(net, x, targets, ["saliency"], similarities=["spearman"],
                                        init=quantus_init).scores["saliency"]["spearman"][1:],
            lambda: np.array([v for k, v in qcall(quantus.MPRT(seed=42, disable_warnings=True, abs=False,
                                                               normalise=False),
                                                  explain_func=explain, softmax=False).items() if k != "original"])),
        f"pointing game, {len(loc)} images": (
            lambda: pointing_game(lmaps, loc.masks),
            lambda: np.asarray(quantus.PointingGame(**q)(model=model, x_batch=lx, y_batch=ly, a_batch=lmaps[:, None],
                                                         s_batch=s_batch, device="cpu"), np.float64)),
        f"energy pointing game, {len(loc)} images": (
            lambda: energy_pointing_game(lmaps, loc.masks),
            lambda: np.asarray(quantus.RelevanceMassAccuracy(**q)(model=model, x_batch=lx, y_batch=ly,
                                                                  a_batch=lmaps[:, None], s_batch=s_batch,
                                                                  device="cpu"))),
    }
    rows = []
    for name, (ours, theirs) in pairs.items():
        err = np.abs(np.asarray(ours(), np.float64) - np.asarray(theirs(), np.float64)).max()
        t = time_ab({"cnnvis": ours, "quantus": theirs}, args.repeats, warmup=0)
        rows.append((name, f"{t['cnnvis'] * 1e3:.1f}", f"{t['quantus'] * 1e3:.1f}",
                     f"{t['cnnvis'] / t['quantus']:.2f}", f"{err:.1e}"))
    table(rows, (f"bundled model, {n} images, saliency maps", "cnnvis ms", "Quantus ms", "ratio cnnvis/Quantus",
                 "max |diff|"))


if __name__ == "__main__":
    main()

"""Approximate occlusion tuned for a quality target (methods/occlusion_quality.py)."""
import pytest

import cnnvis
from cnnvis.errors import InputError
from cnnvis.methods import occlusion
from cnnvis.methods.occlusion_approx import drilldown_settings
from cnnvis.methods.occlusion_quality import ssim, tau_for_ssim


@pytest.fixture(scope="module")
def trained():
    net = cnnvis.models.bundled_model()
    data = cnnvis.datasets.bundled_samples()
    return net, net.preprocess(data.images[[0, 10, 20]]), net.preprocess(data.images[[30, 40]])


def test_tau_reaches_the_ssim_it_was_fitted_for(trained):
    net, calibration, others = trained
    fit = tau_for_ssim(net, calibration, "predicted", patch=6, stride=2, ssim_target=0.9, progress=False)
    taus = [row[0] for row in fit.rows]
    assert taus == sorted(taus) and 0 < fit.tau <= 1
    # every candidate's worst SSIM is what the calibration measured, and the chosen one reaches it
    chosen = [row for row in fit.rows if row[0] == fit.tau]
    assert not chosen or chosen[0][1] >= 0.9
    assert all(row[1] < 0.9 for row in fit.rows if row[0] < fit.tau)
    # the work falls with tau; on images it was not fitted on the chosen tau stays close (measured
    # 1.0: at the chosen 0.6 no range of this 28x28 network is long enough to be cut)
    ratios = [row[3] for row in fit.rows]
    assert ratios == sorted(ratios)
    exact = occlusion(net, others, "predicted", 6, 2, progress=False)
    approx = occlusion(net, others, "predicted", 6, 2, tau=fit.tau, progress=False)
    assert min(ssim(a, e) for a, e in zip(approx.heatmap, exact.heatmap)) > 0.8


def test_drilldown_settings_meet_the_speedup():
    """The finest sub-grid that leaves room, and the refined share that makes up 1 / speedup.
    On 53x53 (stride 4 on 224 pixels) every 2nd position and the last is 27x27."""
    c, r = drilldown_settings(3, (53, 53))
    assert c == 2 and r == pytest.approx(1 / 3 - 27 ** 2 / 53 ** 2)
    c, r = drilldown_settings(4, (53, 53))  # 27^2 / 53^2 = 0.26: nothing left at c=2
    assert c == 3 and r == pytest.approx(1 / 4 - 19 ** 2 / 53 ** 2)  # 0, 3, ..., 51, 52
    for speedup in (1.5, 2, 3, 4, 8, 20):
        c, r = drilldown_settings(speedup, (53, 40))
        share = len(range(0, 53, c)) + (52 % c > 0), len(range(0, 40, c)) + (39 % c > 0)
        assert r > 0 and share[0] * share[1] / (53 * 40) + r == pytest.approx(1 / speedup)
    with pytest.raises(InputError, match="leaves nothing"):
        drilldown_settings(20, (53, 53), coarse=4)  # 14^2 / 53^2 = 1/14 of the work is the sub-grid
    with pytest.raises(InputError, match="leaves nothing"):
        drilldown_settings(20, (3, 3))  # corners alone are 4/9
    with pytest.raises(InputError, match="above 1"):
        drilldown_settings(0.5, (53, 53))
    with pytest.raises(InputError, match="above 1"):
        drilldown_settings("4", (53, 53))


def test_drilldown_from_a_speedup(trained):
    from cnnvis.methods import occlusion_drilldown
    net, x, _ = trained
    res = occlusion_drilldown(net, x[:1], "predicted", patch=6, stride=1, speedup=4, block=2, progress=False)
    c, r = drilldown_settings(4, (23, 23))
    assert res.info["coarse"] == c and res.info["coarse_stride"] == (c, c) and res.info["fraction"] == r
    assert res.info["work"] == pytest.approx(1 / 4, abs=0.02)  # whole blocks of 2x2: about
    with pytest.raises(InputError, match="either speedup or coarse and fraction"):
        occlusion_drilldown(net, x[:1], "predicted", 6, 1, coarse=4, speedup=4)

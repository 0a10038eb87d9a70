"""SGD (momentum, Nesterov) and Adam: steps against their formulas and against torch.optim."""
import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.training import SGD, Adam, l2_penalty


def run_ours(optimizer, p0, grads, weight_decay=0.0):
    p = p0.copy()
    for g in grads:
        g = g + (l2_penalty([p], weight_decay)[1][0] if weight_decay else 0)
        optimizer.step([("w", p, g)])
    return p


def run_torch(torch, make, p0, grads):
    t = torch.tensor(p0.copy(), requires_grad=True)
    opt = make([t])
    for g in grads:
        t.grad = torch.tensor(g)
        opt.step()
    return t.detach().numpy()


@pytest.fixture
def problem(rng):
    return rng.standard_normal((4, 3)), [rng.standard_normal((4, 3)) for _ in range(6)]


def test_sgd_momentum_first_two_steps_by_hand():
    p = np.array([1.0, -2.0])
    g1, g2 = np.array([0.5, 1.0]), np.array([-1.0, 2.0])
    opt = SGD(lr=0.1, momentum=0.9)
    opt.step([("w", p, g1)])                  # v1 = g1; p1 = p0 - 0.1 g1
    np.testing.assert_allclose(p, [0.95, -2.1], rtol=0, atol=1e-15)
    opt.step([("w", p, g2)])                  # v2 = 0.9 g1 + g2 = [-0.55, 2.9]
    np.testing.assert_allclose(p, [0.95 + 0.055, -2.1 - 0.29], rtol=0, atol=1e-15)


def test_nesterov_step_by_hand():
    p = np.array([1.0])
    opt = SGD(lr=0.1, momentum=0.5, nesterov=True)
    opt.step([("w", p, np.array([2.0]))])     # v = 2; p -= 0.1 (2 + 0.5 * 2)
    np.testing.assert_allclose(p, [0.7], rtol=0, atol=1e-15)


def test_adam_first_step_moves_by_lr():
    p = np.array([1.0, 1.0])
    Adam(lr=0.01).step([("w", p, np.array([3.0, -1e-3]))])
    # bias-corrected m / sqrt(v) = sign(g) at t = 1 (up to eps / |g| <= 1e-5)
    np.testing.assert_allclose(p, [0.99, 1.01], rtol=0, atol=1e-7)


@pytest.mark.parametrize("momentum, nesterov, wd", [(0.0, False, 0.0), (0.9, False, 0.0),
                                                     (0.9, True, 0.0), (0.8, False, 0.05)])
def test_sgd_matches_torch(torch, problem, momentum, nesterov, wd):
    p0, grads = problem
    ours = run_ours(SGD(0.05, momentum, nesterov), p0, grads, wd)
    ref = run_torch(torch, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=momentum,
                                                     nesterov=nesterov, weight_decay=wd), p0, grads)
    # float64, the same operations in a different order: rounding only
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-13)


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_adam_matches_torch(torch, problem, wd):
    p0, grads = problem
    ours = run_ours(Adam(0.01, 0.9, 0.99, 1e-8), p0, grads, wd)
    ref = run_torch(torch, lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.99), eps=1e-8,
                                                      weight_decay=wd), p0, grads)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-13)  # float64 rounding only


def test_adam_float32_matches_torch(torch, problem):
    p0, grads = problem
    p0, grads = p0.astype(np.float32), [g.astype(np.float32) for g in grads]
    ours = run_ours(Adam(0.01), p0, grads)
    ref = run_torch(torch, lambda ps: torch.optim.Adam(ps, lr=0.01), p0, grads)
    assert ours.dtype == np.float32
    # six float32 steps of size <= lr: rounding of ~1e-7 relative per op
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


def test_updates_are_in_place():
    p = np.ones(3)
    alias = p
    SGD(0.1, 0.9).step([("w", p, np.ones(3))])
    assert alias is p and np.all(p == 0.9)


def test_bad_hyperparameters_raise():
    with pytest.raises(InputError):
        SGD(lr=0)
    with pytest.raises(InputError):
        SGD(0.1, momentum=0, nesterov=True)
    with pytest.raises(InputError):
        Adam(beta1=1.0)

"""Cross-entropy and the L2 / L1 penalties: values and gradients against PyTorch and finite differences."""
import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.training import l1_penalty, l2_penalty, softmax_cross_entropy


def test_cross_entropy_matches_torch(torch, rng):
    logits = rng.standard_normal((7, 5)) * 3
    labels = rng.integers(0, 5, 7)
    loss, grad = softmax_cross_entropy(logits, labels)
    z = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(z, torch.tensor(labels))
    ref.backward()
    # float64 throughout: only rounding separates the two (log-sum-exp order)
    assert abs(loss - ref.item()) < 1e-12
    np.testing.assert_allclose(grad, z.grad.numpy(), rtol=0, atol=1e-15)


def test_cross_entropy_gradient_matches_finite_differences(rng):
    logits = rng.standard_normal((4, 6))
    labels = np.array([0, 5, 2, 2])
    _, grad = softmax_cross_entropy(logits, labels)
    eps, numeric = 1e-6, np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        up, down = logits.copy(), logits.copy()
        up[idx] += eps
        down[idx] -= eps
        loss_up, loss_down = softmax_cross_entropy(up, labels)[0], softmax_cross_entropy(down, labels)[0]
        numeric[idx] = (loss_up - loss_down) / (2 * eps)
    # central differences in float64: error O(eps^2) + rounding 1e-16/eps ~ 1e-10
    np.testing.assert_allclose(grad, numeric, rtol=0, atol=1e-8)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    loss, grad = softmax_cross_entropy(logits, np.array([1]))
    # exact values: log p_1 = -1000 - log(1 + e^-1000 + e^-2000) = -1000 in float32
    assert loss == pytest.approx(1000.0, rel=1e-6)
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0]], atol=1e-6)
    assert grad.dtype == np.float32


def test_cross_entropy_rejects_bad_labels():
    with pytest.raises(InputError, match="labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))


def test_l2_penalty_value_and_gradient(rng):
    weights = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    value, grads = l2_penalty(weights, 0.1)
    # by hand: 0.05 * sum of squares; gradient 0.1 * w
    assert value == pytest.approx(0.05 * sum((w ** 2).sum() for w in weights), rel=1e-12)
    for w, g in zip(weights, grads):
        np.testing.assert_array_equal(g, 0.1 * w)


def test_l1_penalty_value_and_subgradient():
    w = np.array([-2.0, 0.0, 0.5])
    value, (g,) = l1_penalty([w], 0.3)
    assert value == pytest.approx(0.3 * 2.5, rel=1e-12)
    np.testing.assert_array_equal(g, [-0.3, 0.0, 0.3])  # sign(0) = 0: the subgradient we use


def test_penalty_gradients_match_torch_autograd(torch, rng):
    w = rng.standard_normal((6, 3))
    t = torch.tensor(w, requires_grad=True)
    (0.02 / 2 * (t ** 2).sum() + 0.01 * t.abs().sum()).backward()
    ours = l2_penalty([w], 0.02)[1][0] + l1_penalty([w], 0.01)[1][0]
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=0, atol=1e-15)  # same float64 ops

"""The training loss: softmax cross-entropy on the logits, plus L2 and L1 weight penalties.

The network ends with `predictions` (logits) and `softmax`; training stops at the logits
and uses the fused gradient of softmax + cross-entropy, which is exact and stable, instead
of sending 1/p back through the softmax layer.
"""
from ..engine import array_module, to_device
from ..engine.backend import is_gpu_array
from ..errors import InputError


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of the logits z (N, K) against integer labels y (N,), and dL/dz.

        L = -(1/N) sum_n log p[n, y_n],   p = softmax(z),  log p = z - m - log sum_k exp(z_k - m)
        dL/dz = (p - onehot(y)) / N
    with m = max_k z_k (so exp never overflows). As torch.nn.functional.cross_entropy.
    Returns (loss as a float, dL/dz with the logits' dtype and device).
    """
    xp = array_module(logits)
    labels = to_device(labels, "gpu" if is_gpu_array(logits) else "cpu").astype(int)
    n, k = logits.shape
    if labels.shape != (n,) or (n and not 0 <= int(labels.min()) <= int(labels.max()) < k):
        raise InputError(f"labels must be {n} integers in 0 .. {k - 1}, got shape {labels.shape}")
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))
    rows = xp.arange(n)
    loss = -float(log_p[rows, labels].mean())
    grad = xp.exp(log_p)
    grad[rows, labels] -= 1
    grad /= n
    return loss, grad.astype(logits.dtype, copy=False)


def l2_penalty(weights, strength):
    """(strength/2) sum ||w||^2 over the arrays ``weights``, and its gradients strength * w.

    Adding these gradients before the optimizer step is the 'coupled' L2 weight decay of
    torch.optim.SGD/Adam(weight_decay=strength) (not AdamW's decoupled decay).
    Returns (value as a float, list of gradient arrays).
    """
    value = 0.5 * strength * sum(float((w.astype(float) ** 2).sum()) for w in weights)
    return value, [strength * w for w in weights]


def l1_penalty(weights, strength):
    """strength * sum |w| over the arrays ``weights``, and its (sub)gradients strength * sign(w)
    (0 at w = 0). Returns (value as a float, list of gradient arrays)."""
    value = strength * sum(float(abs(w.astype(float)).sum()) for w in weights)
    return value, [strength * array_module(w).sign(w) for w in weights]

"""Optimizers that update parameter arrays in place: SGD (momentum, Nesterov) and Adam.

step(params) takes [(key, param, grad)]; the key (e.g. ('fc1', 'weight')) names the
per-parameter state. Weight decay: the optimizers add none themselves. L2 weight decay
and the L1 penalty are gradients added to grad before step() (training/losses.py), which
is the 'coupled' decay of torch.optim.SGD/Adam(weight_decay=...); for Adam this is not
AdamW's decoupled decay.
"""
from ..engine import array_module
from ..errors import InputError


class Optimizer:
    """Base class: ``lr`` may be changed between steps (learning-rate schedules do)."""

    def __init__(self, lr):
        if not lr > 0:
            raise InputError(f"the learning rate must be positive, got {lr}")
        self.lr = float(lr)
        self.state = {}

    def step(self, params):
        for key, p, g in params:
            self.update(self.state.setdefault(key, {}), p, g)

    def update(self, state, p, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as torch.optim.SGD (dampening 0):

        v <- mu v + g          (v starts at 0)
        p <- p - lr (g + mu v)  with nesterov,   p <- p - lr v  without
    momentum=0 is plain SGD, p <- p - lr g. (Sutskever et al. 2013 keep lr inside v instead;
    the two agree while lr is constant.)
    """

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        super().__init__(lr)
        if not 0 <= momentum < 1:
            raise InputError(f"momentum must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0:
            raise InputError("Nesterov momentum needs momentum > 0")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def update(self, state, p, g):
        if self.momentum == 0:
            p -= self.lr * g
            return
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = array_module(p).zeros_like(p)
        v *= self.momentum
        v += g
        p -= self.lr * (g + self.momentum * v if self.nesterov else v)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), as torch.optim.Adam: at step t of a parameter,

        m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
        p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1 and eps > 0):
            raise InputError(f"Adam needs 0 <= beta1, beta2 < 1 and eps > 0, got {beta1}, {beta2}, {eps}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, state, p, g):
        if "m" not in state:
            xp = array_module(p)
            state.update(t=0, m=xp.zeros_like(p), v=xp.zeros_like(p))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        bias1, bias2 = 1 - self.beta1 ** t, 1 - self.beta2 ** t
        p -= (self.lr / bias1) * m / (v ** 0.5 / bias2 ** 0.5 + self.eps)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}

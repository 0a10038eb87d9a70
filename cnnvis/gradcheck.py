"""Finite-difference checks of the backward passes: is each analytic gradient the true one?

For a layer (or network) y = f(x; params) and a fixed random g, the scalar

    L(x, params) = sum(g * f(x; params))

has dL/dx = backward(g), exactly what the layer computes. Each checked entry t of x
(or of a parameter) is compared, in float64, with the central difference

    n_t = sum(g * (f(x + eps e_t) - f(x - eps e_t))) / (2 eps)        (error O(eps^2))

(the outputs are subtracted before the sum, so no large total cancels). The error of
a tensor is measured over the entries checked a (analytic) and n (numeric) as

    max abs error = max_t |a_t - n_t|
    rel error     = ||a - n||_2 / max(||a||_2, ||n||_2, 1e-300)     (norm-based)

An elementwise |a_t - n_t| / max(|a_t|, |n_t|) blows up at entries that are zero up to
rounding (a true 0 against a numeric 1e-11), so the norm-based one is used.

Kinks: a central difference across a kink measures the wrong slope. ReLU has one where
an input is 0, max-pool where two entries of a window tie; the difference crosses one
when an input is within eps of 0, or two window entries within 2 eps of each other.
Layer inputs are therefore drawn kink-safe (``kink_safe_input``): distinct magnitudes
on a shuffled grid in [0.1, 1] with random signs, so |x| >= 0.1 and any two entries
differ by >= 0.9 / (x.size - 1): more than 2 eps (the default 1e-6) up to 450,000
entries, and at least 4e-3 for the default shapes. Dropout's mask is held fixed by giving every
evaluation a generator seeded alike.

The deconvnet and guided rules are not the gradient of anything: under them a ReLU is
compared with its rule's formula (DESIGN.md's table) instead of finite differences;
every other layer must still give its true gradient (the rule does not touch it).
"""
import copy
from dataclasses import dataclass

import numpy as np

from .engine import to_host
from .errors import InputError
from .layers import LAYER_TYPES
from .layers.base import check_rule
from .progress import bar

TINY = 1e-300
RULE_FORMULAS = {  # the non-gradient rules at a rectifier: dx from it, the input x and the incoming g
    "deconvnet": ("the deconvnet rule g * (g > 0)", lambda layer, x, g: np.where(g > 0, g, 0.0)),
    "guided": ("the guided rule g * active(x) * (g > 0)",
               lambda layer, x, g: np.where(layer.active(x) & (g > 0), g, 0.0)),
}


@dataclass(frozen=True)
class TensorCheck:
    """Analytic vs reference values at the checked entries of one tensor."""
    name: str
    shape: tuple
    index: np.ndarray      # flat indices of the entries checked
    analytic: np.ndarray   # from backward
    reference: np.ndarray  # central differences, or the rule's formula
    method: str            # how the reference was obtained

    @property
    def max_abs_error(self):
        return float(np.max(np.abs(self.analytic - self.reference), initial=0.0))

    @property
    def rel_error(self):
        """||a - n||_2 / max(||a||_2, ||n||_2, tiny) over the entries checked."""
        scale = max(np.linalg.norm(self.analytic), np.linalg.norm(self.reference), TINY)
        return float(np.linalg.norm(self.analytic - self.reference) / scale)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def passed(self, tol=1e-6):
        return self.rel_error <= tol


@dataclass(frozen=True)
class GradcheckResult:
    """The checks of one layer or network: one TensorCheck per input or parameter tensor."""
    subject: str
    rule: str
    eps: float
    tensors: tuple

    def __getitem__(self, name):
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(f"no tensor {name!r}; checked: {', '.join(t.name for t in self.tensors)}")

    @property
    def max_rel_error(self):
        return max(t.rel_error for t in self.tensors)

    @property
    def max_abs_error(self):
        return max(t.max_abs_error for t in self.tensors)

    def passed(self, tol=1e-6):
        """True when every tensor's relative error is at most tol."""
        return all(t.passed(tol) for t in self.tensors)

    def table(self, entries=0, tol=1e-6):
        """A plain-text report: one row per tensor, then the first ``entries`` entries of each."""
        return render_text(self, entries, tol)

    def __str__(self):
        return self.table()


def render_text(result, entries=0, tol=1e-6):
    """The result as aligned text: tensor, shape, entries checked, errors, pass/fail."""
    rows = [("tensor", "shape", "checked", "max |analytic|", "max abs error", "rel error", "")]
    for t in result.tensors:
        rows.append((t.name, str(t.shape), f"{len(t.index)}/{t.size}",
                     f"{np.max(np.abs(t.analytic), initial=0.0):.3e}", f"{t.max_abs_error:.3e}",
                     f"{t.rel_error:.3e}", "ok" if t.passed(tol) else "FAIL"))
    methods = dict.fromkeys(t.method for t in result.tensors)
    reference = ", ".join(methods) if len(methods) == 1 else "; ".join(
        f"{t.name}: {t.method}" for t in result.tensors)
    lines = [f"gradcheck {result.subject}, rule {result.rule!r}, float64, eps {result.eps:g}",
             f"L = sum(g * y) for a fixed random g; reference: {reference}",
             "rel error = ||analytic - reference|| / max(||analytic||, ||reference||) "
             f"over the entries checked; pass when <= {tol:g}", ""]
    lines += _columns(rows)
    for t in result.tensors if entries else ():
        lines += ["", f"{t.name}: first {min(entries, len(t.index))} entries checked"]
        sub = [("index", "analytic", "reference", "|difference|")]
        for k in range(min(entries, len(t.index))):
            at = tuple(int(v) for v in np.unravel_index(t.index[k], t.shape))
            a, n = t.analytic[k], t.reference[k]
            sub.append((str(at), f"{a:+.10e}", f"{n:+.10e}", f"{abs(a - n):.2e}"))
        lines += _columns(sub)
    verdict = "PASSED" if result.passed(tol) else "FAILED"
    lines += ["", f"{verdict}: largest rel error {result.max_rel_error:.3e} (tolerance {tol:g})"]
    return "\n".join(lines)


def _columns(rows):
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


# ---- inputs and layers -------------------------------------------------------------------
def kink_safe_input(shape, rng):
    """float64 array of ``shape``: distinct magnitudes 0.1 ... 1 (shuffled), random signs."""
    n = int(np.prod(shape))
    magnitude = 0.1 + 0.9 * rng.permutation(n) / max(n - 1, 1)
    return (rng.choice([-1.0, 1.0], n) * magnitude).reshape(shape)


def default_layer(kind, seed=0):
    """A small layer of type ``kind`` (a LAYER_TYPES name, any case) for a quick check."""
    names = {k.lower(): k for k in LAYER_TYPES}
    if str(kind).lower() not in names:
        raise InputError(f"unknown layer type {kind!r}; choose one of {', '.join(sorted(LAYER_TYPES))}")
    return LAYER_TYPES[names[str(kind).lower()]].example(np.random.default_rng(seed))


def _float64_copy(obj):
    """A float64 CPU copy of a layer or network, leaving the caller's untouched."""
    return copy.deepcopy(obj).to("cpu").astype(np.float64)


# ---- the checks ----------------------------------------------------------------------------
def _pick(size, max_entries, rng):
    """All flat indices when there are few, else a sorted seeded sample of max_entries."""
    if size <= max_entries:
        return np.arange(size)
    return np.sort(rng.choice(size, max_entries, replace=False))


def _central_differences(f, array, index, g, eps, tick):
    """n_t = sum(g * (f() with array[t] + eps  -  f() with array[t] - eps)) / (2 eps)."""
    flat = array.reshape(-1)  # a view: array is contiguous
    out = np.empty(len(index))
    for k, t in enumerate(index):
        v = flat[t]
        flat[t] = v + eps
        up = np.array(to_host(f()), copy=True)
        flat[t] = v - eps
        down = np.array(to_host(f()), copy=True)
        flat[t] = v
        out[k] = np.sum(g * (up - down)) / (2 * eps)
        tick()
    return out


def _check(f, backward, inputs, rule_formula, eps, max_entries, rng, progress, desc):
    """Shared body. f() evaluates y from ``inputs`` [(name, array)] and the parameters;
    backward(g) returns (the input gradients, {name: (parameter array, its gradient)})."""
    y = to_host(f())
    g = rng.standard_normal(y.shape)
    dxs, params = backward(g)
    tensors = [(name, x, to_host(dx)) for (name, x), dx in zip(inputs, dxs)]
    tensors += [(name, value, to_host(grad)) for name, (value, grad) in params.items()]
    picks = [_pick(value.size, max_entries, rng) for _, value, _ in tensors]
    checks = []
    with bar(total=sum(len(p) for p in picks), desc=desc, progress=progress, unit="entry") as pbar:
        for k, ((name, value, grad), index) in enumerate(zip(tensors, picks)):
            if k < len(inputs) and rule_formula is not None:
                method, formula = rule_formula
                reference = formula(value, g).reshape(-1)[index]
                pbar.update(len(index))
            else:
                method = "central differences"
                reference = _central_differences(f, value, index, g, eps, lambda: pbar.update(1))
            checks.append(TensorCheck(name, tuple(value.shape), index, grad.reshape(-1)[index],
                                      reference, method))
    return tuple(checks)


def gradcheck_layer(layer, input_shape=None, rule="gradient", eps=1e-6, seed=0, training=False,
                    max_entries=500, progress=None, inputs=None):
    """Check one layer's backward (input and parameter gradients) in float64.

    layer: a Layer, or a layer type name ('Conv2D', 'relu', ...) for a small default one.
    input_shape: the input's shape with the batch axis, or a list of them for a layer with
    several inputs (default: small ones that fit, layer.example_shapes()).
    rule: the backward rule; at a rectifier, 'deconvnet'/'guided' are compared with their formula.
    training: run the layer in training mode (Dropout: a real mask, held fixed; BatchNorm:
    batch statistics).
    max_entries: per tensor, check all entries up to this many, else a seeded random sample.
    inputs: the input arrays themselves (a list, one per input), instead of kink-safe random ones
    of input_shape (e.g. to reach ReLU6's upper kink); keep them away from kinks.
    Returns a GradcheckResult; ``result.passed(1e-6)``, ``print(result.table(entries=5))``.
    """
    check_rule(rule)
    if isinstance(layer, str):
        layer = default_layer(layer, seed)
    layer = _float64_copy(layer)
    shapes = layer.example_shapes() if input_shape is None else \
        [tuple(s) for s in input_shape] if isinstance(input_shape[0], (tuple, list)) else [tuple(input_shape)]
    rng = np.random.default_rng(seed)
    xs = [kink_safe_input(shape, rng) for shape in shapes] if inputs is None else \
        [np.array(to_host(x), dtype=np.float64, order="C", copy=True) for x in inputs]
    names = ["input"] if len(xs) == 1 else [f"input{k}" for k in range(len(xs))]

    def run():  # the same dropout mask on every call: a generator seeded alike
        if training:
            return layer.forward_train(*xs, rng=np.random.default_rng(seed))
        return layer.forward(*xs)

    def backward(g):
        _, cache = run()
        grads = layer.param_grads(g, cache)
        return layer.backward(g, cache, rule), {k: (layer.params[k], grads[k]) for k in layer.params}

    formula = None
    if layer.rectifier and rule in RULE_FORMULAS:
        method, rule_of = RULE_FORMULAS[rule]
        formula = (method, lambda x, g: rule_of(layer, x, g))
    tensors = _check(lambda: run()[0], backward, list(zip(names, xs)), formula, eps, max_entries,
                     rng, progress, f"gradcheck {type(layer).__name__}")
    return GradcheckResult(repr(layer), rule, eps, tensors)


def gradcheck_network(net, x=None, eps=1e-6, seed=0, training=False, max_entries=100,
                      progress=None):
    """Check a whole network's backward (gradient rule) in float64, input and every parameter.

    x: input (N, C, H, W) (default: one kink-safe random image of net.input_shape).
    Parameters are named 'layer.param' ('block1_conv1.weight'). Inside a network the
    kinks cannot be steered: a ReLU input within eps of 0 or a max-pool near-tie would show
    as one bad entry; with float64 random data that has probability ~1e-6 per unit.
    """
    net = _float64_copy(net)
    rng = np.random.default_rng(seed)
    if x is None:
        x = kink_safe_input((1,) + net.input_shape, rng)
    x = np.array(to_host(x), dtype=np.float64, order="C", copy=True)

    def f():  # the same dropout masks on every call: the training generator reseeded
        net.train(training, seed)
        return net.forward(x)

    def backward(g):
        f()
        dx = net.backward(g)
        grads = net.param_gradients(g)
        return [dx], {f"{name}.{k}": (value, grads[name][k]) for name, k, value in net.parameters()}

    tensors = _check(f, backward, [("input", x)], None, eps, max_entries, rng, progress,
                     f"gradcheck {net.name}")
    return GradcheckResult(f"network {net.name!r}", "gradient", eps, tensors)

"""A Trace as a document (blocks.py): each layer's equation beside its numbers, and one
entry of each layer worked out with the numbers substituted, so that a student can check
the engine by hand.
"""
import numpy as np

from . import equations as eq
from .blocks import Grids, Heading, Math, display, grid, number, para, plane_grids
from .worked import at, plural, position, where, worked


# ---- grids of the backward pass, one per rule unless the rules agree --------------------------
def same_for_all(trace, name):
    """True when every traced rule gave the same dS/d(input of ``name``)."""
    first = trace.backward[trace.rules[0]][name]
    return all(np.array_equal(first, trace.backward[r][name]) for r in trace.rules)


def rule_grids(trace, name, label):
    """The gradient into layer name's input under each rule, side by side (one grid when equal)."""
    if same_for_all(trace, name):
        rules = "every rule" if len(trace.rules) > 1 else trace.rules[0]
        return [Grids(tuple(maps_grids(Math(f"{label.plain} ({rules})", label.latex),
                                  trace.backward[trace.rules[0]][name])))]
    return [Grids(tuple(g for rule in trace.rules for g in
                        maps_grids(Math(f"{label.plain} ({rule})", f"{label.latex}^{{\\text{{{rule}}}}}"),
                              trace.backward[rule][name])))]


def maps_grids(label, a):
    """Grids of an array: one per channel of a (C, H, W) map, else one."""
    return plane_grids(label, a) if a.ndim == 3 else [grid(label, a)]


# ---- the document --------------------------------------------------------------------------
def explain(trace, level=1):
    """Blocks for the whole trace; ``level`` is the level of its title heading."""
    s = trace.spec
    title = (f"A tiny CNN traced through cnnvis's engine (seed {trace.seed_value}, input "
             f"{s.in_channels}x{s.size}x{s.size}, {plural(s.channels, 'filter')} {s.kernel}x{s.kernel})")
    blocks = [Heading(level, title), para(
        f"input {s.in_channels}x{s.size}x{s.size} -> conv {s.kernel}x{s.kernel} ({plural(s.channels, 'filter')}, "
        f"stride 1, no padding) -> ReLU -> max-pool 2x2 -> flatten -> dense {s.features} -> 2 -> softmax. "
        "Weights and pixels are small integers, so every number but the softmax is an integer. "
        "All numbers are computed by cnnvis itself (Network.forward and Network.backward in "
        "float64, one layer at a time). In each layer x is its input, y its output, g = dS/dy "
        "what arrives from above in the backward pass and dx = dS/dx what it sends below; "
        "[cond] is 1 when cond holds, else 0.")]
    blocks += _parameters(trace, level + 1)
    blocks += _forward(trace, level + 1)
    blocks += _backward(trace, level + 1)
    return blocks


def _parameters(trace, level):
    net = trace.net
    w, b = net["conv"].params["weight"], net["conv"].params["bias"]
    grids = [grid(Math(f"conv W[{f},{c}]", f"W_{{{f},{c}}}"), w[f, c]) for f in range(w.shape[0]) for c in range(w.shape[1])]
    grids += [grid(Math("conv bias b", "b"), b),
              grid(Math(f"dense W (2 x {trace.spec.features})", "W^{\\text{dense}}"), net["dense"].params["weight"]),
              grid(Math("dense bias b", "b^{\\text{dense}}"), net["dense"].params["bias"])]
    return [Heading(level, "Parameters"), Grids(tuple(grids))]


def _forward(trace, level):
    f, net = trace.forward, trace.net
    blocks = [Heading(level, "Forward pass"), Heading(level + 1, "input"),
              Grids(tuple(plane_grids(Math("x", "x"), trace.x)))]
    # conv, with its largest output worked out
    y = f["conv"]
    k = np.unravel_index(int(np.argmax(y)), y.shape)
    w, b = net["conv"].params["weight"], net["conv"].params["bias"]
    kh, kw = w.shape[2:]
    terms = [(w[k[0], c, i, j], trace.x[c, k[1] + i, k[2] + j]) for c in range(w.shape[1])
             for i in range(kh) for j in range(kw) if w[k[0], c, i, j] and trace.x[c, k[1] + i, k[2] + j]]
    blocks += [Heading(level + 1, "conv (cross-correlation: the kernel is not flipped)"), display(eq.CONV),
               Grids(tuple(plane_grids(Math("y = conv(x)", "y"), y))),
               para("Check the largest entry (terms with a zero factor left out): ",
                    worked(at("y", *k), b[k[0]], terms, y[k]))]
    blocks += [Heading(level + 1, "ReLU"), display(eq.RELU),
               Grids(tuple(plane_grids(Math("y = relu(x)", "y"), f["relu"]))),
               para(relu_note(f["conv"]))]
    blocks += _pool_forward(trace, level + 1)
    blocks += [Heading(level + 1, "flatten"), display(eq.FLATTEN), Grids((grid(Math("y", "y"), f["flatten"]),))]
    z, p = f["dense"], f["flatten"]
    wd, bd = net["dense"].params["weight"], net["dense"].params["bias"]
    c = trace.target
    blocks += [Heading(level + 1, "dense (the logits z)"), display(eq.DENSE),
               Grids((grid(Math("z", "z"), z),)),
               para("Check: ", worked(at("z", c), bd[c], [(wd[c, j], p[j]) for j in range(len(p))
                                                            if wd[c, j] and p[j]], z[c]))]
    probs = f["softmax"]
    blocks += [Heading(level + 1, "softmax"), display(eq.SOFTMAX), Grids((grid(Math("p", "p"), probs),)),
               para(f"The network predicts class {int(np.argmax(z))}. Training would send back the "
                    "cross-entropy gradient ", eq.CROSS_ENTROPY, f"; for true class t = {c} the "
                    "engine's softmax backward gives dL/dz = ", Math(vector(trace.cross_entropy),
                                                                     vector(trace.cross_entropy)),
                    ". A visualization explains a score instead: below, the logit S = ",
                    at("z", c), " of class " f"{c}.")]
    return blocks


def relu_note(x):
    negative, zero = int((x < 0).sum()), int((x == 0).sum())
    note = f"ReLU zeroes the {negative} negative units of {x.size}."
    if zero:
        note += (f" {plural(zero, 'unit')} {'is' if zero == 1 else 'are'} exactly 0, at the kink: the "
                 "output is 0 there too, and backward every rule counts them as off ([x > 0] is 0), "
                 "as PyTorch does.")
    return note


def vector(v):
    return "[" + ", ".join(number(a, False) for a in v) + "]"


def _pool_forward(trace, level):
    relu, sw = trace.forward["relu"], trace.switches
    blocks = [Heading(level, "max-pool 2x2 and its switches"), display(eq.POOL),
              Grids(tuple(plane_grids(Math("y = maxpool(x)", "y"), trace.forward["pool"])) +
                    tuple(plane_grids(Math("switches s (row,col)", "s"),
                                      np.vectorize(lambda r, c: f"({r},{c})", otypes=[object])(
                                          sw[..., 0], sw[..., 1]))))]
    notes = []
    for ch, p, q in np.ndindex(sw.shape[:3]):
        window = relu[ch, 2 * p:2 * p + 2, 2 * q:2 * q + 2]
        where = f"rows {2 * p}-{2 * p + 1}, cols {2 * q}-{2 * q + 1}" + (f" of channel {ch}" if len(relu) > 1 else "")
        if window.max() > 0 and not any("clear winner" in n for n in notes):
            notes.append(f"the window at {where} holds {_flat(window)}: a clear winner, "
                         f"{number(window.max())} at {position(sw[ch, p, q])}")
        if window.max() == 0 and not any("tie" in n for n in notes):
            notes.append(f"the window at {where} is all zeros after the ReLU: a tie, and the "
                         f"engine (like PyTorch) keeps the first in row-major order, "
                         f"{position(sw[ch, p, q])}")
    return blocks + [para("The switches remember where each maximum came from, as positions in "
                          "the ReLU output; " + "; ".join(notes) + ".")]


def _flat(window):
    return "[" + " ".join(number(v) for v in window.reshape(-1)) + "]"


def _backward(trace, level):
    c = trace.target
    blocks = [Heading(level, f"Backward pass: explaining the logit S = z[{c}] of class {c}"),
              para("The seed is dS/dz, a one-hot vector. Then each layer sends back its dx; the "
                   "rule (gradient, deconvnet or guided) only changes what a ReLU does."),
              Grids((grid(Math("g = dS/dz", r"\partial S / \partial z"), trace.seed),))]
    wd = trace.net["dense"].params["weight"]
    g = trace.gradient_into("dense", trace.rules[0])
    dx = trace.backward[trace.rules[0]]["dense"]
    j = int(np.argmax(np.abs(dx)))
    blocks += [Heading(level + 1, "dense"), display(eq.DENSE_BACK),
               *rule_grids(trace, "dense", Math("dx", "dx")),
               para("Check: ", worked(at("dx", j), None, [(wd[k, j], g[k]) for k in range(2)
                                                         if wd[k, j] and g[k]], dx[j]),
                    f": with a one-hot seed, dx is row {c} of the dense weights.")]
    blocks += [Heading(level + 1, "flatten"), display(eq.FLATTEN_BACK),
               *rule_grids(trace, "flatten", Math("dx", "dx"))]
    blocks += [Heading(level + 1, "max-pool: back through the switches"), display(eq.POOL_BACK),
               *rule_grids(trace, "pool", Math("dx", "dx")),
               para("Each g goes to the position its switch recorded and nowhere else, under every "
                    "rule: Zeiler & Fergus's deconvnet 'unpools' exactly this way.")]
    blocks += _relu_backward(trace, level + 1)
    blocks += _conv_backward(trace, level + 1)
    return blocks


def _relu_backward(trace, level):
    x = trace.forward["conv"]
    g = trace.gradient_into("relu", trace.rules[0])
    title = "ReLU: where the rules differ" if len(trace.rules) > 1 else f"ReLU under the {trace.rules[0]} rule"
    blocks = [Heading(level, title)]
    blocks.append(display(*(Math(f"{rule:<10} {eq.RELU_BACK[rule].plain}",
                                 f"\\text{{{rule}:}}\\quad {eq.RELU_BACK[rule].latex}") for rule in trace.rules)))
    blocks += [Grids(tuple(plane_grids(Math("x (ReLU input)", "x"), x)) +
                     tuple(plane_grids(Math("g (from the pool)", "g"), g)))]
    blocks += rule_grids(trace, "relu", Math("dx", "dx"))
    blocks += relu_cases(trace, "relu", x, {rule: g for rule in trace.rules})
    blocks.append(para("The gradient rule asks whether the unit was on in the forward pass, deconvnet "
                       "whether the signal coming back is positive, guided backprop asks both."))
    return blocks


def relu_cases(trace, name, x, gs):
    """Paragraphs working out the ReLU ``name`` (input x) at a live unit with a negative
    gradient, a dead one with a positive gradient and a live one with a positive gradient
    (classified by the first rule's incoming g), each under every rule; gs: {rule: the
    incoming g}, printed once when the rules agree on it."""
    first = gs[trace.rules[0]]
    shared = all(np.array_equal(first, gs[r]) for r in trace.rules)
    cases = [("A live unit with a negative gradient", (x > 0) & (first < 0)),
             ("A dead unit with a positive gradient", (x <= 0) & (first > 0)),
             ("A live unit with a positive gradient", (x > 0) & (first > 0))]
    blocks = []
    for what, mask in cases:
        if not mask.any():
            continue
        k = tuple(int(v) for v in np.argwhere(mask)[0])
        if shared:
            pieces = [f"{what} at {where(k, len(x))}: x = {number(x[k])}, g = {number(first[k])}; "]
        else:
            pieces = [f"{what} (by the {trace.rules[0]} rule's g) at {where(k, len(x))}: x = {number(x[k])}; "]
        for n, rule in enumerate(trace.rules):
            d = trace.backward[rule][name][k]
            pieces += [f"{rule} " if n == 0 else f", {rule} " if shared else f"; {rule} "]
            if not shared:
                pieces.append(f"with g = {number(gs[rule][k])}, ")
            pieces.append(Math(f"{eq.RELU_BACK[rule].plain} = {number(d)}", f"{eq.RELU_BACK[rule].latex} = {number(d)}"))
        blocks.append(para(*pieces, "."))
    return blocks


def _conv_backward(trace, level):
    w = trace.net["conv"].params["weight"]
    blocks = [Heading(level, "conv: the transposed correlation, down to the input"), display(eq.CONV_BACK),
              *rule_grids(trace, "conv", Math("dx = dS/d(input)", "dx"))]
    dxs = np.stack([trace.backward[r]["conv"] for r in trace.rules])
    differ = (dxs != dxs[0]).any(axis=0)
    counts = np.zeros(differ.shape, int)
    grads = {r: trace.gradient_into("conv", r) for r in trace.rules}
    _, kh, kw = w.shape[1:]
    fo, ho, wo = grads[trace.rules[0]].shape

    def terms(rule, c, h, v):
        g = grads[rule]
        return [(w[f, c, i, j], g[f, h - i, v - j]) for f in range(fo) for i in range(kh) for j in range(kw)
                if 0 <= h - i < ho and 0 <= v - j < wo and w[f, c, i, j] and g[f, h - i, v - j]]

    for k in np.ndindex(counts.shape):
        counts[k] = sum(len(terms(rule, *k)) for rule in trace.rules)
    pick = differ if differ.any() else np.ones_like(differ)
    k = tuple(int(v) for v in np.unravel_index(int(np.argmax(np.where(pick, counts, -1))), counts.shape))
    checks = []
    for n, rule in enumerate(trace.rules):
        checks += ["; " if n else "", f"{rule}: ",
                   worked(at("dx", *k), None, terms(rule, *k), trace.backward[rule]["conv"][k])]
    blocks.append(para(f"Check the pixel at {where(k, len(w[0]))} (terms with a zero factor left "
                       "out): ", *checks, "."))
    if len(trace.rules) > 1:
        blocks.append(para(f"The rules give different input gradients at {int(differ.sum())} of the "
                           f"{differ.size} pixels: they differ at the ReLU, and the conv spreads the "
                           f"difference over each unit's {kh}x{kw} receptive field."))
    return blocks


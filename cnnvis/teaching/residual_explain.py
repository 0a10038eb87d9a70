"""A ResidualTrace as a document (blocks.py): each node's equation beside its numbers, one
entry of each worked out, and, at the input, the two gradients that meet there and their sum.
"""
import numpy as np

from . import equations as eq
from .blocks import DECIMALS, Grids, Heading, Math, display, grid, number, para, plane_grids
from .explain import maps_grids, relu_cases, relu_note, rule_grids, vector
from .worked import at, plural, value, where, worked


def explain_residual(trace, level=1):
    """Blocks for the whole residual trace; ``level`` is the level of its title heading."""
    s = trace.spec
    c, n = s.channels, s.size
    title = (f"A tiny residual block traced through cnnvis's engine (seed {trace.seed_value}, "
             f"input {c}x{n}x{n})")
    blocks = [Heading(level, title), para(
        f"input {c}x{n}x{n} -> conv1 3x3 ({plural(c, 'filter')}, padding 1) -> ReLU -> conv2 3x3 "
        f"({plural(c, 'filter')}, padding 1) -> add (conv2 + input: the skip connection) -> ReLU -> "
        f"global average pool -> dense {c} -> 2 -> softmax. Node names: conv1, relu1, conv2, add, "
        "relu2, gap, dense, softmax; the add reads conv2 and the network's input, which is "
        "therefore read twice (by conv1 and by the add). Weights and pixels are small integers; "
        f"the global average pool divides by {s.pixels}, so from there on, and in the whole "
        f"backward pass, every number is a multiple of 1/{s.pixels}"
        + (f" = {number(1 / s.pixels, False)}, printed exactly" if 10 ** DECIMALS % s.pixels == 0 else
           f", printed to {DECIMALS} decimals") + ". All numbers are computed by cnnvis itself (Network.forward and "
        "Network.backward in float64, one node at a time). In each node x is its input, y its "
        "output, g = dS/dy what arrives from above in the backward pass and dx = dS/dx what it "
        "sends below; [cond] is 1 when cond holds, else 0.")]
    blocks += _parameters(trace, level + 1)
    blocks += _forward(trace, level + 1)
    blocks += _backward(trace, level + 1)
    return blocks


def _parameters(trace, level):
    net, grids = trace.net, []
    for name in ("conv1", "conv2"):
        w, b = net[name].params["weight"], net[name].params["bias"]
        grids += [grid(Math(f"{name} W[{f},{k}]", f"W^{{\\text{{{name}}}}}_{{{f},{k}}}"), w[f, k])
                  for f in range(w.shape[0]) for k in range(w.shape[1])]
        grids.append(grid(Math(f"{name} bias b", f"b^{{\\text{{{name}}}}}"), b))
    grids += [grid(Math(f"dense W (2 x {trace.spec.channels})", "W^{\\text{dense}}"), net["dense"].params["weight"]),
              grid(Math("dense bias b", "b^{\\text{dense}}"), net["dense"].params["bias"])]
    return [Heading(level, "Parameters"), Grids(tuple(grids))]


# ---- conv with padding 1: the terms of one entry ------------------------------------------------
def conv_terms(w, x, f, p, q):
    """(W, x) pairs of y[f,p,q] = b + sum W[f,c,i,j] x[c,p+i-1,q+j-1], inside x, no zero factor."""
    _, cs, k, _ = w.shape
    size = x.shape[1:]
    return [(w[f, c, i, j], x[c, p + i - 1, q + j - 1]) for c in range(cs) for i in range(k) for j in range(k)
            if 0 <= p + i - 1 < size[0] and 0 <= q + j - 1 < size[1] and w[f, c, i, j] and x[c, p + i - 1, q + j - 1]]


def conv_back_terms(w, g, c, h, v):
    """(W, g) pairs of dx[c,h,w] = sum W[f,c,i,j] g[f,h-i+1,w-j+1], inside g, no zero factor."""
    fs, _, k, _ = w.shape
    size = g.shape[1:]
    return [(w[f, c, i, j], g[f, h - i + 1, v - j + 1]) for f in range(fs) for i in range(k) for j in range(k)
            if 0 <= h - i + 1 < size[0] and 0 <= v - j + 1 < size[1] and w[f, c, i, j] and g[f, h - i + 1, v - j + 1]]


def _conv_forward(trace, name, x, level):
    y, w, b = trace.forward[name], trace.net[name].params["weight"], trace.net[name].params["bias"]
    k = np.unravel_index(int(np.argmax(np.abs(y))), y.shape)
    return [Heading(level, f"{name} (padding 1: the output keeps the input's size)"), display(eq.CONV_PAD),
            Grids(tuple(plane_grids(Math(f"y = {name}(x)", "y"), y))),
            para("Check the largest entry in size (terms with a zero factor left out): ",
                 worked(at("y", *k), b[k[0]], conv_terms(w, x, *k), y[k]))]


# ---- the forward pass ----------------------------------------------------------------------------
def _forward(trace, level):
    f, x = trace.forward, trace.x
    blocks = [Heading(level, "Forward pass"), Heading(level + 1, "input"),
              Grids(tuple(plane_grids(Math("x", "x"), x)))]
    blocks += _conv_forward(trace, "conv1", x, level + 1)
    blocks += [Heading(level + 1, "relu1"), display(eq.RELU),
               Grids(tuple(plane_grids(Math("y = relu(x)", "y"), f["relu1"]))), para(relu_note(f["conv1"]))]
    blocks += _conv_forward(trace, "conv2", f["relu1"], level + 1)
    blocks += _add_forward(trace, level + 1)
    blocks += [Heading(level + 1, "relu2"), display(eq.RELU),
               Grids(tuple(plane_grids(Math("y = relu(x)", "y"), f["relu2"]))), para(relu_note(f["add"]))]
    blocks += _gap_forward(trace, level + 1)
    z, m = f["dense"], f["gap"]
    wd, bd = trace.net["dense"].params["weight"], trace.net["dense"].params["bias"]
    c = trace.target
    blocks += [Heading(level + 1, "dense (the logits z)"), display(eq.DENSE), Grids((grid(Math("z", "z"), z),)),
               para("Check: ", worked(at("z", c), bd[c], [(wd[c, j], m[j]) for j in range(len(m))
                                                            if wd[c, j] and m[j]], z[c]))]
    blocks += [Heading(level + 1, "softmax"), display(eq.SOFTMAX), Grids((grid(Math("p", "p"), f["softmax"]),)),
               para(f"The network predicts class {int(np.argmax(z))}. For true class t = {c} training "
                    "would send back dL/dz = p - e_t = ", Math(vector(trace.cross_entropy), vector(trace.cross_entropy)),
                    " (the engine's softmax backward); below, the logit S = ", at("z", c),
                    f" of class {c} is explained.")]
    return blocks


def _add_forward(trace, level):
    branch, x, y = trace.forward["conv2"], trace.x, trace.forward["add"]
    rescued = (branch < 0) & (y > 0)
    k = tuple(int(v) for v in np.argwhere(rescued if rescued.any() else (branch != 0) & (x != 0))[0])
    lhs = at("y", *k)
    sum_plain = f"{lhs.plain} = {value(branch[k])} + {value(x[k])} = {number(y[k])}"
    sum_latex = f"{lhs.latex} = {value(branch[k])} + {value(x[k])} = {number(y[k])}"
    note = (": the skip keeps this unit alive although the branch alone is negative." if rescued.any() else ".")
    return [Heading(level, "add: the skip connection"), display(eq.ADD),
            Grids(tuple(plane_grids(Math("conv2 output (the branch)", "F(x)"), branch)) +
                  tuple(plane_grids(Math("x (the skip)", "x"), x)) +
                  tuple(plane_grids(Math("y = conv2 + x", "y"), y))),
            para(f"Entry by entry; at {where(k, len(y))}: ", Math(sum_plain, sum_latex), note)]


def _gap_forward(trace, level):
    a, m, hw = trace.forward["relu2"], trace.forward["gap"], trace.spec.pixels
    terms = [number(v) for v in a[0].reshape(-1) if v]
    total = float(a[0].sum())
    lhs = at("m", 0)
    plain = f"{lhs.plain} = ({' + '.join(terms) or '0'}) / {hw} = {number(total)} / {hw} = {number(m[0], False)}"
    latex = (f"{lhs.latex} = \\frac{{{' + '.join(terms) or '0'}}}{{{hw}}} = \\frac{{{number(total)}}}{{{hw}}}"
             f" = {number(m[0], False)}")
    return [Heading(level, "gap: global average pool"), display(eq.GAP), Grids((grid(Math("m = gap(x)", "m"), m),)),
            para("Check (the nonzero entries of relu2's output): ", Math(plain, latex))]


# ---- the backward pass ---------------------------------------------------------------------------
def _backward(trace, level):
    c, hw = trace.target, trace.spec.pixels
    first = trace.rules[0]
    blocks = [Heading(level, f"Backward pass: explaining the logit S = z[{c}] of class {c}"),
              para("The seed is dS/dz, a one-hot vector. Each node sends back its dx; the rule "
                   "(gradient, deconvnet or guided) only changes what a ReLU does, and here there are "
                   "two ReLUs."),
              Grids((grid(Math("g = dS/dz", r"\partial S / \partial z"), trace.seed),))]
    blocks += [Heading(level + 1, "dense"), display(eq.DENSE_BACK), *rule_grids(trace, "dense", Math("dx", "dx")),
               para(f"With a one-hot seed, dx is row {c} of the dense weights.")]
    g = trace.gradient_into("gap", first)
    blocks += [Heading(level + 1, "gap: every entry gets an equal share"), display(eq.GAP_BACK),
               *rule_grids(trace, "gap", Math("dx", "dx")),
               para(f"Each of the {hw} entries of channel c gets g[c] / {hw}; e.g. ",
                    Math(f"dx[0,0,0] = {number(g[0])} / {hw} = {number(g[0] / hw, False)}",
                         f"dx_{{0,0,0}} = {number(g[0])} / {hw} = {number(g[0] / hw, False)}"),
                    f". Every number below is a multiple of 1/{hw}"
                    + (f" (count in {hw}ths: {number(2 / hw, False)} = 2/{hw}, {number(3 / hw, False)} = 3/{hw}, ...)."
                       if 10 ** DECIMALS % hw == 0 else "."))]
    blocks += _relu_backward(trace, "relu2", "add", "from the gap", level + 1)
    blocks += _add_backward(trace, level + 1)
    blocks += _conv_backward(trace, "conv2", "dx (into relu1)", level + 1)
    blocks += _relu_backward(trace, "relu1", "conv1", "from conv2", level + 1)
    blocks += _conv_backward(trace, "conv1", "branch term at the input", level + 1)
    blocks += _meeting(trace, level + 1)
    return blocks


def _relu_backward(trace, name, below, source, level):
    x = trace.forward[below]
    gs = {rule: trace.gradient_into(name, rule) for rule in trace.rules}
    title = f"{name}: where the rules differ" if len(trace.rules) > 1 else f"{name} under the {trace.rules[0]} rule"
    blocks = [Heading(level, title), display(*(Math(f"{rule:<10} {eq.RELU_BACK[rule].plain}",
                                                    f"\\text{{{rule}:}}\\quad {eq.RELU_BACK[rule].latex}")
                                               for rule in trace.rules))]
    shared = all(np.array_equal(gs[trace.rules[0]], gs[r]) for r in trace.rules)
    if shared:
        blocks.append(Grids(tuple(plane_grids(Math(f"x ({name} input)", "x"), x)) +
                            tuple(plane_grids(Math(f"g ({source})", "g"), gs[trace.rules[0]]))))
    else:
        blocks += [Grids(tuple(plane_grids(Math(f"x ({name} input)", "x"), x))),
                   para(f"The g arriving here already differs by rule ({source}; the rules parted at relu2 above):"),
                   Grids(tuple(g for rule in trace.rules for g in
                               maps_grids(Math(f"g ({rule})", f"g^{{\\text{{{rule}}}}}"), gs[rule])))]
    blocks += rule_grids(trace, name, Math("dx", "dx"))
    blocks += relu_cases(trace, name, x, gs)
    return blocks


def _add_backward(trace, level):
    blocks = [Heading(level, "add: the gradient is copied to both inputs"), display(eq.ADD_BACK)]
    for rule in trace.rules:
        b = trace.backward[rule]
        tag = f" ({rule})" if len(trace.rules) > 1 else ""
        blocks.append(Grids(tuple(maps_grids(Math(f"dx_1, to the branch (conv2){tag}", "dx_1"), b["branch"])) +
                            tuple(maps_grids(Math(f"dx_2, to the skip (the input){tag}", "dx_2"), b["skip"]))))
    return blocks + [para(
        "Both copies are g, what relu2 sent down (Add.backward returns (g, g), cnnvis/layers/merge.py). "
        "The copy to the skip goes straight to the input; the copy to the branch goes on down "
        "through conv2, relu1 and conv1, and the two meet again at the input.")]


def _conv_backward(trace, name, label, level):
    w = trace.net[name].params["weight"]
    blocks = [Heading(level, f"{name}: the transposed correlation"), display(eq.CONV_PAD_BACK),
              *rule_grids(trace, name, Math(label, "dx"))]
    grads = {rule: trace.gradient_into(name, rule) for rule in trace.rules}
    dxs = np.stack([trace.backward[r][name] for r in trace.rules])
    differ = (dxs != dxs[0]).any(axis=0)
    counts = np.zeros(differ.shape, int)
    for k in np.ndindex(counts.shape):
        counts[k] = sum(len(conv_back_terms(w, grads[rule], *k)) for rule in trace.rules)
    pick = differ if differ.any() else np.ones_like(differ)
    k = tuple(int(v) for v in np.unravel_index(int(np.argmax(np.where(pick, counts, -1))), counts.shape))
    checks = []
    for n, rule in enumerate(trace.rules):
        checks += ["; " if n else "", f"{rule}: ",
                   worked(at("dx", *k), None, conv_back_terms(w, grads[rule], *k), trace.backward[rule][name][k])]
    return blocks + [para(f"Check the entry at {where(k, len(w[0]))} (terms with a zero factor left out): ",
                          *checks, ".")]


def _meeting(trace, level):
    blocks = [Heading(level, "the input: where the branch and the skip meet, the gradients add"),
              display(eq.FORK_BACK)]
    for rule in trace.rules:
        b = trace.backward[rule]
        tag = f" ({rule})" if len(trace.rules) > 1 else ""
        blocks.append(Grids(tuple(maps_grids(Math(f"branch term{tag}", "dx^{\\text{branch}}"), b["conv1"])) +
                            tuple(maps_grids(Math(f"skip term{tag}", "dx^{\\text{skip}}"), b["skip"])) +
                            tuple(maps_grids(Math(f"dx = dS/d(input){tag}", "dx"), b["input"]))))
    b = [trace.backward[r] for r in trace.rules]  # a pixel where both terms are nonzero under the
    score = np.sum([2 * ((d["conv1"] != 0) & (d["skip"] != 0)) + (d["input"] != 0) for d in b], axis=0)
    k = np.unravel_index(int(np.argmax(score)), score.shape)  # most rules, then nonzero sums
    checks = []
    for n, rule in enumerate(trace.rules):
        b = trace.backward[rule]
        lhs = at("dx", *k)
        sums = f"{value(b['conv1'][k])} + {value(b['skip'][k])} = {number(b['input'][k])}"
        checks += ["; " if n else "", f"{rule}: ", Math(f"{lhs.plain} = {sums}", f"{lhs.latex} = {sums}")]
    first = trace.backward[trace.rules[0]]
    only_skip = int(((first["conv1"] == 0) & (first["skip"] != 0)).sum())
    blocks += [para(f"At {where(k, len(trace.x))}, branch term + skip term: ", *checks, "."),
               para("Network.backward forms this sum itself: walking the graph backwards it adds the "
                    "gradients arriving at a node that several nodes read (cnnvis/graph.py), here the "
                    "input, read by conv1 and by the add. The skip term is the add's g unchanged"
                    + (f"; under the {trace.rules[0]} rule it is the whole gradient at "
                       f"{plural(only_skip, 'pixel')} where the branch sends nothing back" if only_skip else "")
                    + ". This identity path is what keeps gradients flowing through deep residual "
                    "networks (He et al. 2016).")]
    return blocks

"""The collapsed diagram: one box per layer with W, b, z, a and delta as the notes write them, and the loss
in a box of its own, named, with its formula and the output delta it gives.

    >>> from autograd_lite import Value, dot, draw
    >>> w, b = [Value(0.5), Value(-1.0)], Value(0.1); a = (dot(w, [1.0, 2.0]) + b).tanh(); a.backward()
    >>> named = [("neurons.0.w.0", w[0]), ("neurons.0.w.1", w[1]), ("neurons.0.b", b)]
    >>> "W<SUP>[1]</SUP> (1×2)" in draw(a, model=named, collapse=True).source
    True

Layers count from 1 (the parameter names' ``layers.0`` is printed beside, small). Matrices up to ``FULL`` x
``FULL`` are shown whole (W^[l], dC/dW^[l], and in a batch Z, A and the deltas, one column per example);
bigger ones as their shape and a summary, and a batch of more than ``FULL`` examples as its mean, labelled.
"""

from __future__ import annotations

import math
from typing import Any

import graphviz

from ..core.backprop import grad as fresh_gradients
from ..core.engine import Value
from .clusters import Clusters, LayerSummary, find_layers, layer_inputs
from .collapsed_loss import LossReading, loss_nodes, read_loss
from .diagram import LEAF, new_graph
from .formatting import node_names, number
from .labels import dot_html
from .labels import name as shown
from .notation import network_caption, symbol

FULL = 8  # matrices up to 8 x 8 are printed entry by entry; bigger ones as shape and summary
LAYER, LOSS, MUTED, WARN = "#eef2ff", "#fef3c7", "#64748b", "#b91c1c"
STALE = 1e-9  # relative: a parameter's shown gradient further than this from root's true gradient is flagged


def collapsed(root: Value, order: list[Value], clusters: Clusters, rankdir: str, precision: int,
              grad: Any | None) -> graphviz.Digraph:
    """One box per layer of the model in ``clusters``, then the loss box; ``grad`` is None without gradients."""
    found = _weighted_sums_only(find_layers(order, clusters), clusters)
    if not found:
        raise ValueError("draw(collapse=True): none of the model's parameters is used in this graph")
    _own_activation(found, order)
    num = lambda x: number(x, precision)
    warning = ""
    if grad is not None:
        grad, warning = _check_gradients(root, found, grad)
    samples = len(found[0].z[0])
    last = found[-1]
    reading = read_loss(root, last.a, samples, last.activation)
    reading.other_terms, reading.other_leaves = _other_terms(root, order, last.a)
    scale = float(samples) if reading.per_example else 1.0  # delta^(i) = m dC/dz^(i) when C = 1/m sum_i L^(i)
    graph = new_graph(rankdir)
    graph.attr("node", fontsize="10")
    graph.attr("edge", fontsize="10")
    alert = f'<font color="{WARN}" point-size="12">{warning}</font><br align="left"/>' if warning else ""
    graph.attr(label=f"<{alert}{network_caption('dot_html')}>", labelloc="b", labeljust="l", fontsize="10",
               fontcolor=MUTED)
    X = _transpose([[x.data for x in layer_inputs(z, clusters)] for z in found[0].z[0]])  # a^[0]: n_0 x m
    title = "input x = a^[0]" if samples == 1 else f"inputs X = A^[0], one column per example (m = {samples})"
    graph.node("inputs", label=_box(title, "", [("x" if samples == 1 else "X", _grid(X, num, samples > 1))], LEAF),
               shape="plaintext")
    previous = "inputs"
    for i, layer in enumerate(found):
        graph.node(f"layer{i}", label=_layer_box(layer, i + 1, len(found), samples, num, grad, scale, reading),
                   shape="plaintext")
        graph.edge(previous, f"layer{i}", label=_edge_label(i, samples))
        previous = f"layer{i}"
    graph.node("loss", label=_loss_box(root, order, reading, last, num), shape="plaintext")
    what = "logits z^[L]" if reading.logits else "ŷ = a^[L]"
    graph.edge(previous, "loss", label=f"<{symbol(what.replace('L]', f'{len(found)}]'), 'dot_html')}>")
    return graph


def _check_gradients(root: Value, found: list[LayerSummary], grad: Any) -> tuple[Any | None, str]:
    """The gradients to draw, and a warning when they are not root's: no backward yet (every one 0: the rows are
    left out) or ``.grad`` that holds more than this loss's gradient (backward run twice, or an earlier loss's
    gradients never zeroed). The check is one fresh ``grad`` pass over the parameters."""
    params, names = [], []  # names in note 001's: w_jk^[l] from node j of layer l-1 to node k of layer l
    for ell, layer in enumerate(found, 1):
        for k, (row, b) in enumerate(zip(layer.weights, layer.biases), 1):
            params += [*row, b]
            names += [f"w_{j}{k}^[{ell}]" for j in range(1, len(row) + 1)] + [f"b_{k}^[{ell}]"]
    shown_grads = [grad(p) for p in params]
    if grad(root) == 0.0 and not any(shown_grads):
        return None, dot_html("no gradients: backward() has not run on this loss (call loss.backward()), so the "
                              "∂L/∂W, ∂L/∂b and δ rows are left out")
    true = [g.data for g in fresh_gradients(root, params)]
    worst = max((abs(s - t) / (1.0 + abs(t)) for s, t in zip(shown_grads, true)), default=0.0)
    if worst > STALE:
        i = max(range(len(params)), key=lambda k: abs(shown_grads[k] - true[k]))
        name = symbol(names[i], "dot_html")
        return grad, (f"⚠ these gradients are not this loss's: {name}.grad = {number(shown_grads[i], 4)} but ∂L/∂"
                      f"{name} = {number(true[i], 4)}. " + dot_html("Gradients add up over backward() calls: call "
                                                                     "model.zero_grad() before loss.backward()."))
    return grad, ""


def _other_terms(root: Value, order: list[Value], outputs: list[list[Value]]) -> tuple[int, set[Value]]:
    """The loss's ops that do not use the model's output (0.1 * sum of w^2), and the leaves they use: such terms
    change dL/dW but not delta, so the box must not say the loss is only the named one, nor dL/dW = delta a^T."""
    reach = {y for per_neuron in outputs for y in per_neuron}
    for node in order:  # inputs first: a node uses the output when one of its inputs does
        if node.inputs and any(x in reach for x in node.inputs):
            reach.add(node)
    extra = [v for v in loss_nodes(root, {y for per_neuron in outputs for y in per_neuron}) if v not in reach]
    leaves: set[Value] = set()
    stack = list(extra)
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if not x.inputs:
                leaves.add(x)
            elif x not in reach:
                stack.append(x)
    return len(extra), leaves


def _weighted_sums_only(found: list[LayerSummary], clusters: Clusters) -> list[LayerSummary]:
    """Keep as a neuron's z only a weighted sum that uses all its weights and its bias: a penalty on the weights
    (0.1 * sum of w^2) also makes "linear" nodes of the neuron, which were drawn as more examples (m = 3, X none)."""
    kept = []
    for layer in found:
        for k, (zs, as_) in enumerate(zip(layer.z, layer.a)):
            needed = set(layer.weights[k]) | ({layer.biases[k]} if k < len(layer.biases) else set())
            keep = [i for i, z in enumerate(zs) if needed <= _sum_terms(z, clusters)]
            layer.z[k], layer.a[k] = [zs[i] for i in keep], [as_[i] for i in keep]
        if layer.z and all(layer.z) and len({len(zs) for zs in layer.z}) == 1:
            kept.append(layer)
    return kept


def _sum_terms(z: Value, clusters: Clusters) -> set[Value]:
    """The Values a weighted sum ``z`` is built from, walking back through its linear nodes only."""
    seen: set[Value] = set()
    stack = [z]
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if x not in seen:
                seen.add(x)
                if x in clusters.linear:
                    stack.append(x)
    return seen


def _own_activation(found: list[LayerSummary], order: list[Value]) -> None:
    """A unary op that shares z with another op is the loss's (softplus(z) - t z), not the layer's activation:
    such a layer is linear, a = z (the bug: BCE with logits drawn as a "softplus" output layer)."""
    users: dict[Value, int] = {}
    for node in order:
        for x in node.inputs:
            users[x] = users.get(x, 0) + 1
    for layer in found:
        if layer.activation in ("", "softmax"):
            continue
        if any(users.get(z, 0) > 1 for per_neuron in layer.z for z in per_neuron):
            layer.a = [list(per_neuron) for per_neuron in layer.z]
            layer.activation = ""


def _edge_label(i: int, samples: int) -> str:
    return f"<{symbol('a^[0]' if i == 0 else f'a^[{i}]', 'dot_html')}>" if samples == 1 else (
        f"<{symbol('A^[0]' if i == 0 else f'A^[{i}]', 'dot_html')}>")


def _layer_box(layer: LayerSummary, index: int, depth: int, samples: int, num: Any, grad: Any | None, scale: float,
               reading: LossReading) -> str:
    n_out, n_in = len(layer.neurons), len(layer.weights[0])
    g = layer.activation or "linear"
    batch = samples > 1
    rows: list[tuple[str, str]] = [
        (f"W^[{index}] ({n_out}×{n_in})", _grid([[w.data for w in row] for row in layer.weights], num)),
    ]
    other = "\n+ the loss's other terms" if any(w in reading.other_leaves for row in layer.weights for w in row) else ""
    if grad is not None:
        dW = "∂L/∂W^[{l}]\n= delta^[{l}] (a^[{p}])ᵀ" if not batch else (
            "∂C/∂W^[{l}]\n= 1/m Σᵢ delta⁽ⁱ⁾ a⁽ⁱ⁾ᵀ (eq. 23a)" if scale != 1.0 else "∂C/∂W^[{l}]\n= Σᵢ (∂C/∂z⁽ⁱ⁾) a⁽ⁱ⁾ᵀ")
        dW += other
        rows.append((dW.format(l=index, p=index - 1), _grid([[grad(w) for w in row] for row in layer.weights], num)))
    rows.append((f"b^[{index}]", _grid([[b.data] for b in layer.biases], num)))
    if grad is not None:
        db = "∂L/∂b^[{l}] = delta^[{l}]" if not batch else (
            "∂C/∂b^[{l}]\n= 1/m Σᵢ delta⁽ⁱ⁾ (eq. 23b)" if scale != 1.0 else "∂C/∂b^[{l}]\n= Σᵢ ∂C/∂z⁽ⁱ⁾")
        db += "\n+ the loss's other terms" if any(b in reading.other_leaves for b in layer.biases) else ""
        rows.append((db.format(l=index), _grid([[grad(b)] for b in layer.biases], num)))
    z, a = ("Z", "A") if batch else ("z", "a")
    activation = "softmax" if g == "softmax" else ("" if g == "linear" else g)
    output = " = ŷ" if index == depth and not layer.activation and not reading.logits else ""
    rows.append((f"{z}^[{index}]{output}\n= W^[{index}] {a}^[{index - 1}] + b^[{index}]",
                 _columns(layer.z, _data, num)))
    if layer.activation:
        rows.append((f"{a}^[{index}] = {activation}({z}^[{index}])" + (" = ŷ" if index == depth else ""),
                     _columns(layer.a, _data, num)))
    if grad is not None:
        if not batch:
            label = f"delta^[{index}] = ∂L/∂z^[{index}]"
        elif scale != 1.0:
            label = f"delta^[{index}] = ∂L⁽ⁱ⁾/∂z^[{index}]\nper example (eq. 23's J_z(C))\n= m × the engine's ∂C/∂z"
        else:
            label = f"∂C/∂z^[{index}]\n(the engine's, one column per example)"
        rows.append((label, _columns(layer.z, lambda v: grad(v) * scale, num)))
    name = shown(layer.name)
    title = f"layer {index}: {n_in} → {n_out}, " + ("linear (a = z)" if g == "linear" else f"g = {g}")
    return _box(title, f"({name})" if name else "", rows)


def _loss_box(root: Value, order: list[Value], reading: LossReading, last: LayerSummary, num: Any) -> str:
    name = node_names(order)[root]
    batch = len(last.z[0]) > 1
    rows = [("formula", symbol(reading.formula, "dot_html")), ("cost", symbol(reading.cost, "dot_html")),
            ("value", dot_html(f"C = {num(root.data)}" + (f"  (node {name})" if root.label not in ("", "C") else "")))]
    if reading.logits:  # the loss's own squashing of the logits, so delta = ŷ - t can be read off
        z = [[v.data for v in per_neuron] for per_neuron in last.a]  # the loss's input: z of a linear layer
        softmax = reading.name.startswith("cross")
        y_hat = _softmax(z) if softmax else [[_sigmoid(x) for x in row] for row in z]
        rows.append(("ŷ = softmax(z)" if softmax else "ŷ = σ(z)", _grid(y_hat, num, batch)))
    if reading.targets is not None:
        onehot = reading.name.startswith("cross")
        rows.append(("ỹ (one-hot)" if onehot else "t", _grid(reading.targets, num, batch)))
    if reading.other_terms:
        rows.append(("+ other terms", _lines(f"{reading.other_terms} ops that do not use ŷ (a penalty on the "
                                             "weights?):\nthey add to ∂L/∂W, not to δ")))
    cells = "".join(f'<tr><td align="left"><b>{dot_html(k)}</b></td><td align="left">{v}</td></tr>' for k, v in rows)
    cells += f'<tr><td align="left" colspan="2"><b>convention</b> {_lines(reading.convention)}</td></tr>'
    title = f"loss: {reading.name}" + (" + other terms" if reading.other_terms else "")
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" bgcolor="{LOSS}">'
            f'<tr><td colspan="2" align="left"><b>{dot_html(title)}</b></td></tr>{cells}</table>>')


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _softmax(z: list[list[float]]) -> list[list[float]]:
    """Each column (example) of the logits z through the softmax, shifted by its max (notes 001)."""
    out = [[0.0] * len(z[0]) for _ in z]
    for i in range(len(z[0])):
        top = max(row[i] for row in z)
        e = [math.exp(row[i] - top) for row in z]
        for k, ek in enumerate(e):
            out[k][i] = ek / sum(e)
    return out


def _data(v: Value) -> float:
    return v.data


def _transpose(rows: list[list[float]]) -> list[list[float]]:
    return [list(col) for col in zip(*rows)] if rows else []


def _columns(nodes: list[list[Value]], of: Any, num: Any) -> str:
    """Row k = neuron k, column i = example i: the whole matrix, or each neuron's mean over a big batch."""
    values = [[of(v) for v in per_neuron] for per_neuron in nodes]
    samples = len(values[0])
    if samples > FULL and len(values) <= FULL:
        mean = [[sum(row) / samples] for row in values]
        return f'<table border="0" cellspacing="0"><tr><td>{_grid(mean, num)}</td>' \
               f'<td><font color="{MUTED}">mean over the {samples} examples</font></td></tr></table>'
    return _grid(values, num, samples > 1)


def _grid(rows: list[list[float]], num: Any, examples: bool = False) -> str:
    """A matrix entry by entry (up to FULL x FULL), else its shape and a summary; ``examples``: a header
    row numbers the columns (1), (2), ... as the examples they are."""
    if not rows or not rows[0]:
        return "(none)"
    if len(rows) > FULL or len(rows[0]) > FULL:
        flat = [x for row in rows for x in row]
        lines = [f"{len(rows)}×{len(rows[0])}, too big to print", f"min {num(min(flat))}, max {num(max(flat))}",
                 f"mean {num(sum(flat) / len(flat))}"]
        return "".join(dot_html(line) + '<br align="left"/>' for line in lines)
    head = "<tr>" + "".join(f'<td align="right"><font color="{MUTED}" point-size="8">({i + 1})</font></td>'
                            for i in range(len(rows[0]))) + "</tr>" if examples else ""
    cells = "".join("<tr>" + "".join(f'<td align="right">{dot_html(num(x))}</td>' for x in row) + "</tr>"
                    for row in rows)
    return (f'<table border="0" cellborder="0" cellspacing="2" cellpadding="1" bgcolor="white">'
            f"{head}{cells}</table>")


def _lines(text: str) -> str:
    """Notation text over several lines (``\\n``): the first as it is, the others small and grey."""
    first, *rest = text.split("\n")
    out = symbol(first, "dot_html")
    for line in rest:
        out += f'<br align="left"/><font color="{MUTED}" point-size="9">{symbol(line, "dot_html")}</font>'
    return out + ('<br align="left"/>' if rest else "")


def _box(title: str, note: str, rows: list[tuple[str, str]], fill: str = LAYER) -> str:
    """A layer-like box: a title row, then (notation label | value) rows; values are DOT HTML already."""
    cells = "".join(f'<tr><td align="left">{_lines(k)}</td><td align="left">{v}</td></tr>' for k, v in rows)
    head = f"<b>{symbol(title, 'dot_html')}</b>" + (f' <font color="{MUTED}">{dot_html(note)}</font>' if note else "")
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" bgcolor="{fill}">'
            f'<tr><td colspan="2" align="left">{head}</td></tr>{cells}</table>>')


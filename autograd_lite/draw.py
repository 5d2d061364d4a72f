"""Graph diagrams with graphviz: every Value as a box (name | data | grad), every op as a circle.

    >>> from autograd_lite import Value, draw
    >>> x = Value(1.0, label="x"); y = (2 * x).tanh(); y.backward(); graph = draw(y)
    >>> graph.source.count("->")   # x -> *, 2 -> *, * -> v1, v1 -> tanh, tanh -> v2
    5

``draw(loss, model=mlp)`` groups the nodes of each neuron and layer in boxes named after the
model's parameters; ``collapse=True`` draws one box per layer instead. ``highlight=w`` marks every
path from ``w`` to the root; ``color_by="sign"`` / ``"magnitude"`` tints boxes by their gradient.
``render(graph, "graph.svg")`` writes svg/png/pdf through Graphviz's ``dot`` program.
"""

from __future__ import annotations

import html
import math
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from .engine import Value, no_grad
from .explain import _number, node_names
from .graph import topological_order
from .ops import OPS

_FORMATS = ("svg", "png", "pdf", "jpg", "gif")
_LEAF, _CONSTANT, _RESULT = "#dbeafe", "#f1f5f9", "#ffffff"  # fill colours of the boxes
_POSITIVE, _NEGATIVE = (0xdc, 0x26, 0x26), (0x25, 0x63, 0xeb)  # gradient tints: red > 0, blue < 0
_PATH = "#ea580c"  # highlighted paths


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed; the DOT source was written anyway."""


def draw(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    precision: int = 4,
    *,
    model: Any = None,
    collapse: bool = False,
    highlight: Value | Iterable[Value] | None = None,
    color_by: str | None = None,
    show_names: bool = True,
    grads: Mapping[Value, float] | None = None,
) -> graphviz.Digraph:
    """The graph behind ``root`` as a ``graphviz.Digraph`` (shown inline by Jupyter).

    >>> a = Value(2.0, label="a"); b = a * a; b.backward()
    >>> "grad 4" in draw(b).source
    True

    - ``rankdir``: "LR" (left to right, default), "TB", "RL" or "BT".
    - ``show_grad``: add each Value's ``.grad``; ``precision``: significant digits shown.
    - ``model``: anything with ``named_parameters()`` (or an iterable of ``(name, Value)``):
      nodes made by a neuron/layer are drawn inside a box named after its parameters.
    - ``collapse``: with ``model``, one box per layer summarising W, b, z, a and delta = dL/dz.
    - ``highlight``: a Value (or several): every path from it to ``root`` is drawn thick.
    - ``color_by``: "sign" (red positive, blue negative gradient) or "magnitude" (the same
      colours, darker for larger ``|grad|``).
    - ``show_names``: print node names (labels, else v1, v2, ...) in the boxes.
    - ``grads``: gradients to show instead of each ``.grad`` (e.g. ``explain(root).grads``).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if color_by not in (None, "sign", "magnitude"):
        raise ValueError(f"draw: color_by must be None, 'sign' or 'magnitude', got {color_by!r}")
    if not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"draw: precision must be an int from 1 to 17, got {precision!r}")
    order = topological_order(root)
    clusters = Clusters.infer(order, model) if model is not None else None
    if collapse:
        if clusters is None:
            raise ValueError("draw: collapse=True needs the model (draw(loss, model=mlp, collapse=True))")
        return _collapsed(root, order, clusters, rankdir, precision, _grad_of(grads) if show_grad else None)
    graph = _new_graph(rankdir)
    style = _Style(order, precision, show_grad, show_names, color_by, highlight, grads)
    place, finish = _nested(graph, clusters)
    for i, node in enumerate(order):
        target = place(clusters.of.get(node) if clusters else None)
        target.node(f"n{i}", label=style.box(node, clusters), id=f"n{i}", **style.box_attrs(node))
        if node.inputs:
            target.node(f"n{i}op", label=html.escape(OPS[node.op].label(node.param)), id=f"n{i}op",
                        shape="circle" if len(OPS[node.op].label(node.param)) <= 4 else "ellipse",
                        **style.op_attrs(node))
    finish()
    index = {node: i for i, node in enumerate(order)}
    for i, node in enumerate(order):
        if not node.inputs:
            continue
        graph.edge(f"n{i}op", f"n{i}", id=f"e{i}", **style.edge_attrs(node, node))
        for position, x in enumerate(node.inputs):
            j = index[x]
            graph.edge(f"n{j}", f"n{i}op", id=f"e{j}_{i}_{position}", **style.edge_attrs(x, node))
    if color_by:
        graph.node("legend", label=style.legend(), shape="plain", fontsize="10")
    return graph


def render(graph: graphviz.Digraph, path: str | os.PathLike) -> Path:
    """Write ``graph`` to ``path``: format from the extension (.svg .png .pdf; .dot/.gv for source only).

    >>> import os, tempfile; from autograd_lite import Value; y = Value(1.0, label="y").exp()
    >>> render(draw(y), os.path.join(tempfile.mkdtemp(), "y.dot")).name   # .svg, .png, .pdf need Graphviz's dot
    'y.dot'

    The DOT source is always written (next to the image as ``<name>.dot``), so a missing Graphviz
    installation raises ``GraphvizNotFoundError`` that says how to install it, with nothing lost.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    if suffix not in _FORMATS:
        raise ValueError(f"render: cannot tell the format from {path.name!r}; use a name ending in "
                         f".{', .'.join(_FORMATS)}, .dot or .gv")
    source = path.with_suffix(".dot")
    source.write_text(graph.source, encoding="utf-8")
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(
            f"Graphviz's 'dot' program was not found, so {path.name} was not made; the DOT source is in {source}. "
            "Install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
            f"conda: conda install graphviz), then run: dot -T{suffix} {source} -o {path}")
    try:
        path.write_bytes(graph.pipe(format=suffix))
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(f"Graphviz's 'dot' program could not be run; the DOT source is in {source}; "
                                    "install Graphviz (e.g. sudo apt-get install graphviz)") from None
    except graphviz.CalledProcessError as error:
        message = (error.stderr or b"").decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"dot failed on {source}: {message[-1] if message else error}") from None
    return path


def _new_graph(rankdir: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(format="svg")
    graph.attr(rankdir=rankdir, bgcolor="white", fontname="Helvetica", nodesep="0.25", ranksep="0.35")
    graph.attr("node", fontname="Helvetica", fontsize="11", penwidth="1.2")
    graph.attr("edge", color="#475569", arrowsize="0.7")
    return graph


# --- how each node looks -----------------------------------------------------------------
class _Style:
    """Labels and colours of the boxes, op circles and edges of one drawing."""

    def __init__(self, order: list[Value], precision: int, show_grad: bool, show_names: bool,
                 color_by: str | None, highlight: Value | Iterable[Value] | None,
                 grads: Mapping[Value, float] | None) -> None:
        self.names = node_names(order)
        self.precision, self.show_grad, self.show_names, self.color_by = precision, show_grad, show_names, color_by
        self.grad = _grad_of(grads)
        self.largest = max((abs(self.grad(v)) for v in order), default=0.0) or 1.0
        self.path = _paths(order, highlight) if highlight is not None else None

    def number(self, x: float) -> str:
        return _number(x, self.precision)

    def box(self, v: Value, clusters: Clusters | None = None) -> str:
        name = self.names[v]
        if clusters is not None and v in clusters.params and clusters.of.get(v):
            name = name.removeprefix(clusters.of[v] + ".")  # the box around it already says whose
        cells = []
        if self.show_names:
            cells.append(f"<b>{html.escape(name)}</b>" if v.label or v.inputs else "")
        cells.append(f"data {self.number(v.data)}")
        if self.show_grad:
            grey = "#334155" if self.color_by else "#64748b"
            cells.append(f'<font color="{grey}">grad {self.number(self.grad(v))}</font>')
        cells = [c for c in cells if c]
        row = "".join(f'<td cellpadding="4">{c}</td>' for c in cells)
        return f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="0"><tr>{row}</tr></table>>'

    def box_attrs(self, v: Value) -> dict[str, str]:
        fill = _RESULT if v.inputs else (_LEAF if v.label else _CONSTANT)
        if self.color_by:
            fill = self.tint(self.grad(v))
        attrs = {"shape": "plaintext", "style": "filled", "fillcolor": fill, "margin": "0"}
        if self.path is not None:
            attrs["color"] = _PATH if v in self.path else "#cbd5e1"
            attrs["penwidth"] = "2.5" if v in self.path else "1"
            attrs["style"] = "filled,bold" if v in self.path else "filled"
            if v in self.path:
                attrs["shape"] = "box"
        return attrs

    def op_attrs(self, v: Value) -> dict[str, str]:
        attrs = {"style": "filled", "fillcolor": "#fef3c7", "color": "#b45309", "fontsize": "10",
                 "width": "0.3", "height": "0.3", "margin": "0.02"}
        if self.path is not None and v not in self.path:
            attrs["color"] = "#cbd5e1"
        elif self.path is not None:
            attrs.update(color=_PATH, penwidth="2.5")
        return attrs

    def edge_attrs(self, source: Value, target: Value) -> dict[str, str]:
        if self.path is None:
            return {}
        if source in self.path and target in self.path:
            return {"color": _PATH, "penwidth": "2.5"}
        return {"color": "#cbd5e1"}

    def tint(self, g: float) -> str:
        if g == 0.0 or not math.isfinite(g):
            return "#ffffff"
        strength = 0.45 if self.color_by == "sign" else 0.12 + 0.75 * math.sqrt(abs(g) / self.largest)
        rgb = _POSITIVE if g > 0 else _NEGATIVE
        mixed = (round(255 + (c - 255) * strength) for c in rgb)
        return "#" + "".join(f"{c:02x}" for c in mixed)

    def legend(self) -> str:
        scale = "darker = larger |grad|, " if self.color_by == "magnitude" else ""
        return (f'<<table border="0"><tr><td bgcolor="{self.tint(self.largest)}">grad &gt; 0</td>'
                f'<td bgcolor="{self.tint(-self.largest)}">grad &lt; 0</td>'
                f"<td>{scale}max |grad| = {self.number(self.largest)}</td></tr></table>>")


def _paths(order: list[Value], sources: Value | Iterable[Value]) -> set[Value]:
    """Nodes on some path from one of ``sources`` to the root (``order`` ends at the root)."""
    sources = {sources} if isinstance(sources, Value) else set(sources)
    for s in sources:
        if not isinstance(s, Value):
            raise TypeError(f"draw: highlight must be a Value or Values, got {type(s).__name__}")
    missing = sources - set(order)
    if missing:
        raise ValueError(f"draw: highlight {next(iter(missing))!r} is not part of the graph being drawn")
    reach: set[Value] = set()
    for node in order:  # inputs first, so reach is complete for every input
        if node in sources or any(x in reach for x in node.inputs):
            reach.add(node)
    return reach


# --- clusters: which module made which node --------------------------------------------
@dataclass
class Clusters:
    """Each node's module ("layers.0.neurons.3"), inferred from the graph and the model's parameters.

    A parameter belongs to the module its dotted name is in; an op node that consumes parameters
    belongs to their deepest common module; an op whose inputs are all such "linear" nodes of one
    module (the sum of w_i x_i) joins it; a unary op on such a node (the activation) follows it.
    """

    of: dict[Value, str]  # the box each node is drawn in (nodes of the top-level model itself get none)
    linear: set[Value]  # nodes of a neuron's weighted sum
    params: dict[Value, str]  # parameter -> its full dotted name
    home: dict[Value, str] = field(default_factory=dict)  # as ``of``, with "" for the top-level model's nodes

    @classmethod
    def infer(cls, order: list[Value], model: Any) -> Clusters:
        params = dict((v, name) for name, v in _named_parameters(model))
        of: dict[Value, str] = {v: _module(name) for v, name in params.items()}
        linear: set[Value] = set()
        for node in order:
            if not node.inputs or node in of:
                continue
            owners = {of[x] for x in node.inputs if x in params}
            if owners:
                of[node] = _common(owners)
                linear.add(node)
                continue
            clustered = [x for x in node.inputs if x.inputs or x.label]  # ignore constants
            homes = {of.get(x) for x in clustered}
            if len(homes) != 1 or None in homes:
                continue
            # a unary op on z is the activation; a sum of several linear nodes (sum of w_i x_i) joins them.
            # Only one unary op follows z, so a loss's log(sigmoid(z)) is not drawn inside the neuron.
            if all(x in linear for x in clustered) and (len(node.inputs) == 1 or len(clustered) > 1):
                of[node] = homes.pop()
                if len(node.inputs) > 1:
                    linear.add(node)
        for node in order:  # a constant drawn next to its only user
            for x in node.inputs:
                if not x.inputs and not x.label and node in of and x not in params:
                    of.setdefault(x, of[node])
        return cls(of={v: m for v, m in of.items() if m}, linear=linear, params=params, home=of)


def _named_parameters(model: Any) -> list[tuple[str, Value]]:
    pairs = model.named_parameters() if hasattr(model, "named_parameters") else model
    try:
        pairs = list(pairs)
    except TypeError:
        raise TypeError(f"draw: model must have named_parameters() or be (name, Value) pairs, "
                        f"got {type(model).__name__}") from None
    for item in pairs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], Value)):
            raise TypeError(f"draw: model.named_parameters() must yield (str, Value) pairs, got {item!r:.80}")
    return pairs


def _module(name: str) -> str:
    """The module a parameter lives in: "layers.0.neurons.3.w.1" -> "layers.0.neurons.3"."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def _common(modules: set[str]) -> str:
    parts = [m.split(".") if m else [] for m in modules]
    common = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return ".".join(common)


def _nested(graph: graphviz.Digraph, clusters: Clusters | None) -> tuple[Any, Any]:
    """``place(module)`` -> the (sub)graph for that module's nodes; ``finish()`` nests the boxes into ``graph``.

    Every module gets a box, and so does each of its named ancestors: "layers.0" holds
    "layers.0.neurons.3" ("layers" and "layers.0.neurons" are only lists, so they get none).
    """
    boxes: dict[str, graphviz.Digraph] = {}

    def place(module: str | None) -> graphviz.Digraph:
        if module is None:
            return graph
        for prefix in _ancestors(module) + [module]:
            if prefix not in boxes:
                boxes[prefix] = _cluster(prefix)
        return boxes[module]

    def finish() -> None:
        for module in sorted(boxes, key=lambda m: (-m.count("."), _natural(m))):  # innermost first: subgraph() copies
            parents = [p for p in _ancestors(module) if p in boxes]
            (boxes[parents[-1]] if parents else graph).subgraph(boxes[module])

    return place, finish


def _ancestors(module: str) -> list[str]:
    """The named modules that contain ``module``, outermost first: a.0.b.3 -> [a.0]."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts)) if not parts[k].isdigit()]


def _cluster(module: str) -> graphviz.Digraph:
    depth = module.count(".")
    sub = graphviz.Digraph(name="cluster_" + module.replace(".", "_"))
    sub.attr(label=module, style="rounded,filled", fillcolor="#eef2ff" if depth < 2 else "#f8fafc",
             color="#94a3b8", fontsize="10", fontcolor="#334155", labeljust="l")
    return sub


# --- collapsed: one box per layer -----------------------------------------------------------
_SHOWN = 4  # vector entries printed in a layer box before "..."


@dataclass
class LayerSummary:
    """One layer of a drawn model: its neurons' z and a nodes (one per neuron and sample), W and b."""

    name: str
    neurons: list[str]
    z: list[list[Value]]  # z[k] = neuron k's z nodes, one per sample
    a: list[list[Value]]
    weights: list[list[Value]]  # weights[k] = row k of W
    biases: list[Value]
    activation: str


def find_layers(order: list[Value], clusters: Clusters) -> list[LayerSummary]:
    """The layers of the model found in the graph, in forward order (see ``Clusters``)."""
    users: dict[Value, list[Value]] = {}
    for node in order:
        for x in node.inputs:
            users.setdefault(x, []).append(node)
    by_neuron: dict[str, tuple[list[Value], list[Value], list[str]]] = {}
    for node in order:  # z: the last node of a neuron's weighted sum; a: after its unary ops
        m = clusters.home.get(node)
        if node not in clusters.linear or any(u in clusters.linear and clusters.home.get(u) == m
                                              for u in users.get(node, [])):
            continue
        a = node
        while True:
            nxt = [u for u in users.get(a, []) if len(u.inputs) == 1 and clusters.home.get(u) == m]
            if not nxt:
                break
            a = nxt[0]
        activation = OPS[a.op].label(a.param) if a is not node else ""
        if a is node and (probability := _softmax_of(node, users)) is not None:
            a, activation = probability, "softmax"
        zs, as_, activations = by_neuron.setdefault(m, ([], [], []))
        zs.append(node)
        as_.append(a)
        activations.append(activation)
    params: dict[str, list[tuple[str, Value]]] = {}
    for v, name in clusters.params.items():
        params.setdefault(_module(name), []).append((name, v))
    grouped: dict[str, LayerSummary] = {}
    layer_of = {neuron: _layer_of(neuron) for neuron in by_neuron}
    first_seen = {name: i for i, name in reversed(list(enumerate(layer_of.values())))}
    # layers in forward order; the neurons of a layer by index (the graph may reach neuron 2 before neuron 1)
    for neuron in sorted(by_neuron, key=lambda n: (first_seen[layer_of[n]], _natural(n))):
        zs, as_, activations = by_neuron[neuron]
        name = layer_of[neuron]
        layer = grouped.setdefault(name, LayerSummary(name, [], [], [], [], [], ""))
        layer.neurons.append(neuron)
        layer.z.append(zs)
        layer.a.append(as_)
        own = params.get(neuron, [])
        layer.weights.append([v for name, v in own if name.split(".")[-1].isdigit()])
        layer.biases.extend(v for name, v in own if not name.split(".")[-1].isdigit())
        layer.activation = layer.activation or activations[0]
    return list(grouped.values())


def _layer_of(neuron: str) -> str:
    """The layer a neuron module is in: "layers.0.neurons.3" -> "layers.0"; "neurons.3" (the model is a Layer)
    and "" (the model is a Neuron) -> "", the model itself."""
    outer = _ancestors(neuron) if neuron else []
    if outer:
        return outer[-1]
    parts = neuron.split(".") if neuron else []
    while parts and parts[-1].isdigit():  # "neurons.3": an item of the model's list "neurons" ...
        parts.pop()
    return ".".join(parts[:-1])  # ... so the model itself


def _natural(name: str) -> tuple:
    """Sort key that puts "neurons.10" after "neurons.9"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split("."))


def _softmax_of(z: Value, users: dict[Value, list[Value]]) -> Value | None:
    """a = exp(z - logsumexp(z_1..z_n)) when ``z`` feeds a softmax (as ``nn``'s softmax layer makes it), else None.

    A loss that reads one probability keeps only that exp in its graph; the others are
    recomputed here, outside the graph, so the layer box can still show every a.
    """
    lse = next((u for u in users.get(z, []) if u.op == "logsumexp"), None)
    if lse is None:
        return None
    for shifted in users.get(z, []):
        if shifted.op == "sub" and shifted.inputs[0] is z and shifted.inputs[1] is lse:
            found = next((e for e in users.get(shifted, []) if e.op == "exp"), None)
            if found is not None:
                return found
    if not any(u.op == "sub" and u.inputs[1] is lse for x in lse.inputs for u in users.get(x, [])):
        return None  # a logsumexp of the logits alone is a loss (cross_entropy), not a softmax layer
    with no_grad():
        return (z - lse).exp()


def _grad_of(grads: Mapping[Value, float] | None) -> Any:
    """Each node's gradient: its ``.grad``, or the one ``grads`` gives (e.g. ``explain(root).grads``)."""
    return (lambda v: v.grad) if grads is None else (lambda v: grads.get(v, 0.0))


def _collapsed(root: Value, order: list[Value], clusters: Clusters, rankdir: str, precision: int,
               grad: Any | None) -> graphviz.Digraph:
    found = find_layers(order, clusters)
    if not found:
        raise ValueError("draw(collapse=True): none of the model's parameters is used in this graph")
    num = lambda x: _number(x, precision)
    graph = _new_graph(rankdir)
    graph.attr("node", fontsize="10")
    features = _features(found[0].z[0][0], clusters)  # neuron 0, sample 0: its non-parameter leaves
    rows = [("inputs", f"{len(found[0].weights[0])} features, {len(found[0].z[0])} sample(s)"),
            (f"x ({len(features)}, sample 1)", _vector([x.data for x in features], num))]
    graph.node("inputs", label=_table(rows), shape="plaintext", fillcolor=_LEAF, style="filled")
    previous = "inputs"
    for i, layer in enumerate(found):
        rows = [
            (layer.name or "layer", f"{len(layer.weights[0])} → {len(layer.neurons)}, {layer.activation or 'linear'}"),
            (f"W ({len(layer.neurons)}×{len(layer.weights[0])})", f"max |w| {num(_max_abs(layer.weights))}"),
            ("dL/dW = δ aᵀ", f"max |.| {num(_max_abs(layer.weights, grad))}" if grad else ""),
            (f"b ({len(layer.biases)})", _vector([b.data for b in layer.biases], num)),
            ("dL/db = δ", _vector([grad(b) for b in layer.biases], num) if grad else ""),
        ]
        rows = [row for row in rows if row[1]]  # show_grad=False: no gradient rows
        samples = len(layer.z[0])
        for symbol, nodes, of in (("z = W a + b", layer.z, _data), ("a = g(z)", layer.a, _data),
                                  ("δ = dL/dz", layer.z, grad)):
            if of is None:
                continue
            values = [[of(v) for v in per_neuron] for per_neuron in nodes]
            rows.append((symbol, _vector([v[0] for v in values], num) if samples == 1 else _matrix(values, num)))
        graph.node(f"layer{i}", label=_table(rows), shape="plaintext", style="filled", fillcolor="#eef2ff")
        graph.edge(previous, f"layer{i}")
        previous = f"layer{i}"
    after = sum(1 for v in order if v.inputs and v not in clusters.home)
    graph.node("root", label=_table([(node_names(order)[root], f"= {num(root.data)}"),
                                      ("after the layers", f"{after} more op nodes")]),
               shape="plaintext", style="filled", fillcolor="#fef3c7")
    graph.edge(previous, "root")
    return graph


def _features(z: Value, clusters: Clusters) -> list[Value]:
    """The leaves feeding neuron ``z``'s weighted sum that are not parameters: the layer's input."""
    found, stack = [], [z]
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if x in clusters.linear:
                stack.append(x)
            elif x not in clusters.params and not x.inputs:
                found.append(x)
    return found


def _data(v: Value) -> float:
    return v.data


def _max_abs(rows: list[list[Value]], of: Any = _data) -> float:
    return max((abs(of(v)) for row in rows for v in row), default=0.0)


def _vector(xs: list[float], num: Any) -> str:
    shown = [num(x) for x in xs[:_SHOWN]] + (["..."] if len(xs) > _SHOWN else [])
    return f"[{', '.join(shown)}]"


def _matrix(rows: list[list[float]], num: Any) -> str:
    flat = [x for row in rows for x in row]
    return f"{len(rows)}×{len(rows[0])} (neurons × samples), {num(min(flat))} .. {num(max(flat))}"


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f'<tr><td align="left"><b>{html.escape(k)}</b></td><td align="left">{html.escape(v)}</td></tr>'
                    for k, v in rows)
    return f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">{cells}</table>>'

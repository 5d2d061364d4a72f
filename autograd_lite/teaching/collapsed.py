"""The collapsed diagram: one box per layer with W, b, z, a and delta = dL/dz, as the notes write them.

    >>> from autograd_lite import Value, dot, draw
    >>> w, b = [Value(0.5), Value(-1.0)], Value(0.1); a = (dot(w, [1.0, 2.0]) + b).tanh(); a.backward()
    >>> named = [("neurons.0.w.0", w[0]), ("neurons.0.w.1", w[1]), ("neurons.0.b", b)]
    >>> "W (1×2)" in draw(a, model=named, collapse=True).source
    True
"""

from __future__ import annotations

from typing import Any

import graphviz

from ..core.engine import Value
from .clusters import Clusters, find_layers, layer_inputs
from .diagram import LEAF, new_graph
from .formatting import node_names, number
from .labels import dot_html
from .labels import name as shown

_SHOWN = 4  # vector entries printed in a layer box before "..."


def collapsed(root: Value, order: list[Value], clusters: Clusters, rankdir: str, precision: int,
               grad: Any | None) -> graphviz.Digraph:
    found = find_layers(order, clusters)
    if not found:
        raise ValueError("draw(collapse=True): none of the model's parameters is used in this graph")
    num = lambda x: number(x, precision)
    graph = new_graph(rankdir)
    graph.attr("node", fontsize="10")
    features = layer_inputs(found[0].z[0][0], clusters)  # neuron 0, sample 0: its non-parameter leaves
    rows = [("inputs", f"{len(found[0].weights[0])} features, {len(found[0].z[0])} sample(s)"),
            (f"x ({len(features)}, sample 1)", _vector([x.data for x in features], num))]
    graph.node("inputs", label=_table(rows), shape="plaintext", fillcolor=LEAF, style="filled")
    previous = "inputs"
    for i, layer in enumerate(found):
        rows = [
            (shown(layer.name) or "layer",
             f"{len(layer.weights[0])} → {len(layer.neurons)}, {layer.activation or 'linear'}"),
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
    cells = "".join(f'<tr><td align="left"><b>{dot_html(k)}</b></td><td align="left">{dot_html(v)}</td></tr>'
                    for k, v in rows)
    return f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">{cells}</table>>'

"""Graph diagrams with graphviz: every Value as a box (name | data | grad), every op as a circle.

    >>> from autograd_lite import Value, draw
    >>> x = Value(1.0, label="x"); y = (2 * x).tanh(); y.backward(); graph = draw(y)
    >>> graph.source.count("->")   # x -> *, 2 -> *, * -> v1, v1 -> tanh, tanh -> v2
    5

``draw(loss, model=mlp)`` groups the nodes of each neuron and layer in boxes named after the
model's parameters, counted from 1 ("layer 1", "neuron 2"), under the notes' index convention;
``collapse=True`` draws one box per layer instead. Labels in the notes' notation (``z_1^[2]``) are
drawn as z₁^[2] (``notation.symbol``); ``scale=2`` draws everything twice as big, for a projector.
``highlight=w`` marks every path from ``w`` to the root; ``color_by="sign"`` / ``"magnitude"`` tints
boxes by their gradient.
``render(graph, "graph.svg")`` writes svg/png/pdf through Graphviz's ``dot`` program.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import graphviz

from ..core.engine import Value
from ..core.graph import topological_order
from ..core.handwritten import is_hand_written, op_symbol
from . import labels
from .clusters import Clusters, ancestors, module_title, natural_key
from .collapsed import collapsed
from .diagram import (
    CONSTANT,
    LEAF,
    NEGATIVE,
    PATH,
    POSITIVE,
    RESULT,
    check_scale,
    grad_of,
    keep_svg_spaces,
    new_graph,
    raster_copy,
    scale_graph,
)
from .formatting import node_names, number
from .notation import network_caption, symbol

FORMATS = ("svg", "png", "pdf", "jpg", "gif")  # what ``render`` (Graphviz's dot) writes


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
    scale: float = 1.0,
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
    - ``scale``: the whole picture (fonts, boxes, lines) this many times bigger, for a projector; 0.5 to 4.

    Labels in the notes' notation (``z_1^[2]``, ``w_21^[1]``, ``yhat_1``: what ``nn`` models name their nodes)
    are drawn with subscripts and superscripts (``autograd_lite.symbol``); boxes of a model's layers and neurons
    count from 1 ("layer 1", "neuron 2"), and a network picture states the notes' index convention.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if color_by not in (None, "sign", "magnitude"):
        raise ValueError(f"draw: color_by must be None, 'sign' or 'magnitude', got {color_by!r}")
    if not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"draw: precision must be an int from 1 to 17, got {precision!r}")
    scale = check_scale(scale, "draw")
    order = topological_order(root)
    clusters = Clusters.infer(order, model) if model is not None else None
    if collapse:
        if clusters is None:
            raise ValueError("draw: collapse=True needs the model (draw(loss, model=mlp, collapse=True))")
        return scale_graph(collapsed(root, order, clusters, rankdir, precision, grad_of(grads) if show_grad else None),
                           scale)
    graph = scale_graph(new_graph(rankdir), scale)
    if clusters is not None:  # a network picture: the notes' index convention, once, under it
        graph.attr(label=f"<{network_caption('dot_html')}>", labelloc="b", labeljust="l", fontsize="10",
                   fontcolor="#64748b")
    style = _Style(order, precision, show_grad, show_names, color_by, highlight, grads)
    place, finish = _nested(graph, clusters)
    for i, node in enumerate(order):
        target = place(clusters.of.get(node) if clusters else None)
        target.node(f"n{i}", label=style.box(node, clusters), id=f"n{i}", **style.box_attrs(node))
        if node.inputs:
            symbol = labels.name(op_symbol(node))  # a hand-made node's is the user's text
            target.node(f"n{i}op", label=labels.dot_text(symbol), id=f"n{i}op",
                        shape="circle" if len(symbol) <= 4 else "ellipse",
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
    if suffix not in FORMATS:
        raise ValueError(f"render: cannot tell the format from {path.name!r}; use a name ending in "
                         f".{', .'.join(FORMATS)}, .dot or .gv")
    source = path.with_suffix(".dot")
    source.write_text(graph.source, encoding="utf-8")
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(
            f"Graphviz's 'dot' program was not found, so {path.name} was not made; the DOT source is in {source}. "
            "Install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
            f"conda: conda install graphviz), then run: dot -T{suffix} {source} -o {path}")
    try:  # quiet: what dot says goes into the error below, not onto the terminal
        shown = raster_copy(graph) if suffix in ("png", "jpg", "gif") else graph  # draw(scale=...) in raster dpi
        made = shown.pipe(format=suffix, quiet=True)
        path.write_bytes(keep_svg_spaces(made.decode("utf-8")).encode("utf-8") if suffix == "svg" else made)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(f"Graphviz's 'dot' program could not be run; the DOT source is in {source}; "
                                    "install Graphviz (e.g. sudo apt-get install graphviz)") from None
    except graphviz.CalledProcessError as error:
        lines = [labels.printable(line) for line in (error.stderr or b"").decode(errors="replace").strip().splitlines()]
        said = labels.shorten("\n".join(lines), 2000)  # dot's own words (they may quote a label), all of them
        raise RuntimeError(f"dot failed on {source}:\n{said}" if said else f"dot failed on {source}: {error}") from None
    except OSError as error:  # dot stopped reading its input (a broken pipe): say so, not where Python noticed
        raise RuntimeError(f"dot stopped before reading all of {source}: {error}") from None
    return path


# --- how each node looks -----------------------------------------------------------------
class _Style:
    """Labels and colours of the boxes, op circles and edges of one drawing."""

    def __init__(self, order: list[Value], precision: int, show_grad: bool, show_names: bool,
                 color_by: str | None, highlight: Value | Iterable[Value] | None,
                 grads: Mapping[Value, float] | None) -> None:
        self.names = node_names(order)
        self.precision, self.show_grad, self.show_names, self.color_by = precision, show_grad, show_names, color_by
        self.grad = grad_of(grads)
        self.largest = max((abs(self.grad(v)) for v in order), default=0.0) or 1.0
        self.path = _paths(order, highlight) if highlight is not None else None

    def number(self, x: float) -> str:
        return number(x, self.precision)

    def box(self, v: Value, clusters: Clusters | None = None) -> str:
        name = self.names[v]
        module = clusters.of.get(v) if clusters is not None and v in clusters.params else None
        rest = v.label[len(module) + 1:] if module and v.label.startswith(module + ".") else ""
        if rest:  # the box around it already says whose; a label that is only the box's prefix ("n.") stays whole
            name = labels.name(rest)
        cells = []
        if self.show_names:  # z_1^[2] as z<SUB>1</SUB><SUP>[2]</SUP>; any other text escaped
            shown = symbol(name, "dot_html") if v.label or v.inputs else ""
            cells.append(f"<b>{shown}</b>" if shown else "")  # dot refuses an empty <b></b>
        cells.append(f"data {self.number(v.data)}")
        if self.show_grad:
            grey = "#334155" if self.color_by else "#64748b"
            cells.append(f'<font color="{grey}">grad {self.number(self.grad(v))}</font>')
        cells = [c for c in cells if c]
        row = "".join(f'<td cellpadding="4">{c}</td>' for c in cells)
        return f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="0"><tr>{row}</tr></table>>'

    def box_attrs(self, v: Value) -> dict[str, str]:
        fill = RESULT if v.inputs else (LEAF if v.label else CONSTANT)
        if self.color_by:
            fill = self.tint(self.grad(v))
        attrs = {"shape": "plaintext", "style": "filled", "fillcolor": fill, "margin": "0"}
        if self.path is not None:
            attrs["color"] = PATH if v in self.path else "#cbd5e1"
            attrs["penwidth"] = "2.5" if v in self.path else "1"
            attrs["style"] = "filled,bold" if v in self.path else "filled"
            if v in self.path:
                attrs["shape"] = "box"
        return attrs

    def op_attrs(self, v: Value) -> dict[str, str]:
        attrs = {"style": "filled", "fillcolor": "#fef3c7", "color": "#b45309", "fontsize": "10",
                 "width": "0.3", "height": "0.3", "margin": "0.02"}
        if is_hand_written(v):  # its derivative is the user's _backward, not the op table's: say so
            attrs.update(style="filled,dashed", tooltip="hand-written: its _backward gives the derivative")
        if self.path is not None and v not in self.path:
            attrs["color"] = "#cbd5e1"
        elif self.path is not None:
            attrs.update(color=PATH, penwidth="2.5")
        return attrs

    def edge_attrs(self, source: Value, target: Value) -> dict[str, str]:
        if self.path is None:
            return {}
        if source in self.path and target in self.path:
            return {"color": PATH, "penwidth": "2.5"}
        return {"color": "#cbd5e1"}

    def tint(self, g: float) -> str:
        if g == 0.0 or not math.isfinite(g):
            return "#ffffff"
        strength = 0.45 if self.color_by == "sign" else 0.12 + 0.75 * math.sqrt(abs(g) / self.largest)
        rgb = POSITIVE if g > 0 else NEGATIVE
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


def _nested(graph: graphviz.Digraph, clusters: Clusters | None) -> tuple[Any, Any]:
    """``place(module)`` -> the (sub)graph for that module's nodes; ``finish()`` nests the boxes into ``graph``.

    Every module gets a box, and so does each of its named ancestors: "layers.0" holds
    "layers.0.neurons.3" ("layers" and "layers.0.neurons" are only lists, so they get none).
    """
    boxes: dict[str, graphviz.Digraph] = {}
    ids: set[str] = set()

    def place(module: str | None) -> graphviz.Digraph:
        if module is None:
            return graph
        for prefix in ancestors(module) + [module]:
            if prefix not in boxes:
                boxes[prefix] = _cluster(prefix, ids)
        return boxes[module]

    def finish() -> None:
        # innermost first: subgraph() copies the box, so it must be complete when it is nested
        for module in sorted(boxes, key=lambda m: (-m.count("."), natural_key(m))):
            parents = [p for p in ancestors(module) if p in boxes]
            (boxes[parents[-1]] if parents else graph).subgraph(boxes[module])

    return place, finish


def _cluster(module: str, ids: set[str]) -> graphviz.Digraph:
    """The box of one module. Its DOT name is made of letters, digits and _ (a parameter name may hold any text,
    a trailing backslash included, which the DOT source cannot quote); one that is taken gets a number."""
    depth = module.count(".")
    base = name = "cluster_" + re.sub(r"\W", "_", module, flags=re.ASCII)[:60]
    k = 1
    while name in ids:
        k += 1
        name = f"{base}_{k}"
    ids.add(name)
    sub = graphviz.Digraph(name=name)
    sub.attr(label=labels.dot_text(module_title(module)), style="rounded,filled",
             fillcolor="#eef2ff" if depth < 2 else "#f8fafc", color="#94a3b8", fontsize="10", fontcolor="#334155",
             labeljust="l")
    return sub

"""``explain_layers``' walkthrough as one self-contained HTML page (no network), beside the scalar diagram.

Every matrix entry names the scalar nodes of the first example's graph it comes from
(``data-nodes``, the ids ``autograd_lite.draw`` gives them: n<index in topological_order>);
pointing at an entry (mouse or keyboard focus) lights those nodes, and pointing at a node lights
its entries. The page's template is ``layer_view.html`` beside this module.

    >>> import nn; page = to_html(nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5]))
    >>> page.count('class="step"'), "<script src" in page
    (13, False)
"""

from __future__ import annotations

import html
import re
import shutil
from importlib import resources
from typing import Any

import numpy as np

import autograd_lite
from autograd_lite import grad, topological_order

from .layer_steps import SHOWN, Label, Step, Term
from .layer_text import header, number

DIAGRAM_NODES = 400
"""The largest first-example graph drawn beside the steps (Graphviz needs seconds beyond; the page says so)."""


_PRETTY = [(r"\bdelta\b", "δ"), (r"\bsigma\b", "σ"), (r"\^\((l[+-]1|l|L)\)", r"<sup>(\1)</sup>"),
           (r"\^\[([\w+-]+)\]", r"<sup>[\1]</sup>"), (r"\^T\b", "<sup>T</sup>"), (r"\^l\b", "<sup>l</sup>"),
           (r"\bd([LC])/d", r"∂\1/∂"), (r" o ", " ∘ "), (r"\by\^", "ŷ"), (r"\by~", "ỹ"),
           (r"_(k|j|L|i)\b", r"<sub>\1</sub>")]


def pretty(text: str) -> str:
    """Plain formula text (delta^[2] = dL/dz^[2]) as HTML with Greek letters, sub- and superscripts.

    >>> pretty("delta^[2] = dL/dz^[2] o g'(z^[1])")
    "δ<sup>[2]</sup> = ∂L/∂z<sup>[2]</sup> ∘ g'(z<sup>[1]</sup>)"
    """
    out = html.escape(text, quote=False)
    for pattern, replacement in _PRETTY:
        out = re.sub(pattern, replacement, out)
    return out


def _cell(term: Term, i: int, j: int, value: float, ids: dict, precision: int) -> str:
    nodes = " ".join(ids[v] for v in term.entry_nodes(i, j) if v in ids)
    name = term.entry_name(i, j)
    title = f"{autograd_lite.symbol(name.text)} = " if name is not None else ""  # z₁^[1](2) = 0.5: example 2's
    shown = number(value, precision)
    if not nodes:
        return f'<td title="{html.escape(title + shown)}">{shown}</td>'
    label = (name.html if name is not None else "") + " = " + shown
    return (f'<td tabindex="0" data-nodes="{nodes}" data-name="{html.escape(label)}" '
            f'title="{html.escape(title + shown)}">{shown}</td>')


def term_html(term: Term, ids: dict, precision: int) -> str:
    """A Term as a bracketed table of numbers (a number stays a number), each entry tagged with its nodes."""
    grid = term.grid()
    rows, cols = grid.shape
    if np.ndim(term.engine) == 0:
        return f'<table class="mat scalar"><tr>{_cell(term, 0, 0, float(term.engine), ids, precision)}</tr></table>'
    body = []
    for i in range(min(rows, SHOWN)):
        cells = [_cell(term, i, j, grid[i, j], ids, precision) for j in range(min(cols, SHOWN))]
        if cols > SHOWN:
            cells.append("<td>…</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if rows > SHOWN:
        body.append("<tr>" + "<td>⋮</td>" * (min(cols, SHOWN) + (cols > SHOWN)) + "</tr>")
    shape = f'<span class="shape">{term.shape_text().replace("x", "×")}</span>' if term.elided() else ""
    return f'<table class="mat">{"".join(body)}</table>{shape}'


def _item(item: Term | Label, ids: dict, precision: int) -> str:
    if isinstance(item, Term):
        return f'<span class="term"><span class="name">{item.label.html}</span>{term_html(item, ids, precision)}</span>'
    return f'<span class="op">{item.html}</span>'


def step_html(step: Step, index: int, ids: dict, precision: int) -> str:
    """One step as a <section>: title, symbolic formula, the numbers, the source and a note."""
    lhs = step.lhs.label.html
    formula = f'<p class="formula">{lhs} = {step.formula.html}</p>' if step.formula is not None else ""
    numbers = "".join(_item(item, ids, precision) for item in step.operands)
    note = f'<p class="note">{pretty(step.note)}</p>' if step.note else ""
    return (f'<section class="step" id="step{index}" data-phase="{step.phase}" data-layer="{step.layer}">\n'
            f"<h2>Step {index}. {pretty(step.title)}</h2>{formula}\n"
            f'<div class="eq"><span class="op">{lhs} =</span>{numbers}<span class="op">=</span>'
            f"{_item(step.lhs, ids, precision)}</div>\n"
            f'<p class="cite">{pretty(step.cite)}</p>{note}</section>')


def _diagram(view: Any, precision: int) -> tuple[str, dict]:
    """The first example's scalar graph as inline SVG, and the id draw() gives each Value."""
    order = topological_order(view.root)
    ids = {v: f"n{i}" for i, v in enumerate(order)}
    if len(order) > DIAGRAM_NODES:
        return (f'<p class="note">The diagram is left out: the first example\'s graph has {len(order):,} nodes, more '
                f"than {DIAGRAM_NODES}; Graphviz would take long to lay it out. Every step is still here.</p>", {})
    if shutil.which("dot") is None:
        return '<p class="note">Install Graphviz (apt-get install graphviz) to see the scalar diagram here.</p>', {}
    grads = dict(zip(order, (g.data for g in grad(view.root, order))))  # dL/dv of the first example, .grad untouched
    svg = autograd_lite.draw(view.root, precision=precision, model=view.model, grads=grads).pipe(
        format="svg", quiet=True).decode("utf-8")
    return svg[svg.index("<svg"):], ids


def to_html(view: Any, precision: int = 4) -> str:
    """The page as one string (style, script and diagram inside: it opens offline)."""
    svg, ids = _diagram(view, precision)
    lines = header(view)
    which = ("the first example's graph (example 1 of the batch; other columns have no node here)" if view.batch
             else "this example's graph")
    fills = {
        "%%TITLE%%": html.escape(lines[0]),
        "%%HEADER%%": "".join(f"<li>{pretty(line)}</li>" for line in lines[1:]),
        "%%STEPS%%": "\n".join(step_html(s, i, ids, precision) for i, s in enumerate(view.steps, 1)),
        "%%SVG%%": svg,
        "%%WHICH%%": html.escape(which),
    }
    page = resources.files(__package__).joinpath("layer_view.html").read_text(encoding="utf-8")
    return re.sub("|".join(fills), lambda m: fills[m.group(0)], page)


def fragment(view: Any, precision: int = 4) -> str:
    """The page inside an <iframe srcdoc> (Jupyter's ``_repr_html_``): its script and style stay its own."""
    return autograd_lite.notebook_frame(to_html(view, precision), "backpropagation layer by layer", 720)

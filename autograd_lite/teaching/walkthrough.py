"""A self-contained HTML walkthrough of backpropagation: one frame per chain-rule step.

    >>> from autograd_lite import Value, explain
    >>> x = Value(0.5, label="x"); y = (2 * x).tanh(); y.label = "y"
    >>> page = to_html(explain(y)); page.count('class="frame')   # the 2 is folded into its op: two steps
    2

The page shows the graph (drawn by Graphviz, inlined as SVG) with the current edge lit, the
formula and the numbers of that step beside it, and fills in each node's gradient as the steps
reach it. Previous/Next buttons and the arrow keys move between frames. Everything (style,
script, diagram) is inside the one file: it opens without a network connection.
"""

from __future__ import annotations

import os
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import graphviz

from ..core.graph import topological_order
from . import labels
from .diagram import check_scale, keep_svg_spaces
from .draw import draw
from .explain_text import SKIPPED, fan_out
from .formatting import factor, number
from .named import math_html

if TYPE_CHECKING:
    from .explain import Explanation, Step

DIAGRAM_NODES = 600
"""The largest graph drawn on the page. Graphviz's layout time grows much faster than the graph (random graphs:
0.3 s for the 473 nodes of a 2-16-16-1 MLP, 3.5 s for 600 nodes, 44 s for 1,300, six minutes for 3,000, more
than 25 minutes for 20,000). A bigger graph gets a note instead of the diagram."""

FRAMES = 1000
"""Step frames (and forward-pass rows) written to the page, the first ones from the root back; a note counts
the rest. 1,000 frames are about 1 MB; ``explain(root).to_text()`` lists every step."""

TITLE_LIMIT = 200  # characters of the title shown

SCALES = (0.5, 3.0)
"""The bounds of the page's presentation scale (``to_html(scale=...)``, the page's Scale control, ``?scale=``)."""


def to_html(explanation: Explanation, precision: int = 4, title: str = "Backpropagation, step by step", *,
            max_diagram_nodes: int = DIAGRAM_NODES, max_frames: int = FRAMES, scale: float = 1.0) -> str:
    """The walkthrough page for ``explanation`` (from ``explain(root)``) as one HTML string.

    >>> from autograd_lite import Value, explain
    >>> page = to_html(explain(Value(2.0, label="x").exp())); page.startswith("<!DOCTYPE html>"), page.count("<section")
    (True, 1)

    - ``max_diagram_nodes``: a graph with more nodes is not drawn (Graphviz would take minutes); the page says so.
    - ``max_frames``: at most this many step frames and forward-pass rows; the page counts the ones left out.
    - ``scale``: the page's presentation scale (text and diagram), 0.5 to 3, for a projector; the page's Scale
      control and ``?scale=1.5`` in its address change it too.

    The diagram follows the current edge, panned and zoomed to read, where the whole graph would be too small
    (a network); "Whole graph" / "Follow the step" (or the z key) switch between the two views.

    Without Graphviz's ``dot`` the page still works, with a note in place of the diagram.
    """
    for what, limit in (("max_diagram_nodes", max_diagram_nodes), ("max_frames", max_frames)):
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"to_html: {what} must be a whole number >= 0, got {limit!r}")
    scale = check_scale(scale, "to_html", SCALES)  # the one check draw uses too: numpy numbers, no 10**400 crash
    e = explanation
    num = lambda x: number(x, precision)
    index = {node: i for i, node in enumerate(topological_order(e.root))}  # the ids draw() gives the nodes
    page = resources.files(__package__).joinpath("walkthrough.html").read_text(encoding="utf-8")
    shown = e.steps[:max_frames]
    frames = "\n".join(_frame(e, s, index, precision) for s in shown)
    if len(shown) < len(e.steps):
        frames += _left_out(len(e.steps) - len(shown), len(e.steps), "steps", "step frames")
    forward = "\n".join(
        f"<tr><th>{e.named.name(line.node, 'html')}</th>"
        f"<td>{'= ' + e.named.expression(line.node, 'html') if line.expression else 'leaf'}</td>"
        f"<td>= {num(line.value)}</td></tr>" for line in e.forward[:max_frames])
    forward_note = ""
    if len(e.forward) > max_frames:
        forward_note = _left_out(len(e.forward) - max_frames, len(e.forward), "nodes", "rows")
    fills = {"%%TITLE%%": _h(labels.name(title, TITLE_LIMIT)),
             "%%SVG%%": _diagram(e, precision, len(index), max_diagram_nodes), "%%FRAMES%%": frames,
             "%%FORWARD%%": forward, "%%FORWARD_NOTE%%": forward_note, "%%ROOT%%": f"n{index[e.root]}",
             "%%SEED%%": num(e.grads[e.root]), "%%SCALE%%": f"{float(scale):g}",
             "%%CONSTANTS%%": " ".join(f"n{index[node]}" for node in e.constants)}
    return re.sub("|".join(fills), lambda m: fills[m.group(0)], page)


def write_html(explanation: Explanation, path: str | os.PathLike, precision: int = 4, *, scale: float = 1.0) -> Path:
    """Write the walkthrough page to ``path`` (UTF-8) and return the path.

    >>> import os, tempfile; from autograd_lite import Value, explain
    >>> write_html(explain(Value(1.0, label="x").exp()), os.path.join(tempfile.mkdtemp(), "steps.html")).name
    'steps.html'
    """
    path = Path(path)
    path.write_text(to_html(explanation, precision=precision, scale=scale), encoding="utf-8")
    return path


def _left_out(missing: int, total: int, what: str, kind: str) -> str:
    return (f'<p class="note left-out">The first {total - missing:,} of {total:,} {what} are on this page; '
            f"the other {missing:,} are left out to keep the page small and quick to open. "
            "<code>explain(root).to_text()</code> lists them all, and "
            f"<code>to_html(max_frames=...)</code> writes more {kind}.</p>")


def _diagram(e: Explanation, precision: int, nodes: int, limit: int) -> str:
    if nodes > limit:
        return (f'<p class="note">The diagram is left out: the graph has {nodes:,} nodes, more than {limit:,}, and '
                "Graphviz would need minutes to lay it out (an unreadable picture in the end). The steps below are "
                "all there. <code>to_html(max_diagram_nodes=...)</code> draws it anyway; "
                "<code>draw(root, model=..., collapse=True)</code> draws a model one box per layer.</p>")
    if shutil.which("dot") is None:
        return ('<p class="note">Install Graphviz (e.g. <code>sudo apt-get install graphviz</code>) '
                "to see the diagram here; the steps work without it.</p>")
    try:
        svg = draw(e.root, precision=precision, grads=e.grads).pipe(format="svg", quiet=True).decode("utf-8")
    except graphviz.CalledProcessError as error:  # say what dot said, not the command line it was given
        said = (error.stderr or b"").decode("utf-8", errors="replace").strip().splitlines()
        said = said[0] if said else f"nothing (exit status {error.returncode})"
        return f'<p class="note">The diagram could not be drawn: dot said {_h(said)}</p>'
    except (graphviz.ExecutableNotFound, OSError) as error:  # OSError: dot stopped reading (a broken pipe)
        said = str(error).splitlines()
        return f'<p class="note">The diagram could not be drawn: {_h(said[0] if said else type(error).__name__)}</p>'
    return keep_svg_spaces(svg[svg.index("<svg"):])  # no XML prolog or doctype: the SVG sits inside HTML


def _frame(e: Explanation, s: Step, index: dict, precision: int) -> str:
    num = lambda x: number(x, precision)
    name = lambda node: e.named.operand(node, "html")
    i, j = index[s.node], index[s.input]
    d = lambda top, bottom: f"∂{name(top)}/∂{name(bottom)}"
    local = f"{d(s.node, s.input)} = {e.named.formula(s.node, s.position, 'html', slots=bool(s.slot))}"
    if s.local is None:  # skipped: backward never computes it (it could be inf here: log at 5e-324), so neither do we
        local += f'<br><span class="skipped">{_h(SKIPPED.format(name=e.named.name(s.node)))}</span>'
        chain = f"skipped: {d(e.root, s.node)} = 0, so this edge adds nothing"
    else:
        evaluated = math_html(_h(s.evaluated)) + " = " if s.evaluated and s.evaluated != num(s.local) else ""
        local += f'<br>= {evaluated}<span class="value">{num(s.local)}</span>'
        chain = (f"{d(e.root, s.input)} += {d(e.root, s.node)} · {d(s.node, s.input)}<br>"
                 f"= {num(s.upstream)} · {factor(s.local, precision)} = "
                 f'<span class="value">{num(s.contribution)}</span>')
    share = (f'<span class="final">{num(s.total)} — final ✓</span>' if s.final
             else f"{num(s.total)} so far ({s.count} of {s.users} contributions)")
    slot = f' <span class="slot">(its {s.slot} operand)</span>' if s.slot else ""
    data = (f'data-edge="e{j}_{i}_{s.position}" data-op="n{i}op" data-out="e{i}" data-node="n{i}" data-input="n{j}" '
            f'data-total="{num(s.total)}" data-final="{"yes" if s.final else "no"}"')
    node, node_html, input_html = s.node, e.named.name(s.node, "html"), e.named.name(s.input, "html")
    return f"""<section class="frame" {data}>
  <h2>Step {s.index} of {len(e.steps)}: edge {input_html} → {node_html}{slot}</h2>
  <p class="op">{node_html} = {e.named.expression(node, "html")}</p>
  <table>
    <tr><th>local derivative</th><td>{local}</td></tr>
    <tr><th>upstream</th><td>{d(e.root, node)} = <span class="value">{num(s.upstream)}</span></td></tr>
    <tr><th>chain rule</th><td>{chain}</td></tr>
    <tr><th>running total</th><td>{d(e.root, s.input)} = {share}</td></tr>
  </table>
  <p class="why">{_why(e, s)}</p>
</section>"""


def _why(e: Explanation, s: Step) -> str:
    if s.skipped:
        return ("A node whose upstream gradient is exactly 0 (a ReLU that is off, a product with 0) is skipped by "
                "backward(): 0 times any local derivative adds nothing, and that derivative need not even be finite "
                "there.")
    name, node = e.named.name(s.input, "html"), e.named.name(s.node, "html")
    if s.users > 1:
        slot = (f" This edge is its {s.slot} operand of {node}: each operand slot is an edge of its own, with its "
                "own partial derivative.") if s.slot else ""
        return (f"{fan_out(s, name)}, so its gradient is the sum of {s.users} contributions (the multivariable "
                f"chain rule).{slot}")
    return f"{name} feeds only {node}, so this one contribution is its whole gradient."


def _h(text: object) -> str:
    return labels.html_text(str(text))

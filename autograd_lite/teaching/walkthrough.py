"""A self-contained HTML walkthrough of backpropagation: one frame per chain-rule step.

    >>> from autograd_lite import Value, explain
    >>> x = Value(0.5, label="x"); y = (2 * x).tanh(); y.label = "y"
    >>> page = to_html(explain(y)); page.count('class="frame')
    3

The page shows the graph (drawn by Graphviz, inlined as SVG) with the current edge lit, the
formula and the numbers of that step beside it, and fills in each node's gradient as the steps
reach it. Previous/Next buttons and the arrow keys move between frames. Everything (style,
script, diagram) is inside the one file: it opens without a network connection.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import graphviz

from ..core.graph import topological_order
from .draw import draw
from .formatting import factor, number, param_binding

if TYPE_CHECKING:
    from .explain import Explanation, Step


def to_html(explanation: Explanation, precision: int = 4, title: str = "Backpropagation, step by step") -> str:
    """The walkthrough page for ``explanation`` (from ``explain(root)``) as one HTML string.

    >>> from autograd_lite import Value, explain
    >>> page = to_html(explain(Value(2.0, label="x").exp())); page.startswith("<!DOCTYPE html>"), page.count("<section")
    (True, 1)

    Without Graphviz's ``dot`` the page still works, with a note in place of the diagram.
    """
    e = explanation
    num = lambda x: number(x, precision)
    index = {node: i for i, node in enumerate(topological_order(e.root))}  # the ids draw() gives the nodes
    page = resources.files(__package__).joinpath("walkthrough.html").read_text(encoding="utf-8")
    frames = "\n".join(_frame(e, s, index, precision) for s in e.steps)
    forward = "\n".join(
        f"<tr><th>{_h(line.name)}</th><td>{'= ' + _h(line.expression) if line.expression else 'leaf'}</td>"
        f"<td>= {num(line.value)}</td></tr>" for line in e.forward)
    fills = {"%%TITLE%%": _h(title), "%%SVG%%": _diagram(e, precision), "%%FRAMES%%": frames,
             "%%FORWARD%%": forward, "%%ROOT%%": f"n{index[e.root]}", "%%SEED%%": num(e.grads[e.root])}
    return re.sub("|".join(fills), lambda m: fills[m.group(0)], page)


def write_html(explanation: Explanation, path: str | os.PathLike, precision: int = 4) -> Path:
    """Write the walkthrough page to ``path`` (UTF-8) and return the path.

    >>> import os, tempfile; from autograd_lite import Value, explain
    >>> write_html(explain(Value(1.0, label="x").exp()), os.path.join(tempfile.mkdtemp(), "steps.html")).name
    'steps.html'
    """
    path = Path(path)
    path.write_text(to_html(explanation, precision=precision), encoding="utf-8")
    return path


def _diagram(e: Explanation, precision: int) -> str:
    if shutil.which("dot") is None:
        return ('<p class="note">Install Graphviz (e.g. <code>sudo apt-get install graphviz</code>) '
                "to see the diagram here; the steps work without it.</p>")
    try:
        svg = draw(e.root, precision=precision, grads=e.grads).pipe(format="svg").decode("utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as error:
        return f'<p class="note">The diagram could not be drawn: {_h(str(error).splitlines()[0])}</p>'
    return svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML


def _frame(e: Explanation, s: Step, index: dict, precision: int) -> str:
    num = lambda x: number(x, precision)
    local_factor = factor(s.local, precision)  # "0.5 · (-2)"
    root = e.names[e.root]
    i, j = index[s.node], index[s.input]
    d = lambda top, bottom: f"∂{_h(top)}/∂{_h(bottom)}"
    expression = _h(s.expression) if "(" in s.expression or " " not in s.expression else f"({_h(s.expression)})"
    bindings = ", ".join(filter(None, [s.bindings, param_binding(s, num)]))
    local = f"{d(s.name, s.input_name)} = ∂{_math(expression)}/∂{_math(_h(s.variable))} = {_math(_h(s.partial))}"
    evaluated = _math(_h(s.evaluated)) + " = " if s.evaluated and s.evaluated != num(s.local) else ""
    share = (f'<span class="final">{num(s.total)} — final ✓</span>' if s.final
             else f"{num(s.total)} so far ({s.count} of {s.users} contributions)")
    data = (f'data-edge="e{j}_{i}_{s.position}" data-op="n{i}op" data-out="e{i}" data-node="n{i}" data-input="n{j}" '
            f'data-total="{num(s.total)}" data-final="{"yes" if s.final else "no"}"')
    return f"""<section class="frame" {data}>
  <h2>Step {s.index} of {len(e.steps)}: edge {_h(s.input_name)} → {_h(s.name)}</h2>
  <p class="op">{_h(s.name)} = {_h(e.expression(s.node))}</p>
  <table>
    <tr><th>local derivative</th><td>{local}{f"<br>with {_h(bindings)}" if bindings else ""}
      <br>= {evaluated}<span class="value">{num(s.local)}</span></td></tr>
    <tr><th>upstream</th><td>{d(root, s.name)} = <span class="value">{num(s.upstream)}</span></td></tr>
    <tr><th>chain rule</th><td>{d(root, s.input_name)} += {d(root, s.name)} · {d(s.name, s.input_name)}
      <br>= {num(s.upstream)} · {local_factor} = <span class="value">{num(s.contribution)}</span></td></tr>
    <tr><th>running total</th><td>{d(root, s.input_name)} = {share}</td></tr>
  </table>
  <p class="why">{_why(s)}</p>
</section>"""


def _why(s: Step) -> str:
    if s.users > 1:
        return (f"{_h(s.input_name)} feeds {s.users} operations, so its gradient is the sum of {s.users} "
                "contributions (the multivariable chain rule).")
    return f"{_h(s.input_name)} feeds only {_h(s.name)}, so this one contribution is its whole gradient."


def _math(text: str) -> str:
    """Plain formula text made readable: powers as superscripts, * as a centred dot."""
    text = re.sub(r"\^\(([^()]*)\)", r"<sup>\1</sup>", text)
    text = re.sub(r"\^(-?[\w.]+)", r"<sup>\1</sup>", text)
    return text.replace("**", "^").replace(" * ", " · ")


def _h(text: str) -> str:
    return html.escape(str(text), quote=True)

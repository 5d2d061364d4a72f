"""Text renderers of an ``Explanation``: plain text for a terminal, Markdown with LaTeX for Jupyter.

    >>> from autograd_lite import Value, explain
    >>> print(to_text(explain(Value(2.0, label="x") * 3), 4).splitlines()[0])
    Forward pass (each node after its inputs)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import labels
from .formatting import factor, latex_var, number, param_binding

if TYPE_CHECKING:
    from .explain import Explanation

SKIPPED = "not computed: nothing flows back through {name} (its upstream gradient is 0), so backward skips it"
"""What a step says in place of its local derivative where ``backward`` skips the node (``Step.skipped``)."""


def _d(top: str, bottom: str) -> str:
    return f"d{top}/d{bottom}"


def to_text(e: Explanation, precision: int) -> str:
    """Names are printable already; formulas come from the op table, where ``define_op`` puts the user's text,
    so every line is made printable as a whole."""
    num = lambda x: number(x, precision)
    root = e.names[e.root]
    width = max(len(line.name) for line in e.forward)
    out = ["Forward pass (each node after its inputs)"]
    for line in e.forward:
        what = f"= {line.expression} " if line.expression else ""
        out.append(f"  {line.name:<{width}} {what}= {num(line.value)}")
    out.append("")
    out.append(f"Backward pass: the chain rule, one edge at a time, from {_d(root, root)} = {num(e.grads[e.root])}")
    for s in e.steps:
        where = ", ".join(filter(None, [s.bindings, param_binding(s, lambda p: number(p, 6))]))
        share = f"{s.count} of {s.users}" + (", final" if s.final else "")
        out.append(f"{s.index:>3}. edge {s.input_name} -> {s.name}  ({s.name} = {e.expression(s.node)})")
        with_ = f"  with {where}" if where else ""
        out.append(f"     local     {_d(s.name, s.input_name)} = {s.formula}{with_}")
        if s.skipped:
            out.append(f"               {SKIPPED.format(name=s.name)}")
        else:
            value = num(s.local)
            shown = s.evaluated and s.evaluated != value  # "" for a hand-made node: no formula to fill in
            out.append(f"               = {s.evaluated} = {value}" if shown else f"               = {value}")
        out.append(f"     upstream  {_d(root, s.name)} = {num(s.upstream)}")
        if s.skipped:
            out.append("     product   skipped: adds nothing")
        else:
            out.append(f"     product   {num(s.upstream)} * {factor(s.local, precision)} = {num(s.contribution)}")
        out.append(f"     total     {_d(root, s.input_name)} = {num(s.total)}  ({share})")
    leaves = [line for line in e.forward if not line.node.inputs and line.node.label]
    if leaves:
        out.append("")
        out.append("Gradients of the labelled leaves: "
                   + ", ".join(f"{_d(root, line.name)} = {num(e.grads[line.node])}" for line in leaves))
    return "\n".join(map(labels.printable, out))  # an op's formula is anyone's text (define_op): no control codes


def to_markdown(e: Explanation, precision: int) -> str:
    """Every name and expression is the user's text: escaped for Markdown (``labels.markdown_code``) and for LaTeX
    (``labels.latex``), so a label such as ``<img onerror=...>`` shows as text and never becomes HTML."""
    num = lambda x: number(x, precision)
    code = labels.markdown_code
    frac = lambda top, bottom: rf"\frac{{\partial {labels.latex(top)}}}{{\partial {labels.latex(bottom)}}}"
    root = e.names[e.root]
    out = ["**Forward pass** (each node after its inputs)", "", "| node | computed as | value |", "|---|---|---|"]
    for line in e.forward:
        expression = code(line.expression) if line.expression else "leaf"
        out.append(f"| {code(line.name)} | {expression} | {num(line.value)} |")
    seed = f"${frac(root, root)} = {num(e.grads[e.root])}$"
    out += ["", f"**Backward pass**: the chain rule, one edge at a time, from {seed}", ""]
    for s in e.steps:
        share = f"{s.count} of {s.users}" + (", final" if s.final else "")
        local = f"${frac(s.name, s.input_name)} = {labels.latex_formula(s.formula_latex)}"  # an op's text: untrusted
        if s.skipped or s.partial.strip() == num(s.local):  # no "= 1 = 1"
            local += "$ "
        else:
            local += f" = {num(s.local)}$ "
        with_ = ",\\ ".join(f"{latex_var(v)} = {labels.latex(name)}" for v, name in s.pairs)
        if s.skipped:
            product = f"{labels.markdown(SKIPPED.format(name=s.name))}, adds nothing; "
        else:
            product = (f"${frac(root, s.input_name)} \\mathrel{{+}}= {num(s.upstream)} \\cdot "
                       f"{factor(s.local, precision)} = {num(s.contribution)}$, ")
        out.append(f"{s.index}. edge {code(s.input_name)} → {code(s.name)}: {local}"
                   + (f"(with ${with_}$); " if with_ else "; ") + product + f"total ${num(s.total)}$ ({share})")
    return "\n".join(out)

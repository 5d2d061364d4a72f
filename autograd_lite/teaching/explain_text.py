"""Text renderers of an ``Explanation``: plain text for a terminal, Markdown with LaTeX for Jupyter.

    >>> from autograd_lite import Value, explain
    >>> print(to_text(explain(Value(2.0, label="x") * 3), 4).splitlines()[0])
    Forward pass (each node after its inputs)

Both write the same lines: every line of the text has its Markdown counterpart, with the same numbers
(``tests/test_explain_clean.py`` checks it). Formulas are the op table's, in the graph's own names
(``named.Names``): "d(w * x)/dw = x". Node names go through ``notation.symbol`` (text: z₁^[2]; LaTeX: z_{1}^{[2]}).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import labels
from .formatting import factor, number

if TYPE_CHECKING:
    from .explain import Explanation, Step

SKIPPED = "not computed: nothing flows back through {name} (its upstream gradient is 0), so backward skips it"
"""What a step says in place of its local derivative where ``backward`` skips the node (``Step.skipped``)."""
_MARK = "\ue002"  # where a name goes in text that is escaped first (a private-use character: no escaper changes it)


def edge_text(s: Step, source: str, target: str) -> str:
    """``x -> v1`` and, for one of several edges between the same two nodes, which operand slot it fills."""
    return f"{source} -> {target}" + (f", its {s.slot} operand" if s.slot else "")


def fan_out(s: Step, name: str) -> str:
    """``x feeds 2 operations over 3 edges`` (x * x + x): how many contributions make the input's gradient."""
    ops = f"{s.operations} operation{'s' if s.operations != 1 else ''}"
    return f"{name} feeds {ops}" + (f" over {s.users} edges" if s.users != s.operations else "")


def share_text(s: Step, name: str) -> str:
    """``1 of 3; x feeds 2 operations over 3 edges``: where this contribution stands among the input's (the
    fan-out is said at the first one)."""
    share = f"{s.count} of {s.users}" + (", final" if s.final else "")
    return share + (f"; {fan_out(s, name)}" if s.users > 1 and s.count == 1 else "")


def to_text(e: Explanation, precision: int) -> str:
    """Names are printable already; formulas come from the op table, where ``define_op`` puts the user's text,
    so every line is made printable as a whole."""
    num = lambda x: number(x, precision)
    name, operand = e.named.name, e.named.operand
    d = lambda top, bottom: f"d{operand(top)}/d{operand(bottom)}"
    shown = {line.node: name(line.node) for line in e.forward}
    width = max(len(text) for text in shown.values())
    out = ["Forward pass (each node after its inputs)"]
    for line in e.forward:
        what = f"= {line.expression} " if line.expression else ""
        out.append(f"  {shown[line.node]:<{width}} {what}= {num(line.value)}")
    out.append("")
    out.append(f"Backward pass: the chain rule, one edge at a time, from {d(e.root, e.root)} = "
               f"{num(e.grads[e.root])}")
    for s in e.steps:
        out.append(f"{s.index:>3}. edge {edge_text(s, name(s.input), name(s.node))}  "
                   f"({name(s.node)} = {e.expression(s.node)})")
        out.append(f"     local     {d(s.node, s.input)} = {s.named_formula}")
        if s.skipped:
            out.append(f"               {SKIPPED.format(name=name(s.node))}")
        else:
            value = num(s.local)
            filled = s.evaluated and s.evaluated != value  # "" for a hand-made node: no formula to fill in
            out.append(f"               = {s.evaluated} = {value}" if filled else f"               = {value}")
        out.append(f"     upstream  {d(e.root, s.node)} = {num(s.upstream)}")
        if s.local is None:  # skipped
            out.append("     product   skipped: adds nothing")
        else:
            out.append(f"     product   {num(s.upstream)} * {factor(s.local, precision)} = {num(s.contribution)}")
        out.append(f"     total     {d(e.root, s.input)} = {num(s.total)}  ({share_text(s, name(s.input))})")
    leaves = [line.node for line in e.forward if not line.node.inputs and line.node.label]
    if leaves:
        out.append("")
        out.append("Gradients of the labelled leaves: "
                   + ", ".join(f"{d(e.root, leaf)} = {num(e.grads[leaf])}" for leaf in leaves))
    return "\n".join(map(labels.printable, out))  # an op's formula is anyone's text (define_op): no control codes


def to_markdown(e: Explanation, precision: int) -> str:
    """Every name and expression is the user's text, written as LaTeX by ``notation.symbol`` (which escapes it with
    ``labels.latex``), so a label such as ``<img onerror=...>`` shows as text and never becomes HTML."""
    num = lambda x: number(x, precision)
    name = lambda node: e.named.name(node, "latex")
    operand = lambda node: e.named.operand(node, "latex")
    frac = lambda top, bottom: rf"\frac{{\partial {operand(top)}}}{{\partial {operand(bottom)}}}"
    out = ["**Forward pass** (each node after its inputs)", "", "| node | computed as | value |", "|---|---|---|"]
    for line in e.forward:
        expression = f"${e.named.expression(line.node, 'latex')}$" if line.expression else "leaf"
        out.append(f"| ${name(line.node)}$ | {expression} | {num(line.value)} |")
    seed = f"${frac(e.root, e.root)} = {num(e.grads[e.root])}$"
    out += ["", f"**Backward pass**: the chain rule, one edge at a time, from {seed}", ""]
    for s in e.steps:
        indent = " " * len(f"{s.index}. ")  # a sub-list sits under its item's text (CommonMark)
        slot = f", its {s.slot} operand" if s.slot else ""
        out.append(f"{s.index}. edge ${name(s.input)}$ → ${name(s.node)}${slot} "
                   f"(${name(s.node)} = {e.named.expression(s.node, 'latex')}$)")
        out.append(f"{indent}- local: ${frac(s.node, s.input)} = {s.named_formula_latex}$")
        if s.skipped:
            out.append(f"{indent}- {labels.markdown(SKIPPED.format(name=e.named.name(s.node)))}")
        else:
            filled = s.evaluated_latex and s.evaluated and s.evaluated != num(s.local)
            out.append(f"{indent}- $= {s.evaluated_latex + ' = ' if filled else ''}{num(s.local)}$")
        out.append(f"{indent}- upstream: ${frac(e.root, s.node)} = {num(s.upstream)}$")
        if s.local is None:  # skipped
            out.append(f"{indent}- product: skipped, adds nothing")
        else:
            out.append(f"{indent}- product: ${num(s.upstream)} \\cdot {factor(s.local, precision)} = "
                       f"{num(s.contribution)}$")
        share = labels.markdown(share_text(s, _MARK)).replace(_MARK, f"${name(s.input)}$")  # the name as LaTeX
        out.append(f"{indent}- total: ${frac(e.root, s.input)} = {num(s.total)}$ ({share})")
    leaves = [line.node for line in e.forward if not line.node.inputs and line.node.label]
    if leaves:
        out += ["", "**Gradients of the labelled leaves**: "
                + ", ".join(f"${frac(e.root, leaf)} = {num(e.grads[leaf])}$" for leaf in leaves)]
    return "\n".join(out)

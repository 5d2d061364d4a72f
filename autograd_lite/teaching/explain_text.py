"""Text renderers of an ``Explanation``: plain text for a terminal, Markdown with LaTeX for Jupyter.

    >>> from autograd_lite import Value, explain
    >>> print(to_text(explain(Value(2.0, label="x") * 3), 4).splitlines()[0])
    Forward pass (each node after its inputs)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .formatting import factor, latex_var, number, param_binding

if TYPE_CHECKING:
    from .explain import Explanation


def _latex_text(text: str) -> str:
    """Escape a plain string for ``\\mathrm{...}``."""
    return re.sub(r"([_#%&${}])", r"\\\1", text)


def _latex_bindings(bindings: str, tex: Any) -> str:
    """"a = w, b = x" -> "a = \\mathrm{w},\\ b = \\mathrm{x}" (formula names in math italics, node names upright)."""
    pairs = (part.partition(" = ") for part in bindings.split(", "))
    return r",\ ".join(f"{latex_var(var)} = {tex(name)}" for var, _, name in pairs)


def _d(top: str, bottom: str) -> str:
    return f"d{top}/d{bottom}"


def to_text(e: Explanation, precision: int) -> str:
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
        value = num(s.local)
        shown = s.evaluated and s.evaluated != value  # "" for a hand-made node: no formula to fill in
        out.append(f"               = {s.evaluated} = {value}" if shown else f"               = {value}")
        out.append(f"     upstream  {_d(root, s.name)} = {num(s.upstream)}")
        out.append(f"     product   {num(s.upstream)} * {factor(s.local, precision)} = {num(s.contribution)}")
        out.append(f"     total     {_d(root, s.input_name)} = {num(s.total)}  ({share})")
    leaves = [line for line in e.forward if not line.node.inputs and line.node.label]
    if leaves:
        out.append("")
        out.append("Gradients of the labelled leaves: "
                   + ", ".join(f"{_d(root, line.name)} = {num(e.grads[line.node])}" for line in leaves))
    return "\n".join(out)


def to_markdown(e: Explanation, precision: int) -> str:
    num = lambda x: number(x, precision)
    tex = lambda name: rf"\mathrm{{{_latex_text(name)}}}"
    frac = lambda top, bottom: rf"\frac{{\partial {tex(top)}}}{{\partial {tex(bottom)}}}"
    root = e.names[e.root]
    out = ["**Forward pass** (each node after its inputs)", "", "| node | computed as | value |", "|---|---|---|"]
    for line in e.forward:
        expression = f"`{line.expression}`" if line.expression else "leaf"
        out.append(f"| `{line.name}` | {expression} | {num(line.value)} |")
    seed = f"${frac(root, root)} = {num(e.grads[e.root])}$"
    out += ["", f"**Backward pass**: the chain rule, one edge at a time, from {seed}", ""]
    for s in e.steps:
        share = f"{s.count} of {s.users}" + (", final" if s.final else "")
        out.append(
            f"{s.index}. edge `{s.input_name}` → `{s.name}`: "
            f"${frac(s.name, s.input_name)} = {s.formula_latex}"
            + ("$ " if s.partial.strip() == num(s.local) else f" = {num(s.local)}$ ")  # no "= 1 = 1"
            + (f"(with ${_latex_bindings(s.bindings, tex)}$); " if s.bindings else "; ")
            + f"${frac(root, s.input_name)} \\mathrel{{+}}= {num(s.upstream)} \\cdot {factor(s.local, precision)}"
            f" = {num(s.contribution)}$, "
            f"total ${num(s.total)}$ ({share})"
        )
    return "\n".join(out)

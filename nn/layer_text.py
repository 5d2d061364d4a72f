"""``explain_layers``' walkthrough as plain text (matrices side by side) and as Markdown with LaTeX.

    >>> import nn; view = nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5])
    >>> print(to_text(view).splitlines()[0])
    Backpropagation layer by layer: MLP 2-2-1 (relu, output linear), one example, loss mse
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layer_steps import SHOWN, Label, Step, Term

WIDTH = 118  # characters of a text line before a step's matrices are written one under another


def number(x: float, precision: int) -> str:
    """A number with ``precision`` significant digits, -0 written as 0.

    >>> number(-0.0, 4), number(2 / 3, 4)
    ('0', '0.6667')
    """
    return f"{float(x) + 0.0:.{precision}g}"


def header(view: Any) -> list[str]:
    """The walkthrough's opening lines: the model, the data, the conventions."""
    model = view.model
    widths = "-".join(str(n) for n in [model.nin, *model.nouts])
    data = f"a batch of m = {view.m} examples (the columns of X^T)" if view.batch else "one example"
    worst = max(layer.difference() for layer in view.layers)
    lines = [f"Backpropagation layer by layer: MLP {widths} ({model.activation}, output {model.output_activation}), "
             f"{data}, loss {view.loss}",
             f"Loss convention: {view.convention}.",
             "W^[l] is n_l x n_(l-1): z^[l] = W^[l] a^[l-1] + b^[l] (notes 003/004); note 001's W^[l] is the "
             "transpose (n_(l-1) x n_l), so its formulas are cited with W transposed. Layers count from 1; a^[0] = x.",
             f"Every number is the engine's (autograd_lite.grad on the scalar graph); nn.reference's closed form "
             f"agrees to {worst:.1g}."]
    if not view.batch:
        lines.append("One example: its cost C is its loss L, so dC/dW = dL/dW.")
    if view.batch:
        lines.append("A batch stacks the examples as columns (note 001 eq. 23): Z^[l], A^[l], and J^[l] = "
                     "J_z^[l](C), whose column i is dL^(i)/dz^[l]; C = 1/m sum_i L^(i).")
    return lines


# --- text ---------------------------------------------------------------------------------------
def _grid_lines(term: Term, precision: int) -> list[str]:
    grid = term.grid()
    rows, cols = grid.shape
    cells = [[number(v, precision) for v in row[:SHOWN]] + (["..."] if cols > SHOWN else []) for row in grid[:SHOWN]]
    if rows > SHOWN:
        cells.append(["..."] * len(cells[0]))
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    if np.ndim(term.engine) == 0:
        return [cells[0][0]]
    return ["[ " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) + " ]" for row in cells]


def _beside(blocks: list[list[str]]) -> list[str]:
    height = max(len(b) for b in blocks)
    out = [""] * height
    for block in blocks:
        width = max(len(line) for line in block)
        top = (height - len(block)) // 2
        for r in range(height):
            inside = 0 <= r - top < len(block)
            out[r] += (block[r - top] if inside else "").ljust(width)
    return [line.rstrip() for line in out]


def _shape_note(term: Term) -> str:
    return f"{term.label.text} is {term.shape_text()}, first {SHOWN} rows and columns shown" if term.elided() else ""


def step_text(step: Step, number_: int, precision: int) -> list[str]:
    """One step: its title, the formula, the numbers (side by side when they fit), the source."""
    lhs = step.lhs.label.text
    out = [f"Step {number_}. {step.title}"]
    if step.formula is not None:
        out.append(f"  {lhs} = {step.formula.text}")
    blocks = [[f"  {lhs} = "]]
    for item in step.operands:
        blocks.append(_grid_lines(item, precision) if isinstance(item, Term) else [item.text])
    blocks += [[" = "], _grid_lines(step.lhs, precision)]
    lines = _beside(blocks)
    if max(len(line) for line in lines) <= WIDTH:
        out += lines
    else:  # too wide: each matrix under its name
        for term in [t for t in step.operands if isinstance(t, Term)] + [step.lhs]:
            out += _beside([[f"  {term.label.text} = "], _grid_lines(term, precision)])
    notes = [n for n in (_shape_note(t) for t in step.terms) if n]
    out += [f"  ({n})" for n in notes]
    out.append(f"  [{step.cite}]")
    if step.note:
        out.append(f"  {step.note}")
    return out


def to_text(view: Any, precision: int = 4) -> str:
    """The whole walkthrough as text: the header, then every step."""
    out = header(view) + [""]
    for i, step in enumerate(view.steps, 1):
        out += step_text(step, i, precision) + [""]
    return "\n".join(out).rstrip()


# --- Markdown with LaTeX -------------------------------------------------------------------------
def _latex_number(x: float, precision: int) -> str:
    text = number(x, precision)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def latex_term(term: Term, precision: int) -> str:
    """A Term as a LaTeX bmatrix (a number stays a number); a big one shows \\cdots and \\vdots."""
    if np.ndim(term.engine) == 0:
        return _latex_number(float(term.engine), precision)
    grid = term.grid()
    rows, cols = grid.shape
    cells = [[_latex_number(v, precision) for v in row[:SHOWN]] + ([r"\cdots"] if cols > SHOWN else [])
             for row in grid[:SHOWN]]
    if rows > SHOWN:
        cells.append([r"\vdots"] * len(cells[0]))
    body = r" \\ ".join(" & ".join(row) for row in cells)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _latex_item(item: Term | Label, precision: int) -> str:
    return latex_term(item, precision) if isinstance(item, Term) else item.latex


def _markdown_text(text: str) -> str:
    return text.replace("*", r"\*").replace("_", r"\_")


def to_markdown(view: Any, precision: int = 4) -> str:
    """The walkthrough as Markdown: one heading per step and a LaTeX ``aligned`` block with its numbers."""
    out = ["## " + _markdown_text(header(view)[0]), ""]
    out += ["- " + _markdown_text(line) for line in header(view)[1:]] + [""]
    for i, step in enumerate(view.steps, 1):
        out.append(f"### Step {i}. {_markdown_text(step.title)}")
        lines = []
        if step.formula is not None:
            lines.append(f"{step.lhs.label.latex} &= {step.formula.latex}")
        numbers = " ".join(_latex_item(item, precision) for item in step.operands)
        lines.append(("&= " if lines else f"{step.lhs.label.latex} &= ") + numbers)
        lines.append(f"&= {latex_term(step.lhs, precision)}")
        out += ["", "$$", r"\begin{aligned}", " \\\\\n".join(lines), r"\end{aligned}", "$$", ""]
        notes = [f"{t.label.latex} is {t.shape_text()}, first {SHOWN} rows and columns shown" for t in step.terms
                 if t.elided()]
        out += [f"*{_markdown_text(step.cite)}*"] + [f"${n.split(' is ')[0]}$ is {n.split(' is ', 1)[1]}." for n
                                                       in notes]
        if step.note:
            out.append("")
            out.append(_markdown_text(step.note))
        out.append("")
    return "\n".join(out).rstrip() + "\n"

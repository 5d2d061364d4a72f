"""The pieces of ``explain_layers``' walkthrough: symbols in three notations, the matrices of a step, the steps.

A ``Step`` is one equation of the notes with its numbers: ``lhs = formula = operands = lhs's values``.
Each ``Term`` (a matrix, a vector or a number) carries the engine's numbers (shown), the closed
form's (``nn.reference``, checked against them) and, per entry, the scalar nodes of the first
example's graph it comes from (what the HTML page lights). The renderers (``layer_text``,
``layer_html``) only read these.

    >>> t = Term(symbol("z", 1), np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    >>> t.label.text, t.label.latex, t.label.html, t.shape_text()
    ('z^[1]', 'z^{[1]}', 'z<sup>[1]</sup>', '2x1')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_lite

SHOWN = 8
"""Rows and columns of a matrix written in full; a bigger one shows its first 8 and its shape."""


@dataclass(frozen=True)
class Label:
    """One symbol or formula in plain text, LaTeX and HTML."""

    text: str
    latex: str
    html: str

    def __add__(self, other: Label) -> Label:
        return Label(self.text + other.text, self.latex + other.latex, self.html + other.html)


def plain(text: str, latex: str | None = None, html: str | None = None) -> Label:
    """A label from its text (the LaTeX and HTML default to the same characters).

    >>> plain(" + ").latex
    ' + '
    """
    return Label(text, text if latex is None else latex, text if html is None else html)


_GREEK = {"delta": ("delta", r"\delta", "δ")}
_UPPER = {"z": "Z", "a": "A"}


def symbol(base: str, layer: int | None = None, *, batch: bool = False, transpose: bool = False) -> Label:
    """A layer's symbol: ``symbol("W", 2, transpose=True)`` is (W^[2])^T; a batch writes Z, A (note 001).

    >>> symbol("delta", 2).text, symbol("a", 0, batch=True, transpose=True).latex
    ('delta^[2]', '(A^{[0]})^{\\\\mathsf{T}}')
    """
    if batch:
        base = _UPPER.get(base, base)
    text, latex, html = _GREEK.get(base, (base, base, base))
    if layer is not None:
        text, latex, html = f"{text}^[{layer}]", f"{latex}^{{[{layer}]}}", f"{html}<sup>[{layer}]</sup>"
    if transpose:
        text, latex, html = f"({text})^T", rf"({latex})^{{\mathsf{{T}}}}", f"({html})<sup>T</sup>"
    return Label(text, latex, html)


def scalar(base: str, indices: tuple[int, ...], layer: int | None, example: int | None = None) -> Label:
    """One scalar's symbol in the notes' notation (z_2^[1], w_21^[1], delta_1^[2]; example (i) of a batch),
    written by ``autograd_lite.symbol`` in each style.

    >>> scalar("w", (2, 1), 1).text, scalar("z", (1,), 2, example=3).latex, scalar("x", (1,), None, example=2).html
    ('w_21^[1]', 'z_{1}^{[2](3)}', 'x<sub>1</sub><sup>(2)</sup>')
    """
    text = autograd_lite.notation_label(base, *indices, layer=layer, example=example)
    return Label(text, autograd_lite.symbol(text, "latex"), autograd_lite.symbol(text, "html"))


@dataclass
class Term:
    """A matrix, vector (shape (n,), shown as a column) or number in a step.

    ``nodes``: per entry (same shape as ``engine``) a tuple of the scalar Values it comes from in the
    first example's graph (empty for entries of other examples); None when no node stands for it.
    """

    label: Label
    engine: np.ndarray
    reference: np.ndarray
    nodes: Any = None
    names: Any = None  # per entry, the Label of the scalar (z_2^[1], ...) shown on hover

    def grid(self) -> np.ndarray:
        """The values as a 2-D array: a vector becomes a column, a number a 1x1 matrix."""
        values = np.asarray(self.engine, dtype=float)
        return values.reshape(-1, 1) if values.ndim < 2 else values

    def shape_text(self) -> str:
        """``"n x m"`` of the grid, as the notes write dimensions."""
        rows, cols = self.grid().shape
        return f"{rows}x{cols}"

    def elided(self) -> bool:
        """True when the grid has more than ``SHOWN`` rows or columns (only a corner is written)."""
        return max(self.grid().shape) > SHOWN

    def entry_nodes(self, i: int, j: int) -> tuple:
        """The Values behind grid entry (i, j), () when none."""
        if self.nodes is None:
            return ()
        nodes = self.nodes
        if np.ndim(self.engine) == 0:
            return tuple(nodes)
        if np.ndim(self.engine) == 1:
            return tuple(nodes[i])
        return tuple(nodes[i][j])

    def entry_name(self, i: int, j: int) -> Label | None:
        """The scalar's symbol for grid entry (i, j), when the step gave names."""
        if self.names is None:
            return None
        if np.ndim(self.engine) == 0:
            return self.names
        return self.names[i] if np.ndim(self.engine) == 1 else self.names[i][j]


@dataclass
class Step:
    """One equation: ``lhs = formula = operands = values of lhs`` (``formula`` None: no symbolic line)."""

    title: str
    lhs: Term
    formula: Label | None
    operands: list[Term | Label]
    cite: str
    note: str = ""
    phase: str = "forward"  # forward, loss or backward
    layer: int = 0
    terms: list[Term] = field(init=False)

    def __post_init__(self) -> None:
        self.terms = [self.lhs] + [t for t in self.operands if isinstance(t, Term)]

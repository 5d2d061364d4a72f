"""The solutions of an exercise set, every step, as Markdown with LaTeX.

A formula's solution is ``explain``'s own walk through the chain rule (its ``to_markdown``), the steps
``backward`` takes. A network's solution is the notes' backpropagation with the numbers put in: the forward
z^[l] and a^[l], delta^[2], delta^[1] by eq. 21c, then dC/dW^[l] by eq. 21a and dC/db^[l] by eq. 21b.

    >>> from nn.exercises import make_set
    >>> "Eq. 21c" in solutions_markdown(make_set(1, 1, kind="network"))
    True
"""

from __future__ import annotations

import re

import numpy as np

from autograd_lite import OPS, symbol

from . import reference
from .exercise_sheet import COSTS, asked, column, matrix, model_name, number
from .exercises import Answer, ExerciseSet, NetworkExercise, Question

PRECISION = 4  # significant digits of the numbers in the steps


def solutions_markdown(s: ExerciseSet) -> str:
    """Every question's worked solution and its answers."""
    out = [f"# Solutions: {s.count} {'exercise' if s.count == 1 else 'exercises'} (seed {s.seed})", ""]
    for q in s.questions:
        out += [f"## Question {q.key[1:]}", ""]
        out += _expression(q) if q.kind == "expression" else _network(q)
        out += ["**Answers**: " + ", ".join(f"{asked(k).md} = {_value(v)}" for k, v in q.answers.items()), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _value(v: Answer) -> str:
    if isinstance(v, list):
        rows = v if v and isinstance(v[0], list) else [[x] for x in v]
        return f"${matrix(rows).md}$"
    return number(v)


def _expression(q: Question) -> list[str]:
    e = q.exercise
    values = ", ".join(f"{name} = {number(v)}" for name, v in e.values.items())
    return [f"$f = {e.latex}$ with ${values}$. The same steps on the command line: `{e.command}`", "",
            e.explanation.to_markdown(precision=PRECISION), ""]


def _latex(label: str) -> str:
    return symbol(label, "latex")


def _network(q: Question) -> list[str]:
    e: NetworkExercise = q.exercise
    bp = e.backprop
    (W1, _), (W2, _) = e.layers
    col = lambda v: column(v).md
    g1, g2 = model_name(e.hidden), model_name(e.output)
    z1, z2 = bp.z
    a0, a1, a2 = bp.a
    d2, d1 = bp.delta[1], bp.delta[0]
    g_prime = reference.derivative(e.hidden, z1)  # g'(z^[1]) from the op table (eq. 20)
    back = W2.T @ d2
    dC = lambda what: rf"\frac{{\partial C}}{{\partial {what}}}"
    activation = g1[1].replace("(z)", "(z^{[1]})")
    out = ["**Forward pass** ($z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}$, $a^{[l]} = g(z^{[l]})$, $a^{[0]} = x$):", ""]
    out += [rf"$$z^{{[1]}} = W^{{[1]}} x + b^{{[1]}} = {col(z1)}, \quad a^{{[1]}} = {activation} = {col(a1)}$$", ""]
    out += [rf"$$z^{{[2]}} = W^{{[2]}} a^{{[1]}} + b^{{[2]}} = {col(z2)}, \quad a^{{[2]}} = {col(a2)}$$", ""]
    out += [f"Cost ${COSTS[e.loss][0]} = {number(bp.cost)}$.", ""]
    if e.loss == "bce":
        why = "a sigmoid output with cross-entropy (notes 000, 003; eq. 21d has the same form for softmax)"
    else:
        why = (rf"the 1/2 squared error, $\delta^{{[2]}} = (a^{{[2]}} - y) \odot g'(z^{{[2]}})$ with a {g2[0]} "
               "output, g' = 1 (note 004)")
    out += ["**Backward pass**:", "",
            rf"1. Output: $\delta^{{[2]}} = a^{{[2]}} - y = {col(a2)} - {col(e.target)} = {col(d2)}$, by {why}.",
            rf"2. $g'(z^{{[1]}}) = {_g_prime_formula(e.hidden)} = {col(g_prime)}$.",
            rf"3. Eq. 21c, $\delta_k^{{[1]}} = g'(z_k^{{[1]}}) \sum_j \delta_j^{{[2]}} w_{{kj}}^{{[2]}}$, as vectors "
            rf"$\delta^{{[1]}} = (W^{{[2]}})^T \delta^{{[2]}} \odot g'(z^{{[1]}}) = {col(back)} \odot "
            rf"{col(g_prime)} = {col(d1)}$.",
            rf"4. Eq. 21a, $\partial C / \partial w_{{jk}}^{{[l]}} = \delta_k^{{[l]}} a_j^{{[l-1]}}$, so "
            rf"${dC('W^{[2]}')} = \delta^{{[2]}} (a^{{[1]}})^T = {matrix(bp.dW[1]).md}$ and "
            rf"${dC('W^{[1]}')} = \delta^{{[1]}} x^T = {matrix(bp.dW[0]).md}$; for "
            rf"example ${_latex('w_21^[1]')}$ (row 1, column 2 of $W^{{[1]}}$) gets "
            rf"$\delta_1^{{[1]}} x_2 = {_factor(d1[0])} \cdot {_factor(a0[1])} = {number(bp.dW[0][0, 1])}$.",
            rf"5. Eq. 21b, $\partial C / \partial b_k^{{[l]}} = \delta_k^{{[l]}}$: "
            rf"${dC('b^{[2]}')} = {col(bp.db[1])}$, ${dC('b^{[1]}')} = {col(bp.db[0])}$.", ""]
    return out


def _g_prime_formula(hidden: str) -> str:
    """g'(z^[1]) as the op table writes it (``[u > 0]``, ``1 - \\tanh^2(u)``), u read as z^[1]."""
    return re.sub(r"\bu\b", "z^{[1]}", OPS[hidden].partial(0, 1, latex=True))


def _factor(x: float) -> str:
    s = number(float(np.asarray(x)))
    return f"({s})" if s.startswith("-") else s

"""The loss box of the collapsed view: which loss the graph computes after the model, its formula, and the
output delta it gives (the convention: PyTorch's MSE gives 2(ŷ - t), the notes' 1/2 (t - ŷ)^2 gives ŷ - t).

The loss is read from the graph between the model's outputs and the root, not from a name: the op that makes
each term (``pow`` for a square, ``softplus`` for BCE on logits, ``logsumexp`` for cross-entropy ...) and,
through one reverse pass (``grad``), the weight c the root gives each term, so C = c sum (terms).

    >>> from autograd_lite import Value
    >>> y = Value(3.0); loss = ((y - 2.0) ** 2) * 0.5           # note 002: J = 1/2 (t - z)^2 with one example
    >>> reading = read_loss(loss, outputs=[[y]], samples=1, activation="")
    >>> reading.name, reading.convention
    ('half squared error (the notes)', 'delta^[L] = ∂L/∂z^[L] = ŷ - t\\nno 2: the ½ cancels it (notes 002/004)')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.backprop import grad
from ..core.engine import Value


@dataclass
class LossReading:
    """What the loss box says. Texts use the notes' notation labels (``z^[L]``), for ``notation.symbol``.

    ``per_example``: C = 1/m sum_i L^(i) (every loss ``nn`` has), so the per-example delta^(i) = dL^(i)/dz is m
    times the engine's dC/dz; False for a loss this module does not know (its dC/dz is shown as it is).
    ``targets[k][i]``: the target of output k in example i, when the graph holds it (else None).
    """

    name: str
    formula: str
    cost: str
    convention: str
    per_example: bool
    logits: bool = False  # the loss takes z^[L] itself (softmax / sigmoid are part of the loss)
    targets: list[list[float]] | None = field(default=None)
    other_terms: int = 0  # ops of the loss that do not use ŷ (a penalty on the weights): set by the collapsed view
    other_leaves: set[Value] = field(default_factory=set)  # the leaves those terms use (the parameters they touch)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def loss_nodes(root: Value, outputs: set[Value]) -> list[Value]:
    """The op nodes between the model's outputs and the root (the loss's own graph), root last."""
    seen: set[Value] = set()
    found: list[Value] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node in seen or node in outputs or not node.inputs:
            continue
        seen.add(node)
        found.append(node)
        stack.extend(node.inputs)
    return found[::-1]


def _weights(root: Value, atoms: list[Value]) -> float | None:
    """The one weight c with which the root counts every atom (dC/d atom), or None if they differ."""
    if not atoms:
        return None
    try:
        found = [g.data for g in grad(root, atoms)]
    except (OverflowError, ValueError, ZeroDivisionError):  # a graph whose backward fails: no weight to read
        return None
    return found[0] if all(_close(c, found[0]) for c in found) else None


def _target_of(node: Value, outputs: set[Value]) -> float | None:
    """t in (y - t), (t - y) or t * y, where y is a model output and t a constant leaf."""
    if len(node.inputs) != 2:
        return None
    a, b = node.inputs
    if a in outputs and not b.inputs:
        return b.data
    if b in outputs and not a.inputs:
        return a.data
    return None


def _grid(outputs: list[list[Value]], found: Mapping[Value, float | None]) -> list[list[float]] | None:
    rows: list[list[float]] = []
    for per_neuron in outputs:
        row = [t for y in per_neuron if (t := found.get(y)) is not None]
        if len(row) < len(per_neuron):
            return None
        rows.append(row)
    return rows


def read_loss(root: Value, outputs: list[list[Value]], samples: int, activation: str) -> LossReading:
    """Name, formula and delta convention of the loss that ``root`` computes from ``outputs[k][i]``
    (output k of example i, the last layer's a nodes), for ``samples`` examples."""
    flat = {y for per_neuron in outputs for y in per_neuron}
    nodes = loss_nodes(root, flat)
    ops = {v.op for v in nodes}
    m, n = samples, len(outputs)
    cost = "C = L" if m == 1 else f"C = 1/m Σᵢ L⁽ⁱ⁾, mean over the m = {m} examples"
    if not nodes:
        return LossReading("none (the root is the model's output)", "no loss: the root is ŷ itself", "C = ŷ",
                           "delta^[L] = ∂ŷ/∂z^[L], as the engine computes it", False)
    if activation == "softmax" and "log" in ops:
        read = {v.inputs[0] for v in nodes if v.op == "log" and v.inputs[0] in flat}  # log ŷ_y: y is the class
        onehot = [[1.0 if y in read else 0.0 for y in per_neuron] for per_neuron in outputs]
        return LossReading("cross-entropy on the softmax layer", "L = -Σₖ ỹₖ log ŷₖ  (eq. 9)", cost,
                           "delta^[L] = ∂L/∂z^[L] = ŷ - ỹ\n(eq. 19 / 21d)", True,
                           targets=onehot if all(sum(col) == 1.0 for col in zip(*onehot)) else None)
    if "logsumexp" in ops:
        return _cross_entropy(root, nodes, outputs, m, cost)
    if "softplus" in ops:
        atoms = [v for v in nodes if v.op == "softplus" and v.inputs[0] in flat]
        c = _weights(root, atoms)
        delta = "σ(z^[L]) - t" if c is not None and _close(c * m * n, 1.0) and n == 1 else (
            f"(σ(z^[L]) - t) / {n}" if c is not None and _close(c * m * n, 1.0) else "m c (σ(z^[L]) - t)")
        targets = {}
        for v in nodes:
            if v.op == "mul" and (t := _target_of(v, flat)) is not None:
                targets[v.inputs[1] if v.inputs[1] in flat else v.inputs[0]] = t
        mean = "" if n == 1 else f", mean over the n = {n} outputs"
        return LossReading(
            "BCE with logits", f"L = softplus(z) - t z = -[t log σ(z) + (1 - t) log(1 - σ(z))]{mean}", cost,
            f"delta^[L] = ∂L/∂z^[L] = {delta}\nnotes 000/003: δ_out = σ(a_out) - t (their a is our z);\n"
            "the sigmoid is part of the loss: the layer is linear", True, logits=True, targets=_grid(outputs, targets))
    if "pow" in ops:
        squares = [v for v in nodes if v.op == "pow" and v.param == 2.0 and v.inputs[0].op == "sub"
                   and _target_of(v.inputs[0], flat) is not None]
        c = _weights(root, squares)
        if c is not None and len(squares) == m * n:
            found = {y: _target_of(v.inputs[0], flat) for v in squares for y in v.inputs[0].inputs if y in flat}
            return _squared(c, m, n, activation, cost, _grid(outputs, found))
    if "log" in ops and activation == "sigmoid":
        return LossReading("BCE (log loss)", "L = -[t log ŷ + (1 - t) log(1 - ŷ)]" + (
            "" if n == 1 else f", mean over the n = {n} outputs"), cost,
            "delta^[L] = ∂L/∂z^[L] = ŷ - t\n(through the sigmoid, notes 000/003)" if n == 1 else
            f"delta^[L] = ∂L/∂z^[L] = (ŷ - t) / {n}", True)
    if "relu" in ops and activation == "":
        return LossReading("hinge", "L = max(0, 1 - t ŷ)", cost,
                           "delta^[L] = ∂L/∂z^[L] = -t where t ŷ < 1, else 0", True)
    return LossReading("loss", f"{len(nodes)} op nodes after the last layer ({', '.join(sorted(ops)) or 'none'})",
                       "C = the root", "delta^[L] = ∂C/∂z^[L], as the engine computes it", False)


def _squared(c: float, m: int, n: int, activation: str, cost: str, targets: list[list[float]] | None) -> LossReading:
    g = "" if activation in ("", "linear") else " ∘ g'(z^[L])"
    if _close(c, 0.5 / m):
        name, formula = "half squared error (the notes)", "L = ½ Σₖ (tₖ - ŷₖ)², summed over the outputs"
        if n == 2:
            name += " = MSE (PyTorch) with n = 2"
        delta = f"delta^[L] = ∂L/∂z^[L] = {'(ŷ - t)' + g if g else 'ŷ - t'}\nno 2: the ½ cancels it (notes 002/004)"
    elif _close(c, 1.0 / (m * n)):
        name = "MSE (PyTorch)"
        formula = "L = (ŷ - t)²" if n == 1 else f"L = 1/n Σₖ (ŷₖ - tₖ)², mean over the n = {n} outputs"
        two = "2" if n == 1 else f"2/{n}"
        delta = (f"delta^[L] = ∂L/∂z^[L] = {two} (ŷ - t){g}\nPyTorch's mean has no ½;\n"
                 "the notes' ½ (t - ŷ)² gives ŷ - t")
    else:
        k = c * m
        name, formula = "squared error", f"L = {k:.6g} Σₖ (ŷₖ - tₖ)²"
        delta = f"delta^[L] = ∂L/∂z^[L] = {2 * k:.6g} (ŷ - t){g}"
    return LossReading(name, formula, cost, delta, True, targets=targets)


def _cross_entropy(root: Value, nodes: list[Value], outputs: list[list[Value]], m: int, cost: str) -> LossReading:
    lse = [v for v in nodes if v.op == "logsumexp"]
    c = _weights(root, lse)
    targets: list[list[float]] | None = None
    dots = [v for v in nodes if v.op == "dot"]
    if len(dots) == m:  # dot(ỹ, z) of each example: its one-hot target
        targets = [[0.0] * m for _ in outputs]
        for v in dots:
            half = len(v.inputs) // 2
            onehot, zs = v.inputs[:half], v.inputs[half:]
            for y, t in zip(zs, onehot):
                for k, per_neuron in enumerate(outputs):
                    if y in per_neuron:
                        targets[k][per_neuron.index(y)] = t.data
    per_example = c is not None and _close(c * m, 1.0)
    return LossReading(
        "cross-entropy (softmax in the loss)", "L = log Σₖ exp(zₖ) - Σₖ ỹₖ zₖ = -Σₖ ỹₖ log softmax(z)ₖ  (eq. 10)", cost,
        "delta^[L] = ∂L/∂z^[L] = ŷ - ỹ, ŷ = softmax(z^[L])\n(eq. 19 / 21d); the softmax is part of the loss",
        per_example, logits=True, targets=targets)

"""Loss functions: each returns ONE Value, the mean over every example (and output), as in PyTorch;
``half_squared_error``, the notes' 1/2 ||t - y||^2, sums over an example's outputs and averages over examples.

``input`` is what a model returns: a Value, a list of Values (a batch of single outputs, or one
example's outputs) or a list of lists (a batch of multi-output examples). ``target`` holds plain
numbers of the same shape (class indices for ``cross_entropy``).

    >>> from autograd_lite import Value
    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data   # ((1-0)^2 + (3-1)^2) / 2
    2.5
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Value

from .checks import finite_array

Outputs = Value | Sequence[Value] | Sequence[Sequence[Value]]
LOG_FLOOR = -100.0  # PyTorch clamps log(p) at -100 in binary_cross_entropy, so p = 0 or 1 stays finite


def _as_value(x: Any, where: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValueError(f"input{where} must be a Value or a finite number, got {type(x).__name__}: {x!r:.60}")
    return Value(float(x))


def _flatten(input: Outputs, target: Any, name: str) -> tuple[list[Value], list[float]]:
    """The input Values and target numbers paired in order, after checking the shapes agree."""
    if isinstance(input, np.ndarray):
        input = input.tolist()
    if isinstance(input, (list, tuple)) and input and all(isinstance(row, (list, tuple)) for row in input):
        widths = {len(row) for row in input}
        if len(widths) != 1:
            raise ValueError(f"{name}: input rows have different lengths {sorted(widths)}")
        shape: tuple[int, ...] = (len(input), widths.pop())
        values = [_as_value(v, f"[{i}][{j}]") for i, row in enumerate(input) for j, v in enumerate(row)]
    elif isinstance(input, (list, tuple)):
        shape = (len(input),)
        values = [_as_value(v, f"[{i}]") for i, v in enumerate(input)]
    else:
        shape, values = (), [_as_value(input, "")]
    if not values:
        raise ValueError(f"{name}: input is empty")
    if any(isinstance(t, Value) for t in np.ravel(np.asarray(target, dtype=object))):
        raise ValueError(f"{name}: target must hold plain numbers, not Values (use value.data)")
    t = finite_array(target, f"{name}: target")
    squeezed = lambda dims: tuple(d for d in dims if d != 1)  # (n, 1) targets for n single outputs pair up in order
    if t.shape != shape and squeezed(t.shape) != squeezed(shape):
        raise ValueError(f"{name}: input has shape {shape} but target has shape {t.shape}; they must match")
    return values, t.ravel().tolist()


def _mean(terms: list[Value]) -> Value:
    # one term is its own mean: no sum of one and no "* 1" for a picture or a walkthrough to show
    loss = terms[0] if len(terms) == 1 else ag.sum(terms) * (1.0 / len(terms))
    loss.label = "C"  # the cost, the notes' mean of the examples' losses (note 001 eq. 9): pictures show C, not v6
    return loss


Target = float | Value
# Each loss's per-element formula, written once: the batch losses below average these, and
# ``nn.fit(compiled=True)`` traces them with the targets as Values (a tape takes them per sample).
TERMS: dict[str, Callable[[Sequence[Value], Sequence[Target]], list[Value]]] = {
    "mse": lambda ys, ts: [(y - t) ** 2 for y, t in zip(ys, ts)],
    # notes 002/004: L = 1/2 sum_k (t_k - y_k)^2, ONE term per example (summed over its outputs, not averaged)
    "half_squared_error": lambda ys, ts: [0.5 * ag.sum([(t - y) ** 2 for y, t in zip(ys, ts)])],
    # -[t log s(x) + (1-t) log(1 - s(x))] = softplus(x) - t x, since log s(x) = x - softplus(x)
    "bce_with_logits": lambda xs, ts: [x.softplus() - t * x for x, t in zip(xs, ts)],
    "hinge": lambda ss, ts: [(1.0 - t * s).relu() for s, t in zip(ss, ts)],
    # eq. 10: -sum_k y~_k log s(z)_k = log sum_i e^{z_i} - y~ . z for one example's logits z and one-hot y~;
    # the same graph for every class, so a compiled tape traced on one example serves all
    "cross_entropy": lambda zs, onehot: [ag.logsumexp(zs) - ag.dot(onehot, zs)],
}


def mse_loss(input: Outputs, target: Any) -> Value:
    """Mean squared error, mean over all elements: (1/n) sum (y - t)^2 (PyTorch's ``mse_loss``; no 1/2).

    >>> mse_loss(Value(3.0), 1.0).data
    4.0
    """
    ys, ts = _flatten(input, target, "mse_loss")
    return _mean(TERMS["mse"](ys, ts))


def half_squared_error(input: Outputs, target: Any) -> Value:
    """The notes' squared error: L = 1/2 sum_k (t_k - y_k)^2 per example, averaged over the m examples,
    C = 1/(2m) sum_i ||t^(i) - y^(i)||^2 (note 002's J = 1/(2N) sum (t - z)^2; note 004's C). Its output delta
    is dL/dy = y - t, with no 2 (``mse_loss`` is PyTorch's mean of (y - t)^2 over every element: 2/n (y - t)).

    >>> half_squared_error(Value(3.0), 2.0).data          # note 002: 1/2 (2 - 3)^2
    0.5
    >>> half_squared_error([[Value(1.0), Value(3.0)]], [[0.0, 1.0]]).data   # ONE example, 2 outputs: summed
    2.5

    Shapes: a Value is one example with one output; a flat list is a batch of single outputs (what
    ``nn.fit`` passes); a list of lists is m examples by n outputs (one example's n outputs: ``[outputs]``).
    """
    if isinstance(input, np.ndarray):
        input = input.tolist()
    ys, ts = _flatten(input, target, "half_squared_error")
    width = len(input[0]) if isinstance(input, (list, tuple)) and isinstance(input[0], (list, tuple)) else 1
    rows = range(0, len(ys), width)
    return _mean([term for i in rows for term in TERMS["half_squared_error"](ys[i:i + width], ts[i:i + width])])


def _clamped_log(p: Value) -> Value:
    # log(p) >= -100 as in PyTorch: below e^-100 the term is a constant with no gradient
    return p.log() if p.data > math.exp(LOG_FLOOR) else Value(LOG_FLOOR)


def binary_cross_entropy(input: Outputs, target: Any) -> Value:
    """-(1/n) sum [t log p + (1 - t) log(1 - p)] for probabilities p in [0, 1] (log clamped at -100, as PyTorch).

    >>> round(binary_cross_entropy(Value(0.5), 1.0).data, 6)   # log 2
    0.693147

    For a sigmoid output prefer ``binary_cross_entropy_with_logits`` on the logit: it never saturates.
    """
    ps, ts = _flatten(input, target, "binary_cross_entropy")
    terms = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy: input[{i}] = {p.data} is not a probability in [0, 1]")
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: target[{i}] = {t} is not in [0, 1]")
        parts = []
        if t != 0.0:  # skip terms with a zero weight, so p = 0 or 1 with the right label costs nothing
            parts.append(t * _clamped_log(p))
        if t != 1.0:
            parts.append((1.0 - t) * _clamped_log(1.0 - p))
        terms.append(-ag.sum(parts))
    return _mean(terms)


def binary_cross_entropy_with_logits(input: Outputs, target: Any) -> Value:
    """Sigmoid + binary cross-entropy on logits x: (1/n) sum [softplus(x) - t x], exact for any x (even +-1000).

    >>> round(binary_cross_entropy_with_logits(Value(0.0), 1.0).data, 6)
    0.693147
    """
    xs, ts = _flatten(input, target, "binary_cross_entropy_with_logits")
    for i, t in enumerate(ts):
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: target[{i}] = {t} is not in [0, 1]")
    return _mean(TERMS["bce_with_logits"](xs, ts))


def hinge_loss(input: Outputs, target: Any) -> Value:
    """The max-margin loss of micrograd's demo: (1/n) sum max(0, 1 - t s) with labels t in {-1, +1}.

    >>> hinge_loss([Value(0.5), Value(-2.0)], [1, -1]).data   # (0.5 + 0) / 2
    0.25
    """
    ss, ts = _flatten(input, target, "hinge_loss")
    for i, t in enumerate(ts):
        if t not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: target[{i}] = {t}; labels must be -1 or +1")
    return _mean(TERMS["hinge"](ss, ts))


def cross_entropy(input: Sequence[Value] | Sequence[Sequence[Value]], target: Any) -> Value:
    """Softmax + negative log-likelihood on logits: mean of logsumexp(z) - z[class] (eq. 10 of notes 001).

    One example: ``input`` a list of logits, ``target`` a class index; a batch: a list of lists
    and a list (or 1-D array) of class indices. Logits of +-1000 neither overflow nor give NaN.

    >>> round(cross_entropy([Value(1000.0), Value(-1000.0)], 1).data, 6)
    2000.0
    """
    if isinstance(input, np.ndarray):
        input = input.tolist()
    if not isinstance(input, (list, tuple)) or not input:
        raise ValueError(f"cross_entropy: input must be a non-empty list of logits (or a list of such lists), "
                         f"got {type(input).__name__}")
    batch = isinstance(input[0], (list, tuple))
    rows = list(input) if batch else [input]
    targets = np.asarray(target, dtype=object)
    if targets.shape != ((len(rows),) if batch else ()):
        want = f"a list of {len(rows)} class indices" if batch else "one class index"
        raise ValueError(f"cross_entropy: {'a batch of ' + str(len(rows)) if batch else 'one example'} of logits "
                         f"needs {want}, got target of shape {targets.shape}")
    terms = []
    for i, (row, k) in enumerate(zip(rows, targets.ravel().tolist())):
        where = f"[{i}]" if batch else ""
        if not isinstance(row, (list, tuple)) or len(row) != len(rows[0]):
            raise ValueError(f"cross_entropy: input{where} must be a list of {len(rows[0])} logits")
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise ValueError(f"cross_entropy: target{where} must be an int class index, got {type(k).__name__}: {k!r}")
        if not 0 <= int(k) < len(row):
            raise ValueError(f"cross_entropy: target{where} = {k} is out of range for {len(row)} classes")
        z = [_as_value(v, f"{where}[{j}]") for j, v in enumerate(row)]
        onehot = [1.0 if j == k else 0.0 for j in range(len(z))]  # y~ (eq. 4)
        terms += TERMS["cross_entropy"](z, onehot)
    return _mean(terms)

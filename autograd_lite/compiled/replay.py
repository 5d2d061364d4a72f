"""Replaying the program over a batch: each group's forward with ``array_math``, then the chain
rule group by group, last to first, with the op table's local derivatives.

A uniform node (one value for the whole batch) that feeds batch nodes receives the sum of its
gradients over the samples; a row read by several nodes of a group (a layer's inputs, read by
every neuron) receives the sum over those nodes, as a matrix product where one does it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import scalar_math
from ..core.ops import OPS
from . import array_math
from .program import Group, Operand


@dataclass
class Run:
    """One call's buffers: U (uniform rows, shape (n, 1)), V (batch rows, shape (n, B)), and per group
    the inputs the forward pass read, which the backward pass reuses."""

    U: np.ndarray
    V: np.ndarray
    B: int
    saved: list[tuple]


def run_forward(group: Group, U: np.ndarray, V: np.ndarray) -> tuple:
    """Compute the group's outputs; returns its inputs, saved for the backward pass."""
    if group.scalar is not None:  # one uniform node: plain floats are faster than arrays of one element
        if long_sum(group):  # an L2 penalty over every weight: one numpy sum, not a Python loop
            xs = U[group.span, 0] if group.span is not None else U[group.scalar.rows[:, 0], 0]
            U[group.out, 0] = xs.sum()
            return xs, None
        xs = tuple(U[group.scalar.rows[:, 0], 0].tolist())
        U[group.out, 0] = group.op.forward(scalar_math, xs, group.param)
        return xs, None
    parts: list = []
    stacks: list[tuple] = []  # per operand: (its positions stacked, the list of those rows)
    for o in group.operands:
        buf = V if o.batch else U
        if o.block is not None:
            rows = [buf[o.block]]
            stacks.append((rows[0][None], rows))
        else:
            stacked = buf[o.rows]  # (positions, nodes or 1, B or 1)
            rows = list(stacked)
            stacks.append((stacked, rows))
        parts.extend(rows)
    xs = tuple(parts) if group.order is None else tuple(parts[i] for i in group.order)
    (V if group.batch else U)[group.out] = group.op.forward(array_math, xs, group.param)
    return xs, stacks


def run_backward(group: Group, saved: tuple, run: Run, GU: np.ndarray, GU_flat: np.ndarray,
                  GV: np.ndarray) -> None:
    xs, stacks = saved
    if not group.grad:  # nothing here leads to a parameter (lowered plans only; the interpreter does it all)
        return
    if group.scalar is not None:
        o = group.scalar
        g = GU[group.out.start, 0]
        if g != 0.0 and long_sum(group):  # d sum / d x_i = 1 (the table's, checked in _long_sum): each input gets g
            if group.span is not None:
                GU_flat[group.span] += g
            else:
                _scatter(GU_flat, o.rows[:, 0], np.full(len(xs), g), o)
        elif g != 0.0:
            partials = group.op.local(scalar_math, xs, run.U[group.out.start, 0], group.param)
            _scatter(GU_flat, o.rows[:, 0], np.multiply(partials, g), o)
        return
    y = (run.V if group.batch else run.U)[group.out]
    g = (GV if group.batch else GU)[group.out]
    partials = group.op.local(array_math, xs, y, group.param)
    for o in group.operands:
        if not o.grad:
            continue
        if o.block is not None and not o.shared:  # one position, contiguous rows: elementwise, the common case
            contribution = partials[o.positions[0]] * g
            if o.batch:
                GV[o.block] += contribution
            else:
                GU_flat[o.block] += contribution.sum(axis=1)  # a uniform input: summed over the batch
            continue
        d = _stacked([partials[j] for j in o.positions], stacks)
        contribution = _chain(d, g, o.batch, o.shared)
        target = GV if o.batch else GU_flat
        if o.block is not None:
            target[o.block] += contribution[0]
        else:
            _scatter(target, o.rows[:, 0] if o.shared else o.rows, contribution, o)


LONG = 32  # a sum of more inputs than this is done by numpy
_SUM_PARTIALS_ARE_ONE = OPS["sum"].local(scalar_math, (2.0, 3.0), 5.0, None) == (1.0, 1.0)  # read from the table


def long_sum(group: Group) -> bool:
    return group.op.name == "sum" and _SUM_PARTIALS_ARE_ONE and len(group.scalar.rows) > LONG  # type: ignore[union-attr]


def _stacked(partials: list, stacks: list[tuple]) -> np.ndarray:
    """The partials of some positions as one array (positions, nodes or 1, B or 1).

    Many local derivatives are the op's own inputs (dot: d/dw_i = x_i); when they are exactly the
    rows of an operand stacked for the forward, that array is used as is.
    """
    for stacked, rows in stacks:
        if len(rows) == len(partials) and all(p is r for p, r in zip(partials, rows)):
            return stacked
    if len(partials) == 1:
        d = np.asarray(partials[0], dtype=float)
        return d.reshape((1, *d.shape) if d.ndim == 2 else (1, 1, 1))
    if all(np.ndim(p) == 0 for p in partials):  # constants, as sum's 1.0s (or a user op's ints)
        return np.array(partials, dtype=float).reshape(len(partials), 1, 1)
    shape = np.broadcast_shapes(*(np.shape(p) for p in partials))
    return np.stack([np.broadcast_to(p, shape) for p in partials])


def _chain(d: np.ndarray, g: np.ndarray, batch: bool, shared: bool) -> np.ndarray:
    """The chain rule for one operand: local derivatives ``d`` (positions, nodes or 1, B or 1) times the
    nodes' gradients ``g`` (nodes, B or 1), summed over the samples for a uniform input and over
    the nodes for an input they all share. Picks a matrix product where one does the sum."""
    _, kd, wd = d.shape
    if not batch:  # one gradient for the whole batch: sum over samples
        if wd == 1:
            out = d[:, :, 0] * g.sum(axis=1)
        elif kd == 1:
            out = d[:, 0, :] @ g.T
        else:
            out = (d * g).sum(axis=2)
        return out.sum(axis=1) if shared else out
    if not shared:
        return d * g
    if wd == 1 and kd == g.shape[0]:
        return d[:, :, 0] @ g
    if kd == 1:
        return d[:, 0, :] * g.sum(axis=0)
    return (d * g).sum(axis=1)


def _scatter(target: np.ndarray, rows: np.ndarray, values: np.ndarray, o: Operand) -> None:
    """target[rows] += values, also when a row appears more than once (``x * x``: twice, once per position)."""
    if o.distinct:
        target[rows] += values
    elif rows.ndim == 2 and o.distinct_per_position:
        for r, v in zip(rows, values):
            target[r] += v
    else:
        np.add.at(target, rows, values)

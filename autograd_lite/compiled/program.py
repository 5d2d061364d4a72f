"""The program: a traced graph laid out for numpy, as groups of nodes that one call computes.

Nodes are grouped by depth, op, parameter and operand layout; each group's outputs get
contiguous rows of one of two buffers, the batch buffer ``V`` (one column per sample) and the
uniform buffer ``U`` (one column: parameters, constants, and nodes that do not depend on the
batch, such as an L2 penalty). Trees of ``add`` / ``sum`` become one ``sum`` node first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.engine import Value
from ..core.ops import OPS, Op


class _Node:
    """An op node of the program (the trace's Values are not kept): what a Value records, no data."""

    __slots__ = ("op", "param", "inputs", "label")

    def __init__(self, op: str, param: Any, inputs: tuple, label: str) -> None:
        self.op, self.param, self.inputs, self.label = op, param, inputs, label


def fuse_sums(order: list[Value], keep: set[Value]) -> tuple[list[Any], dict[Value, Any]]:
    """The graph with every tree of ``add`` / ``sum`` nodes whose inner nodes have no other user as ONE
    ``sum`` node (Python's ``sum(values)`` makes a chain of n - 1 adds; here it is one op).

    Only a left-nested chain is absorbed, so the terms are added exactly as the eager engine adds them.
    Nodes in ``keep`` (outputs) are never absorbed. Leaves stay the trace's Values; op nodes
    become ``_Node``s. Returns the new order and the map from the trace's nodes to it.
    """
    users: dict[Any, list[Value]] = {}
    for v in order:
        for x in v.inputs:
            users.setdefault(x, []).append(v)

    def inner(x: Value) -> bool:  # absorbed into its only user, as its FIRST term: ((a + b) + c) is sum(a, b, c),
        # but a + (b + c) is not (floats do not associate: 1 + (1e16 - 1e16) is 1, (1 + 1e16) - 1e16 is 0)
        return (x.op in ("add", "sum") and len(users.get(x, ())) == 1 and users[x][0].op in ("add", "sum")
                and users[x][0].inputs[0] is x and x not in keep)

    new: dict[Value, Any] = {}
    out: list[Any] = []

    def terms(v: Value) -> list[Any]:  # the leaves of v's tree of absorbed adds, left to right (no recursion)
        found: list[Any] = []
        stack = [iter(v.inputs)]
        while stack:
            for x in stack[-1]:
                if inner(x):
                    stack.append(iter(x.inputs))
                    break
                found.append(new[x])
            else:
                stack.pop()
        return found

    for v in order:
        if not v.inputs:
            new[v] = v
            out.append(v)
            continue
        if v.op in ("add", "sum"):
            if inner(v):  # computed as part of its user's sum
                continue
            collected = terms(v)
            op = "sum" if len(collected) != len(v.inputs) else v.op
            node = _Node(op, v.param, tuple(collected), v.label)
        else:
            node = _Node(v.op, v.param, tuple(new[x] for x in v.inputs), v.label)
        new[v] = node
        out.append(node)
    return out, new


@dataclass
class Operand:
    """The inputs at some positions of a group's nodes that live in the same buffer, read in one go.

    ``rows`` has shape (positions, nodes), or (positions, 1) when every node of the group reads the
    same row there (``shared``: a layer's neurons all read the same activations).
    """

    positions: list[int]
    batch: bool  # in the batch buffer (one value per sample) or the uniform one (one value)
    rows: np.ndarray
    shared: bool
    distinct: bool  # no row appears twice (then ``+=`` on fancy indices is exact)
    distinct_per_position: bool  # no row twice within a position (then ``+=`` position by position is exact)
    block: slice | None  # the rows as one contiguous slice, when there is a single position
    grad: bool = True  # some input at these positions leads to a parameter (else its gradient is not computed)


@dataclass
class Group:
    """Nodes with the same op, parameter, depth and operand layout: one numpy call per pass."""

    op: Op
    param: Any
    batch: bool  # outputs in the batch buffer
    out: slice  # rows of the outputs (contiguous by construction)
    operands: list[Operand]
    order: list[int] | None  # operand positions -> op input positions, when not already in order
    nodes: list[int]  # trace slots of the nodes, for error messages
    scalar: Operand | None  # a single uniform node, computed with floats (scalar_math): its inputs' rows
    depth: int = 0  # 1 + the deepest input's depth: groups (and lowered layers) run in order of depth
    span: slice | None = None  # a scalar node's inputs as one contiguous slice of U, when they are
    grad: bool = True  # some input leads to a parameter: the backward pass has something to do


def _operand(positions: list[int], batch: bool, rows: np.ndarray, shared: bool) -> Operand:
    used = rows[:, :1] if shared else rows
    distinct = len(np.unique(used)) == used.size
    distinct_per_position = all(len(np.unique(r)) == len(r) for r in used)
    block = None
    if used.shape[0] == 1 and distinct and (np.diff(used[0]) == 1).all():
        block = slice(int(used[0, 0]), int(used[0, -1]) + 1)
    return Operand(positions, batch, used, shared, distinct, distinct_per_position, block)


def build_groups(order: list[Any], batch: dict[Any, bool], row: dict[Any, int],
                  next_row: dict[bool, int], preset: dict[Any, int] | None = None,
                  needs_grad: dict[Any, bool] | None = None) -> list[Group]:
    """Group op nodes by (depth, op, param, arity, operand buffers); give each group's outputs contiguous rows.

    ``preset``: nodes computed elsewhere (a lowered layer's outputs, see ``lowering``) with their depth;
    their rows are already in ``row``, and they are not grouped. ``needs_grad``: which nodes lead to a
    parameter; gradients are then computed only for those (default: for every input).
    """
    depth: dict[Any, int] = dict(preset or {})
    keyed: dict[tuple, list[Any]] = {}
    for v in order:
        if v in depth:
            continue
        if not v.inputs:
            depth[v] = 0
            continue
        depth[v] = 1 + max(depth[x] for x in v.inputs)
        key = (depth[v], v.op, v.param, len(v.inputs), tuple(batch[x] for x in v.inputs))
        keyed.setdefault(key, []).append(v)
    slot = {v: i for i, v in enumerate(order)}
    groups = []
    for key in sorted(keyed, key=lambda k: k[0]):  # by depth: inputs are always computed first
        nodes = keyed[key]
        is_batch = any(key[4])
        start = next_row[is_batch]
        for i, v in enumerate(nodes):
            row[v] = start + i
        next_row[is_batch] = start + len(nodes)
        rows = np.array([[row[x] for x in v.inputs] for v in nodes]).T  # (positions, nodes)
        shared = [len(nodes) > 1 and bool((r == r[0]).all()) for r in rows]
        if len(rows) <= 2:  # unary and binary ops: each position on its own (mostly contiguous blocks)
            operands = [_operand([j], key[4][j], rows[[j]], shared[j]) for j in range(len(rows))]
        else:  # n-ary ops: all positions of a buffer and sharing read in one go (a layer's dot)
            operands = []
            for in_batch in (False, True):
                for want_shared in (True, False):
                    picked = [j for j in range(len(rows)) if key[4][j] == in_batch and shared[j] == want_shared]
                    if picked:
                        operands.append(_operand(picked, in_batch, rows[picked], want_shared))
        positions = [j for o in operands for j in o.positions]
        order_back = None if positions == list(range(len(positions))) else list(np.argsort(positions))
        scalar = _operand(list(range(len(rows))), False, rows, True) if not is_batch and len(nodes) == 1 else None
        span = None
        if scalar is not None and len(rows) > 1 and (np.diff(rows[:, 0]) == 1).all():
            span = slice(int(rows[0, 0]), int(rows[-1, 0]) + 1)
        if needs_grad is not None:
            for o in operands:
                o.grad = any(needs_grad[v.inputs[j]] for v in nodes for j in o.positions)
        group_grad = any(o.grad for o in operands)
        groups.append(Group(OPS[key[1]], key[2], is_batch, slice(start, start + len(nodes)), operands,
                             order_back, [slot[v] for v in nodes], scalar, key[0], span, group_grad))
    return groups

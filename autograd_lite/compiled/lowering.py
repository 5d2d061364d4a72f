"""Layer lowering: the neurons of a layer, found in the traced graph, run as ONE matrix product.

A neuron is ``dot(w_1..w_n, x_1..x_n)``, maybe ``+ b``, maybe then an elementwise activation
(``relu``, ``tanh``, any op of one input). Neurons whose weights and bias are leaves of the
uniform buffer (parameters, captured Values, constants) and that read the SAME batch nodes
``x_1..x_n`` form a layer, computed for the whole batch as (notes 004)

    Z = W A + b,   Y = g(Z)                     (W: k x n, A: n x B, one row of Y per neuron)

and differentiated as ``dZ = G * g'(Z)``, ``dW = dZ A^T``, ``db = dZ 1``, ``dA = W^T dZ`` with g and
g' read from the op table (``OPS[...].forward`` / ``local``). Everything else stays with the
interpreter (``program`` / ``replay``); a graph without layers is not lowered at all.

    >>> from autograd_lite import Value, compile, dot
    >>> w = [Value(1.0), Value(2.0)]; b = Value(0.5)
    >>> tape = compile(lambda x, y: (dot(w, [x, y]) + b).relu(), [0.0, 0.0], w + [b])
    >>> [(layer.k, layer.n, layer.act.name) for layer in tape.layers]
    [(1, 2, 'relu')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.ops import OPS, Op
from .program import Group, build_groups

__all__ = ["Layer", "Plan", "Rows", "lower"]


@dataclass
class Rows:
    """Rows of the uniform buffer holding a k x n (or k) block of leaves; ``strides`` (start, s0, s1) when
    they are evenly spaced, so the block is a VIEW of the buffer (no gather, gradients added in place)."""

    rows: np.ndarray
    strides: tuple[int, ...] | None

    @staticmethod
    def of(rows: np.ndarray) -> Rows:
        start = int(rows.flat[0])
        first = rows.reshape(rows.shape[0], -1)
        steps = [int(first[1, 0] - start) if rows.shape[0] > 1 else 1]
        if rows.ndim == 2:
            steps.append(int(first[0, 1] - start) if rows.shape[1] > 1 else 1)
        grid = start + sum(np.arange(size).reshape([-1 if i == d else 1 for i in range(rows.ndim)]) * s
                           for d, (size, s) in enumerate(zip(rows.shape, steps)))
        even = bool(np.all(grid == rows)) and min(steps) > 0
        return Rows(rows, (start, *steps) if even else None)

    def view(self, flat: np.ndarray) -> np.ndarray:
        """The block of ``flat`` (a 1-D float buffer): a strided view when possible, else a gathered copy."""
        if self.strides is None:
            return flat[self.rows]
        start, *steps = self.strides
        return np.lib.stride_tricks.as_strided(flat[start:], self.rows.shape, [s * flat.itemsize for s in steps])


@dataclass
class Layer:
    """k neurons reading the same n batch rows: ``V[out] = g(W @ V[a] + b)``."""

    k: int
    n: int
    out: slice  # rows of the batch buffer V that the neurons' outputs occupy (in order)
    a: slice | np.ndarray  # rows of V read as A: a slice when contiguous
    a_needs_grad: bool  # some row of A leads to a parameter (the function's inputs, say, do not)
    W: Rows
    b: Rows | None
    act: Op | None
    act_param: Any
    depth: int
    index: int  # position among the plan's layers (for the workspace's per-layer buffers)
    neurons: list[Any]  # the (fused) tail nodes, for repr and tests
    inputs: tuple = ()  # the nodes read as A, until their rows are known
    ones: int | None = None  # a row of V right after the outputs, all 1.0 (a layer with a bias): [A; 1] for the next


@dataclass
class Plan:
    """The lowered program: groups and layers in order of depth, and its own row layout."""

    steps: list[Group | Layer]
    layers: list[Layer]
    n_rows: dict[bool, int]
    row: dict[Any, int]


def _users(order: list[Any]) -> dict[Any, list[Any]]:
    users: dict[Any, list[Any]] = {}
    for v in order:
        for x in v.inputs:
            users.setdefault(x, []).append(v)
    return users


def find_neurons(order: list[Any], batch: dict[Any, bool], keep: set) -> dict[tuple, list[tuple]]:
    """The neurons of the graph, keyed by what makes them one layer: (inputs, has bias, activation, its param).

    Each neuron is (dot node, bias leaf or None, activation node or None, tail = the last of them).
    A dot qualifies when its weights are distinct uniform leaves and its inputs distinct batch nodes;
    the bias and activation are fused only when the node before them has no other user and is no output.
    """
    users = _users(order)

    def weight(x: Any) -> bool:
        return not x.inputs and not batch[x]

    def only_user(x: Any) -> Any:
        found = users.get(x, [])
        return found[0] if len(found) == 1 and x not in keep else None

    found: dict[tuple, list[tuple]] = {}
    for v in order:
        if v.op != "dot" or not v.inputs or len(v.inputs) % 2:
            continue
        n = len(v.inputs) // 2
        ws, xs = v.inputs[:n], v.inputs[n:]
        if (not all(map(weight, ws)) or not all(batch[x] for x in xs) or len(set(map(id, xs))) != n
                or len(set(map(id, ws))) != n):
            continue
        tail, bias, act = v, None, None
        user = only_user(tail)
        if user is not None and user.op == "add" and len(user.inputs) == 2:
            other = user.inputs[1] if user.inputs[0] is tail else user.inputs[0]
            if other is not tail and weight(other):
                bias, tail = other, user
                user = only_user(tail)
        op = OPS.get(user.op) if user is not None else None
        if op is not None and op.arity == 1:
            act, tail = user, user
        key = (tuple(map(id, xs)), bias is not None, act.op if act else None, act.param if act else None)
        found.setdefault(key, []).append((v, bias, act, tail))
    return found


def lower(order: list[Any], batch: dict[Any, bool], row: dict[Any, int], next_row: dict[bool, int],
          n_params: int, keep: set) -> Plan | None:
    """Lay out ``order`` (``fuse_sums``'s nodes) with its layers lowered, or None when it has no layer.

    ``row`` holds the leaves' rows (inputs in V, uniform leaves in U) and is not changed; ``next_row``
    the first free row of each buffer; ``keep`` the outputs (never fused away inside a layer); the
    parameters are the first ``n_params`` rows of U (only what leads to them gets a gradient).
    """
    row = dict(row)
    next_row = dict(next_row)
    neurons = find_neurons(order, batch, keep)
    layers_found = []
    for members in neurons.values():
        w_rows = np.array([[row[w] for w in dot.inputs[:len(dot.inputs) // 2]] for dot, _, _, _ in members])
        bias_rows = [row[b] for _, b, _, _ in members if b is not None]
        if len(np.unique(np.concatenate([w_rows.ravel(), bias_rows]))) != w_rows.size + len(bias_rows):
            continue  # a leaf used twice in the layer: its gradients would need a scatter that adds up
        layers_found.append((members, w_rows, np.array(bias_rows, dtype=int) if bias_rows else None))
    if not layers_found:
        return None
    removed = {id(x) for members, _, _ in layers_found for dot, _, act, tail in members
               for x in (dot, dot_user(dot, act, tail)) if x is not None and x is not tail}
    reduced = [v for v in order if id(v) not in removed]
    tails = {id(tail): members for members, _, _ in layers_found for *_, tail in members}
    needs_grad: dict[Any, bool] = {}
    for v in order:  # leads to a parameter
        needs_grad[v] = any(needs_grad[x] for x in v.inputs) if v.inputs else (not batch[v] and row[v] < n_params)
    depth: dict[Any, int] = {}
    for v in reduced:  # the same rule as build_groups, with a layer's outputs one deeper than its inputs
        if id(v) in tails:
            dot = next(d for d, _, _, t in tails[id(v)] if t is v)
            depth[v] = 1 + max(depth[x] for x in dot.inputs[len(dot.inputs) // 2:])
        else:
            depth[v] = 1 + max(depth[x] for x in v.inputs) if v.inputs else 0
    layers: list[Layer] = []
    for members, w_rows, b_rows in layers_found:
        dot0, _, act0, tail0 = members[0]
        start = next_row[True]
        for i, (*_, tail) in enumerate(members):
            row[tail] = start + i
        k, n = w_rows.shape
        ones = start + k if b_rows is not None else None  # the layer reading these rows multiplies [W b] [A; 1]
        next_row[True] = start + k + (ones is not None)
        layers.append(Layer(k, n, slice(start, start + k), np.empty(0), False, Rows.of(w_rows),
                            Rows.of(b_rows) if b_rows is not None else None, OPS[act0.op] if act0 else None,
                            act0.param if act0 else None, depth[tail0], len(layers), [m[3] for m in members],
                            dot0.inputs[n:], ones))
    preset = {tail: depth[tail] for members, _, _ in layers_found for *_, tail in members}
    groups = build_groups(reduced, batch, row, next_row, preset, needs_grad)
    for layer in layers:
        a_rows = np.array([row[x] for x in layer.inputs])
        contiguous = bool((np.diff(a_rows) == 1).all())
        layer.a = slice(int(a_rows[0]), int(a_rows[-1]) + 1) if contiguous else a_rows
        layer.a_needs_grad = any(needs_grad[x] for x in layer.inputs)
        layer.inputs = ()
    steps: list[Group | Layer] = sorted([*groups, *layers], key=lambda s: s.depth)  # stable: groups first
    return Plan(steps, layers, next_row, row)


def dot_user(dot: Any, act: Any, tail: Any) -> Any:
    """The ``add`` between a neuron's dot and its activation (or tail), if the bias was fused."""
    if act is not None:
        return act.inputs[0] if act.inputs[0] is not dot else None
    return tail if tail is not dot else None


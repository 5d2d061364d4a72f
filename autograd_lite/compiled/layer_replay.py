"""Running a lowered plan (``lowering``): layers as matrix products, the rest with ``replay``, in
buffers the tape keeps between calls (one set per batch size, a few sizes at most).

Each batch size's buffers come with the plan prepared over them: per step one argument-free function
forward and one backward, with every buffer view, field and formula looked up once, so a call is a loop
of calls (the fixed cost per call is what dominates a small batch).

    >>> import numpy as np; from autograd_lite import Value, compile, dot
    >>> w = [Value(1.0), Value(-1.0)]; tape = compile(lambda x, y: dot(w, [x, y]).relu(), [0.0, 0.0], w)
    >>> tape.value_and_grad(np.array([3.0, 1.0]), np.array([1.0, 2.0]))   # mean of relu(x - y): (2 + 0) / 2
    (1.0, array([1.5, 0.5]))
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import scalar_math
from . import array_math
from .lowering import Layer, Plan
from .program import Group
from .replay import Run, long_sum, run_backward, run_forward

__all__ = ["Workspace", "backward", "forward"]

BATCH_SIZES_KEPT = 4  # buffers of this many batch sizes are kept (the most recently used)


class Batch:
    """The buffers of one batch size (V, its gradients GV, each activated layer's Z: k x B) and the plan
    prepared over them: ``forward_ops`` in order, ``backward_ops`` last step first."""

    def __init__(self, ws: Workspace, B: int) -> None:
        plan = ws.plan
        self.V = np.empty((plan.n_rows[True], B))
        self.GV = np.empty_like(self.V)
        self.Z = [np.empty((layer.k, B)) if layer.act is not None else None for layer in plan.layers]
        self.ones = {layer.ones for layer in plan.layers if layer.ones is not None}
        for row in self.ones:
            self.V[row] = 1.0
        self.run = Run(ws.U, self.V, B, [])
        self.inputs = self.V[:ws.n_inputs]  # the function's inputs' rows (the first ones)
        in_batch, row = ws.seed if ws.seed is not None else (True, 0)
        self.out_row = (self.V if in_batch else ws.U)[row]  # the seeded output, and its gradient row
        self.seed_row = (self.GV if in_batch else ws.GU)[row]
        forward_ops, backward_ops = [], []
        fresh, fresh_targets = _fresh_rows(plan.steps, ws.seed)
        self.written: list[slice] = []  # rows of GV a layer's backward writes (not adds) before anything reads them
        for step in plan.steps:
            if isinstance(step, Layer):
                fwd, bwd = _layer_ops(step, ws, self, fresh.get(step.index, (False, False)))
            elif _elementwise(step):
                fwd, bwd = _elementwise_ops(step, ws, self, fresh_targets.get(id(step), ()))
            elif step.scalar is not None and (step.span is not None or not long_sum(step)):
                fwd, bwd = _scalar_ops(step, ws)
            else:
                fwd, bwd = _group_ops(step, ws, self)
            forward_ops.append(fwd)
            if bwd is not None:
                backward_ops.append(bwd)
        self.forward_ops = tuple(forward_ops)
        self.backward_ops = tuple(reversed(backward_ops))
        # the rows of GV a call must zero before the backward: all but the written ones, as few slices as can be
        keep = np.ones(len(self.V), dtype=bool)
        for rows in self.written:
            keep[rows] = False
        edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.view(np.int8), [0]])))
        self.zeroed = tuple(self.GV[start:stop] for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist()))


class Workspace:
    """A tape's buffers: U and its gradients GU (with each layer's W and b as views where the rows allow),
    and a ``Batch`` per recent batch size. One call uses it at a time (the tape holds a lock)."""

    def __init__(self, plan: Plan, constants: slice, constant_values: np.ndarray, n_inputs: int = 0,
                 seed: tuple[bool, int] | None = None, n_params: int = 0) -> None:
        self.plan, self.n_inputs, self.seed = plan, n_inputs, seed  # seed: (in V, row) of the seeded output
        self.U = np.empty((plan.n_rows[False], 1))
        self.U[constants, 0] = constant_values
        self.GU = np.empty_like(self.U)
        U, GU = self.U.reshape(-1), self.GU.reshape(-1)
        self.U_flat, self.GU_flat = U, GU
        self.grads = GU[:n_params]  # the parameters' gradient rows (the first ones), flat
        self.W = [layer.W.view(U) if layer.W.strides else None for layer in plan.layers]
        self.GW = [layer.W.view(GU) if layer.W.strides else None for layer in plan.layers]
        self.b = [layer.b.view(U) if layer.b is not None and layer.b.strides else None for layer in plan.layers]
        self.Gb = [layer.b.view(GU) if layer.b is not None and layer.b.strides else None for layer in plan.layers]
        self.batches: OrderedDict[int, Batch] = OrderedDict()
        self._last: Batch | None = None

    def batch(self, B: int) -> Batch:
        last = self._last
        if last is not None and last.run.B == B:  # the same size as the last call: nothing to reorder
            return last
        found = self.batches.pop(B, None) or Batch(self, B)
        self.batches[B] = found  # most recent last
        while len(self.batches) > BATCH_SIZES_KEPT:
            self.batches.popitem(last=False)
        self._last = found
        return found


def forward(ws: Workspace, bufs: Batch, B: int) -> Run:
    """Every step of the plan, forward; U and the inputs' rows of V are already filled in."""
    for fwd in bufs.forward_ops:
        fwd()
    return bufs.run


def backward(ws: Workspace, bufs: Batch, run: Run) -> None:
    """The chain rule, step by step from the last; GU and GV hold the seeded output gradient."""
    for bwd in bufs.backward_ops:
        bwd()


def _augmented(layer: Layer, ws: Workspace) -> tuple[np.ndarray, np.ndarray] | None:
    """[W b] and its gradient as contiguous k x (n + 1) views of U and GU, when the parameters lie neuron by
    neuron (w_1..w_n, b), as ``nn``'s layers and ``model.parameters()`` have them; else None."""
    if layer.b is None:
        return None
    rows = np.concatenate([layer.W.rows, layer.b.rows[:, None]], axis=1)
    start = int(rows[0, 0])
    if not (rows.ravel() == np.arange(start, start + rows.size)).all():
        return None
    span = slice(start, start + rows.size)
    return ws.U_flat[span].reshape(rows.shape), ws.GU_flat[span].reshape(rows.shape)


def _augmented_layer_ops(layer: Layer, ws: Workspace, bufs: Batch, Wb: np.ndarray, GWb: np.ndarray,
                         fresh: tuple[bool, bool] = (False, False)) -> tuple[Callable, Callable | None]:
    """A layer with its bias as one more column of W: z = [W b] [a; 1] (notes 004's z = W a + b in one product);
    [a; 1] is a view of V when a ones row follows A there (a lowered layer's outputs), else copied per call.
    ``fresh``: [dW db] / dA are still zero when this backward runs (``_fresh_rows``): written, not added."""
    V, GV, n, act, act_param = bufs.V, bufs.GV, layer.n, layer.act, layer.act_param
    a_slice = layer.a if isinstance(layer.a, slice) and layer.a.stop in bufs.ones else None
    in_place = a_slice is not None
    if a_slice is not None:  # a ones row follows A in V
        A1 = V[a_slice.start:a_slice.stop + 1]
    else:
        A1 = np.empty((n + 1, bufs.run.B))
        A1[n] = 1.0
    out = V[layer.out]
    Z = bufs.Z[layer.index] if act is not None else out
    assert Z is not None, "Batch keeps a z buffer for every layer with an activation"
    A_rows = layer.a
    W = Wb[:, :n]
    product = _product(Z)

    def fwd() -> None:
        if not in_place:
            A1[:n] = V[A_rows]
        product(Wb, A1, out=Z)  # z = W a + b, one column per sample
        if act is not None:
            out[...] = act.forward(array_math, (Z,), act_param)  # a = g(z), the op table's formula

    G = GV[layer.out]
    GA = GV[layer.a] if type(layer.a) is slice else None
    needs_a = layer.a_needs_grad
    fresh_w, fresh_a = fresh[0], fresh[1] and GA is not None
    if fresh_a and needs_a and isinstance(layer.a, slice):  # a slice: GA is not None
        bufs.written.append(layer.a)  # the call need not zero these rows of GV
    product_w = _product(GWb)
    # W^T dZ: an outer product when k = 1 (np.dot's is 3x faster than matmul's); else matmul reads the strided
    # W^T as it is (np.dot would copy it)
    product_a = _product(GA) if GA is not None and layer.k == 1 else np.matmul

    def bwd() -> None:
        # delta = dC/da * g'(z), g' from the op table; written over z (not needed any more): one k x B array less
        dZ = np.multiply(G, act.local(array_math, (Z,), out, act_param)[0], out=Z) if act is not None else G
        # [dC/dW dC/db] = delta [a; 1]^T, summed over the batch by the product
        if fresh_w:
            product_w(dZ, A1.T, out=GWb)
        else:
            np.add(GWb, dZ @ A1.T, out=GWb)
        if needs_a:  # dC/da^{l-1} = W^T delta (rows of A are distinct)
            if fresh_a:
                product_a(W.T, dZ, out=GA)
            elif GA is not None:
                np.add(GA, W.T @ dZ, out=GA)
            else:
                GV[A_rows] += W.T @ dZ

    return fwd, bwd


def _product(out: np.ndarray) -> Callable[..., Any]:
    """The matrix product to write into ``out``: ``np.dot`` (BLAS with less wrapping than ``np.matmul``: 0.5 us
    less per call at B = 100) when ``out`` is what it accepts (C-contiguous float64), else ``np.matmul``."""
    return np.dot if out.flags.c_contiguous and out.dtype == np.float64 else np.matmul


def _layer_ops(layer: Layer, ws: Workspace, bufs: Batch,
               fresh: tuple[bool, bool] = (False, False)) -> tuple[Callable, Callable | None]:
    """A layer's forward z = W a + b, a = g(z) (notes 004) and its backward, over this batch's buffers."""
    augmented = _augmented(layer, ws)
    if augmented is not None:
        return _augmented_layer_ops(layer, ws, bufs, *augmented, fresh)
    i, V, GV, U_flat, GU_flat = layer.index, bufs.V, bufs.GV, ws.U_flat, ws.GU_flat
    # W and b: views of U when their rows are evenly spaced (BLAS multiplies the strided view), else gathered
    b_held = ws.b[i]
    W_view, b_view = ws.W[i], (b_held[:, None] if b_held is not None else None)
    bias, act, act_param = layer.b, layer.act, layer.act_param
    A_view = V[layer.a] if type(layer.a) is slice else None
    out = V[layer.out]
    Z_buffer = bufs.Z[i]  # there exactly for a layer with an activation
    Z = Z_buffer if act is not None and Z_buffer is not None else out
    saved: list[Any] = [W_view, A_view]  # the W and A this call multiplied, for the backward

    def fwd() -> None:
        W = W_view if W_view is not None else layer.W.view(U_flat)
        A = A_view if A_view is not None else V[layer.a]
        saved[0], saved[1] = W, A
        np.matmul(W, A, out=Z)  # z = W a, one column per sample
        if bias is not None:
            np.add(Z, b_view if b_view is not None else bias.view(U_flat)[:, None], out=Z)  # + b
        if act is not None:
            out[...] = act.forward(array_math, (Z,), act_param)  # a = g(z), the op table's formula

    G = GV[layer.out]
    GW, Gb = ws.GW[i], ws.Gb[i]
    GA = GV[layer.a] if type(layer.a) is slice else None
    needs_a = layer.a_needs_grad

    def bwd() -> None:
        W, A = saved
        # delta = dC/da * g'(z), g' from the op table; written over z (not needed any more): one k x B array less
        dZ = np.multiply(G, act.local(array_math, (Z,), out, act_param)[0], out=Z) if act is not None else G
        dW = dZ @ A.T  # dC/dW = delta a^T (summed over the batch by the product)
        if GW is not None:
            np.add(GW, dW, out=GW)
        else:
            GU_flat[layer.W.rows] += dW  # rows are distinct (lowering checked)
        if bias is not None:
            db = dZ.sum(axis=1)  # dC/db = delta, summed over the batch
            if Gb is not None:
                np.add(Gb, db, out=Gb)
            else:
                GU_flat[bias.rows] += db
        if needs_a:  # dC/da^{l-1} = W^T delta (rows of A are distinct)
            if GA is not None:
                np.add(GA, W.T @ dZ, out=GA)
            else:
                GV[layer.a] += W.T @ dZ

    return fwd, bwd


def _fresh_rows(steps: list[Group | Layer], seed: tuple[bool, int] | None
                ) -> tuple[dict[int, tuple[bool, bool]], dict[int, tuple[bool, ...]]]:
    """Which gradient rows are still zero (as the call fills them) when each backward runs: written by no step
    whose backward runs before it, nor by the seed. There a backward writes instead of adding (one numpy call less).
    Returns ``(layers, targets)``: per layer index, are its [W b] rows of GU and its A rows of GV fresh; per
    elementwise group (by ``id``), is each gradient target (its operands with ``grad``, in order) fresh."""
    if seed is None:
        return {}, {}
    written: dict[bool, set[int]] = {True: set(), False: set()}  # rows of GV (True) / GU (False) written so far
    written[seed[0]].add(seed[1])
    fresh: dict[int, tuple[bool, bool]] = {}
    targets: dict[int, tuple[bool, ...]] = {}
    for step in reversed(steps):  # the backward order
        if isinstance(step, Layer):
            wb = [int(r) for r in step.W.rows.ravel()] + ([int(r) for r in step.b.rows] if step.b is not None else [])
            a = list(range(step.a.start, step.a.stop)) if type(step.a) is slice else [int(r) for r in step.a]
            fresh[step.index] = (written[False].isdisjoint(wb), written[True].isdisjoint(a))
            written[False].update(wb)
            if step.a_needs_grad:
                written[True].update(a)
        elif _elementwise(step) or (step.scalar is not None and (step.span is not None or not long_sum(step))):
            if _elementwise(step):  # a target is fresh when no earlier backward (nor an earlier target here) wrote it
                found = []
                for o in step.operands:
                    if o.grad:
                        rows = [int(r) for r in o.rows.ravel()]
                        found.append(written[o.batch].isdisjoint(rows))
                        written[o.batch].update(rows)
                targets[id(step)] = tuple(found)
            for o in step.operands:  # an over-approximation of the rows the step's backward adds to
                written[o.batch].update(int(r) for r in o.rows.ravel())
            if step.scalar is not None:
                written[False].update(int(r) for r in step.scalar.rows.ravel())
                if step.span is not None:
                    written[False].update(range(step.span.start, step.span.stop))
        else:  # replay's general backward: any row
            return fresh, targets
    return fresh, targets


def _elementwise(group: Group) -> bool:
    """A group whose every operand is one contiguous block (the common case: unary and binary ops)."""
    return group.scalar is None and all(o.block is not None and not o.shared for o in group.operands)


def _elementwise_ops(group: Group, ws: Workspace, bufs: Batch,
                     fresh: tuple[bool, ...] = ()) -> tuple[Callable, Callable | None]:
    """``run_forward`` / ``run_backward`` specialised to an elementwise group, over this batch's buffers.
    ``fresh``: per gradient target, still zero when this backward runs (``_fresh_rows``): written, not added."""
    U, V, GV = ws.U, bufs.V, bufs.GV
    parts = [(V if o.batch else U)[o.block] for o in group.operands]
    xs = tuple(parts) if group.order is None else tuple(parts[i] for i in group.order)
    out = (V if group.batch else U)[group.out]
    g = (GV if group.batch else ws.GU)[group.out]
    op_forward, local, param = group.op.forward, group.op.local, group.param
    # (position, summed over the batch, where its gradient goes, written); a uniform input of a uniform output
    # needs no sum
    grads = [o for o in group.operands if o.grad]
    written = fresh if len(fresh) == len(grads) else (False,) * len(grads)
    targets = [(o.positions[0], not o.batch and group.batch, (GV if o.batch else ws.GU)[o.block], w)
               for o, w in zip(grads, written)]

    def fwd() -> None:
        out[...] = op_forward(array_math, xs, param)

    def bwd() -> None:
        partials = local(array_math, xs, out, param)
        for j, summed, target, write in targets:  # as run_backward's elementwise case
            d = partials[j]
            one = type(d) is float and d == 1.0  # add's 1.0: g itself, exactly
            if write:  # nothing was added here yet (the rows are zero): the contribution written in one call
                if summed:
                    np.add.reduce(g if one else d * g, 1, out=target[:, 0])
                elif one:
                    target[...] = g
                else:
                    np.multiply(d, g, out=target)
                continue
            contribution = g if one else d * g
            if summed:  # a uniform input of batch nodes: summed over the batch
                target[:, 0] += np.add.reduce(contribution, 1)  # = .sum(axis=1)
            else:
                target += contribution

    return fwd, (bwd if targets and group.grad else None)


def _group_ops(group: Group, ws: Workspace, bufs: Batch) -> tuple[Callable, Callable | None]:
    """Any other group: ``replay``'s general forward and backward, bound to this batch's buffers."""
    U, V, GU, GU_flat, GV, run = ws.U, bufs.V, ws.GU, ws.GU_flat, bufs.GV, bufs.run
    saved: list[Any] = [None]

    def fwd() -> None:
        saved[0] = run_forward(group, U, V)

    def bwd() -> None:
        run_backward(group, saved[0], run, GU, GU_flat, GV)

    return fwd, (bwd if group.grad else None)


def _scalar_ops(group: Group, ws: Workspace) -> tuple[Callable, Callable | None]:
    """A single uniform node (``run_forward``'s scalar case): floats, or one numpy sum for a long sum."""
    U_flat, GU_flat, out = ws.U_flat, ws.GU_flat, group.out.start
    span = group.span
    if long_sum(group) and span is not None:  # an L2 penalty over every weight; d sum / d x_i = 1 (the table's)
        terms, grad_terms = U_flat[span], GU_flat[span]

        def sum_fwd() -> None:
            U_flat[out] = np.add.reduce(terms)  # = .sum()

        def sum_bwd() -> None:
            g = GU_flat.item(out)
            if g != 0.0:
                np.add(grad_terms, g, out=grad_terms)

        return sum_fwd, (sum_bwd if group.grad else None)
    rows = group.scalar.rows[:, 0].tolist()  # type: ignore[union-attr]
    op_forward, local, param = group.op.forward, group.op.local, group.param
    saved: list[Any] = [None]

    def fwd() -> None:
        xs = saved[0] = tuple([U_flat.item(r) for r in rows])
        U_flat[out] = op_forward(scalar_math, xs, param)

    def bwd() -> None:
        g = GU_flat.item(out)  # Python floats, as the eager engine's (and cheaper than numpy scalars)
        if g != 0.0:
            partials = local(scalar_math, saved[0], U_flat.item(out), param)
            for r, d in zip(rows, partials):  # one by one: a row read twice (x * x) gets both
                GU_flat[r] = GU_flat.item(r) + d * g

    return fwd, (bwd if group.grad else None)

"""Running a lowered plan (``lowering``): layers as matrix products, the rest with ``replay``, in
buffers the tape keeps between calls (one set per batch size, a few sizes at most).

    >>> import numpy as np; from autograd_lite import Value, compile, dot
    >>> w = [Value(1.0), Value(-1.0)]; tape = compile(lambda x, y: dot(w, [x, y]).relu(), [0.0, 0.0], w)
    >>> tape.value_and_grad(np.array([3.0, 1.0]), np.array([1.0, 2.0]))   # mean of relu(x - y): (2 + 0) / 2
    (1.0, array([1.5, 0.5]))
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import array_math
from .lowering import Layer, Plan
from .replay import Run, elementwise_runners, run_backward, run_forward

__all__ = ["Workspace", "backward", "forward"]

BATCH_SIZES_KEPT = 4  # buffers of this many batch sizes are kept (the most recently used)


class Batch:
    """The buffers of one batch size: V, its gradients GV, and each activated layer's Z (k x B)."""

    def __init__(self, plan: Plan, B: int) -> None:
        self.V = np.empty((plan.n_rows[True], B))
        self.GV = np.empty_like(self.V)
        self.Z = [np.empty((layer.k, B)) if layer.act is not None else None for layer in plan.layers]


class Workspace:
    """A tape's buffers: U and its gradients GU (with each layer's W and b as views where the rows allow),
    and a ``Batch`` per recent batch size. One call uses it at a time (the tape holds a lock)."""

    def __init__(self, plan: Plan, constants: slice, constant_values: np.ndarray) -> None:
        self.plan = plan
        self.U = np.empty((plan.n_rows[False], 1))
        self.U[constants, 0] = constant_values
        self.GU = np.empty_like(self.U)
        U, GU = self.U.reshape(-1), self.GU.reshape(-1)
        self.U_flat, self.GU_flat = U, GU
        self.W = [layer.W.view(U) if layer.W.strides else None for layer in plan.layers]
        self.GW = [layer.W.view(GU) if layer.W.strides else None for layer in plan.layers]
        self.b = [layer.b.view(U) if layer.b is not None and layer.b.strides else None for layer in plan.layers]
        self.Gb = [layer.b.view(GU) if layer.b is not None and layer.b.strides else None for layer in plan.layers]
        self.batches: OrderedDict[int, Batch] = OrderedDict()
        self.runners = [None if type(step) is Layer else elementwise_runners(step) for step in plan.steps]

    def batch(self, B: int) -> Batch:
        found = self.batches.pop(B, None) or Batch(self.plan, B)
        self.batches[B] = found  # most recent last
        while len(self.batches) > BATCH_SIZES_KEPT:
            self.batches.popitem(last=False)
        return found


def forward(ws: Workspace, bufs: Batch, B: int) -> Run:
    """Every step of the plan, forward; U and the inputs' rows of V are already filled in."""
    U, V = ws.U, bufs.V
    saved: list[Any] = []
    for step, runners in zip(ws.plan.steps, ws.runners):
        if runners is not None:
            saved.append(runners[0](U, V))
        elif type(step) is Layer:
            saved.append(_layer_forward(step, ws, bufs))
        else:
            saved.append(run_forward(step, U, V))
    return Run(U, V, B, saved)


def backward(ws: Workspace, bufs: Batch, run: Run) -> None:
    """The chain rule, step by step from the last; GU and GV hold the seeded output gradient."""
    GU, GV = ws.GU, bufs.GV
    for step, runners, saved in zip(reversed(ws.plan.steps), reversed(ws.runners), reversed(run.saved)):
        if runners is not None:
            runners[1](saved, run, GU, ws.GU_flat, GV)
        elif type(step) is Layer:
            _layer_backward(step, saved, ws, bufs)
        else:
            run_backward(step, saved, run, GU, ws.GU_flat, GV)


def _layer_forward(layer: Layer, ws: Workspace, bufs: Batch) -> tuple:
    i = layer.index
    # a contiguous copy: BLAS cannot multiply the strided view (w_1..w_n, b per neuron), numpy's own loop is 8x slower
    W = np.ascontiguousarray(ws.W[i]) if ws.W[i] is not None else layer.W.view(ws.U_flat)
    V = bufs.V
    A = V[layer.a]
    out = V[layer.out]
    Z = bufs.Z[i] if layer.act is not None else out
    np.matmul(W, A, out=Z)  # z = W a (notes 004), one column per sample
    if layer.b is not None:
        b = ws.b[i] if ws.b[i] is not None else layer.b.view(ws.U_flat)
        Z += b[:, None]  # + b
    if layer.act is not None:
        out[...] = layer.act.forward(array_math, (Z,), layer.act_param)  # a = g(z), the op table's formula
    return W, A


def _layer_backward(layer: Layer, saved: tuple, ws: Workspace, bufs: Batch) -> None:
    W, A = saved
    i = layer.index
    G = bufs.GV[layer.out]
    if layer.act is not None:  # delta = dC/da * g'(z), g' from the op table
        Z = bufs.Z[i]
        dZ = G * layer.act.local(array_math, (Z,), bufs.V[layer.out], layer.act_param)[0]
    else:
        dZ = G
    dW = dZ @ A.T  # dC/dW = delta a^T (summed over the batch by the product)
    if ws.GW[i] is not None:
        ws.GW[i] += dW
    else:
        ws.GU_flat[layer.W.rows] += dW  # rows are distinct (lowering checked)
    if layer.b is not None:
        db = dZ.sum(axis=1)  # dC/db = delta, summed over the batch
        if ws.Gb[i] is not None:
            ws.Gb[i] += db
        else:
            ws.GU_flat[layer.b.rows] += db
    if layer.a_needs_grad:
        bufs.GV[layer.a] += W.T @ dZ  # dC/da^{l-1} = W^T delta (rows of A are distinct)

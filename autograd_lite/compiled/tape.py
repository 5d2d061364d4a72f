"""The compiled tape: trace a function of Values once, then replay it over whole numpy batches.

``compile(fn, example_inputs)`` calls ``fn`` on Values and records its graph as a flat
program: op codes from the op table (``OPS``) and integer slots, no Value objects. Running the
tape evaluates the SAME table formulas (``forward`` / ``local``) with numpy (``array_math``),
for every sample of a batch at once, then the chain rule backwards, without building a graph.

    >>> import numpy as np; from autograd_lite import Value
    >>> w = Value(2.0); tape = compile(lambda x, y: (w * x - y) ** 2, (1.0, 0.0), parameters=[w])
    >>> tape.value_and_grad(np.array([1.0, 2.0]), np.array([0.0, 1.0]))   # mean of (wx - y)^2 and of 2(wx - y)x
    (6.5, array([8.]))

How it runs: ``tracing`` records the graph, ``program`` lays it out as groups of nodes (one numpy
call each), ``replay`` runs those groups over the batch. Nodes that do not depend on the batch (the
parameters, an L2 penalty) are computed once per call, not once per sample.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core import scalar_math
from ..core.engine import Value
from ..core.errors import MATH_ERRORS, describe_backward_failure, describe_failure, reworded
from ..core.ops import Op
from . import layer_replay
from .arguments import batch_arrays, example_values, parameter_list, plain_batch_size
from .held import HeldParameters
from .lowering import Layer, lower
from .program import build_groups, fuse_sums
from .replay import Run, run_backward, run_forward
from .tracing import TraceError, trace_twice

__all__ = ["Instruction", "Tape", "TraceError", "compile"]

REDUCTIONS = ("mean", "sum")


class Instruction(NamedTuple):
    """One line of the tape: ``output = op(inputs; param)``; slots number the nodes in trace order."""

    op: str  # a name in OPS; "" for a leaf (an input, a parameter or a constant)
    param: Any
    output: int
    inputs: tuple[int, ...]


class Tape:
    """A function of Values compiled into a flat program that runs on numpy batches.

    >>> import numpy as np; from autograd_lite import Value
    >>> a = Value(3.0, label="a"); tape = compile(lambda x: (a * x).relu(), [1.0], parameters=[a])
    >>> tape(np.array([-1.0, 2.0]))        # forward only: one output per sample
    array([0., 6.])

    Made by ``compile``. ``tape(*batch)`` runs forward only; ``tape.value_and_grad(*batch)``
    returns the loss reduced over the batch and the gradient of every parameter (functional:
    no ``.grad`` is touched); ``tape.backward(*batch)`` adds those gradients to each parameter's
    ``.grad``, as ``Value.backward`` does, and returns the loss. Each input of the batch is a 1-D
    array of shape (B,) (or a number, the same for every sample). ``tape.instructions`` lists
    the program; ``tape.parameters`` the Values the gradients belong to; ``tape.layers`` the layers run
    as matrix products (``lowering``); ``tape.hold_parameters()`` trains a vector in place (``held``).
    """

    def __init__(self, fn: Callable[..., Any], example_inputs: Sequence[Any],
                 parameters: Iterable[Value] | None = None, reduction: str = "mean", has_aux: bool = False) -> None:
        self.fn_name = getattr(fn, "__qualname__", None) or type(fn).__name__
        if not callable(fn):
            raise TypeError(f"compile: fn must be callable, got {type(fn).__name__}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"compile: reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction
        example = example_values(example_inputs)
        given = None if parameters is None else parameter_list(parameters)
        trace, captured = trace_twice(fn, len(example), self.fn_name, has_aux, given or ())
        self.parameters: tuple[Value, ...] = tuple(captured if given is None else given)
        position = {v: i for i, v in enumerate(trace.inputs)}
        leaves = [v for v in trace.order if not v.inputs]
        is_captured = set(captured)

        # Rows: the batch buffer V holds the inputs, then batch-dependent nodes; the uniform buffer U
        # holds the parameters, other captured Values (read at every call), constants, then uniform nodes.
        order, new = fuse_sums(trace.order, {trace.loss, *trace.aux})
        is_param = set(self.parameters)
        self._read = [*self.parameters, *(v for v in captured if v not in is_param)]
        constants = [v for v in leaves if v not in position and v not in is_captured]
        row: dict[Value, int] = {}
        for i, v in enumerate(trace.inputs):
            row[v] = i
        for i, v in enumerate([*self._read, *constants]):
            row[v] = i
        batch: dict[Any, bool] = {}
        for v in order:
            batch[v] = v in position if not v.inputs else any(batch[x] for x in v.inputs)
        next_row = {True: len(trace.inputs), False: len(self._read) + len(constants)}
        outputs = [new[trace.loss], *(new[v] for v in trace.aux)]
        # the lowered plan (layers as matrix products) runs; the interpreter's groups are the fallback
        # for graphs without layers, and find the failing node and sample when a lowered call fails
        self._plan = lower(order, batch, row, next_row, len(self.parameters), set(outputs))
        self.layers: tuple[Layer, ...] = tuple(self._plan.layers) if self._plan else ()
        if self._plan:
            self._lowered_out = [(batch[v], self._plan.row[v]) for v in outputs]
        self._constant_rows = slice(len(self._read), len(self._read) + len(constants))
        self._workspace: layer_replay.Workspace | None = None
        self._lock = threading.Lock()  # one call at a time uses the workspace; another runs the interpreter
        self._held: HeldParameters | None = None
        self._groups = build_groups(order, batch, row, next_row)
        self._n_rows = next_row
        self._constants = np.array([v.data for v in constants], dtype=float)
        self._n_inputs = len(trace.inputs)
        self._root = (batch[new[trace.loss]], row[new[trace.loss]])
        self.has_aux = has_aux
        self._aux = [(batch[new[v]], row[new[v]]) for v in trace.aux]
        self._aux_is_list = has_aux and trace.aux_is_list
        slot = {v: i for i, v in enumerate(order)}
        self.instructions: tuple[Instruction, ...] = tuple(
            Instruction(v.op, v.param, slot[v], tuple(slot[x] for x in v.inputs)) for v in order)
        self._labels = [v.label for v in order]  # for error messages only; no Value is kept
        self._slot_rows = [(batch[v], row[v]) for v in order]

    # --- public ----------------------------------------------------------------------------
    def __call__(self, *inputs: Any) -> Any:
        """The function's value for every sample, shape (B,); with ``has_aux``, the pair (values, aux)."""
        if self._plan is not None:
            found = self._lowered(inputs, grad=False)
            if found is not None:
                return found
        run = self._forward(inputs)
        values = self._rows(run, [self._root])[:, 0]
        return (values, self._aux_of(run)) if self.has_aux else values

    def value_and_grad(self, *inputs: Any) -> tuple[Any, np.ndarray]:
        """(loss, gradients): the outputs reduced over the batch (mean or sum), and d loss / d parameter.

        The gradients are an array with one entry per parameter, in ``tape.parameters`` order. With
        ``has_aux`` the first item is the pair (loss, aux), aux with one row per sample (as JAX's).
        """
        if self._plan is not None:
            found = self._lowered(inputs, grad=True)
            if found is not None:
                return found
        run = self._forward(inputs)
        in_batch, r = self._root
        if in_batch:  # d loss / d output_b = 1/B (mean) or 1 (sum)
            seed = 1.0 / run.B if self.reduction == "mean" else 1.0
            loss = float(run.V[r].sum() * seed)
        else:  # the same output for every sample: the mean is it, the sum B times it
            seed = 1.0 if self.reduction == "mean" else float(run.B)
            loss = float(run.U[r, 0] * seed)
        grads = self._backward(run, seed)[:len(self.parameters), 0].copy()
        return ((loss, self._aux_of(run)) if self.has_aux else loss), grads

    def backward(self, *inputs: Any) -> Any:
        """Add d loss / d p to ``p.grad`` for every parameter p (as ``Value.backward``); return the loss
        (with ``has_aux``, the pair (loss, aux))."""
        value, grads = self.value_and_grad(*inputs)
        for p, g in zip(self.parameters, grads.tolist()):
            p.grad += g
        return value

    def hold_parameters(self) -> HeldParameters:
        """Read the parameters into one vector the tape uses (and the caller updates in place) instead of
        ``p.data``, until ``release()`` / the end of the ``with`` block writes it back (see ``held``).

        >>> from autograd_lite import Value
        >>> w = Value(3.0); tape = compile(lambda x: w * x, [1.0], parameters=[w])
        >>> with tape.hold_parameters() as held:
        ...     held.vector[0] = 5.0; float(tape(np.array([2.0]))[0])
        10.0
        """
        if self._held is not None:
            raise RuntimeError(f"{self.fn_name} (compiled): the parameters are held already; release them first")
        self._held = HeldParameters(self, self.parameters)
        return self._held

    def _fill_read(self, U: np.ndarray) -> None:
        """The parameters' and captured Values' numbers into U: from ``p.data`` at every call (never stale),
        or from the held vector."""
        held, n = self._held, len(self.parameters)
        if held is None:
            U[:len(self._read), 0] = [v.data for v in self._read]
            return
        U[:n, 0] = held.vector
        if len(self._read) > n:
            U[n:len(self._read), 0] = [v.data for v in self._read[n:]]

    def _lowered(self, inputs: Sequence[Any], grad: bool) -> Any:
        """``__call__`` / ``value_and_grad`` by the lowered plan in the tape's buffers, or None when the
        interpreter must run instead: another call holds the buffers, or a number is bad (the interpreter
        then finds the failing node and sample; only the outputs, the loss and the summed gradient are checked)."""
        B = plain_batch_size(inputs, self._n_inputs)  # float64 arrays: checked after the copy, in one sum
        arrays, B = (inputs, B) if B is not None else self._batch(inputs)
        if not self._lock.acquire(False):
            return None
        try:
            ws = self._workspace
            if ws is None:
                assert self._plan is not None, "_lowered runs only for a lowered tape"
                ws = layer_replay.Workspace(self._plan, self._constant_rows, self._constants, self._n_inputs,
                                            seed=self._lowered_out[0], n_params=len(self.parameters))
                self._workspace = ws
            bufs = ws.batch(B)
            self._fill_read(ws.U)
            V = bufs.V
            for i, a in enumerate(arrays):
                V[i] = a
            with np.errstate(all="ignore"):
                if arrays is inputs and not math.isfinite(np.add.reduce(bufs.inputs, axis=None)):
                    self._batch(inputs)  # names the non-finite input (a sum that only overflowed passes)
                try:
                    run = layer_replay.forward(ws, bufs, B)
                    (in_batch, r), aux_rows = self._lowered_out[0], self._lowered_out[1:]
                    if not grad:
                        values = self._rows(run, [(in_batch, r)])[:, 0]
                        aux = self._rows(run, aux_rows) if aux_rows else np.empty((B, 0))
                        if not (np.isfinite(values).all() and np.isfinite(aux).all()):
                            return None
                        return (values, aux if self._aux_is_list else aux[:, 0]) if self.has_aux else values
                    if in_batch:  # d loss / d output_b = 1/B (mean) or 1 (sum)
                        seed = 1.0 / B if self.reduction == "mean" else 1.0
                        loss = float(np.add.reduce(bufs.out_row) * seed)  # = .sum(), without its Python wrapper
                    else:
                        seed = 1.0 if self.reduction == "mean" else float(B)
                        loss = float(run.U[r, 0] * seed)
                    if not math.isfinite(loss):
                        return None
                    ws.GU.fill(0.0)
                    for rows in bufs.zeroed:  # GV but the rows a layer's backward writes over (not adds to)
                        rows.fill(0.0)
                    bufs.seed_row.fill(seed)
                    layer_replay.backward(ws, bufs, run)
                    grads = ws.grads + 0.0  # a copy, with a written -0.0 made 0.0 as eager's 0.0 + ... gives
                    if not math.isfinite(np.add.reduce(grads)):
                        return None
                except MATH_ERRORS:
                    return None
            if self.has_aux:
                aux = self._rows(run, aux_rows) if aux_rows else np.empty((B, 0))
                return (loss, aux if self._aux_is_list else aux[:, 0]), grads
            return loss, grads
        finally:
            self._lock.release()

    def _rows(self, run: Run, where: list[tuple[bool, int]]) -> np.ndarray:
        """Nodes' values for every sample, shape (B, nodes)."""
        return np.stack([run.V[r] if in_batch else np.full(run.B, run.U[r, 0]) for in_batch, r in where], axis=1)

    def _aux_of(self, run: Run) -> np.ndarray:
        aux = self._rows(run, self._aux) if self._aux else np.empty((run.B, 0))
        return aux if self._aux_is_list else aux[:, 0]

    def __len__(self) -> int:
        """The number of op instructions (leaves not counted)."""
        return sum(1 for ins in self.instructions if ins.op)

    def __repr__(self) -> str:
        lowered = f", {len(self.layers)} layers lowered" if self.layers else ""
        return (f"Tape({self.fn_name}: {self._n_inputs} inputs, {len(self.parameters)} parameters, {len(self)} ops in "
                f"{len(self._groups)} groups{lowered}, reduction={self.reduction!r})")

    # --- running -------------------------------------------------------------------------
    def _batch(self, inputs: Sequence[Any]) -> tuple[list[np.ndarray], int]:
        return batch_arrays(inputs, self._n_inputs, self.fn_name)

    def _forward(self, inputs: Sequence[Any]) -> Run:
        arrays, B = self._batch(inputs)
        run = Run(np.empty((self._n_rows[False], 1)), np.empty((self._n_rows[True], B)), B, [])
        U, V = run.U, run.V
        n_read = len(self._read)
        self._fill_read(U)
        U[n_read:n_read + len(self._constants), 0] = self._constants
        for i, a in enumerate(arrays):
            V[i] = a
        with np.errstate(all="ignore"):
            try:
                for group in self._groups:
                    run.saved.append(run_forward(group, U, V))
            except MATH_ERRORS as error:
                self._diagnose(run, error)
            if not (np.isfinite(V).all() and np.isfinite(U).all()):
                self._diagnose(run, OverflowError("the result is not a finite float"))
        return run

    def _backward(self, run: Run, seed: float) -> np.ndarray:
        """The chain rule group by group, last to first; returns the uniform buffer's gradients."""
        GU, GV = np.zeros_like(run.U), np.zeros_like(run.V)
        in_batch, r = self._root
        (GV if in_batch else GU)[r] = seed
        GU_flat = GU.reshape(-1)
        with np.errstate(all="ignore"):
            try:
                for group, saved in zip(reversed(self._groups), reversed(run.saved)):
                    run_backward(group, saved, run, GU, GU_flat, GV)
            except MATH_ERRORS as error:
                self._diagnose(run, error, backward=True)
            if not (np.isfinite(GU).all() and np.isfinite(GV).all()):
                self._diagnose(run, OverflowError("the gradient is not a finite float"), backward=True)
        return GU

    # --- errors ----------------------------------------------------------------------------
    def _diagnose(self, run: Run, error: Exception, backward: bool = False) -> None:
        """Find the first node and sample that fail, one float at a time, and raise the engine's message for it."""
        U, V, B = run.U, run.V, run.B
        for group in self._groups:
            for slot in group.nodes:
                ins = self.instructions[slot]
                for b in range(B if group.batch else 1):
                    xs = tuple(self._value_at(U, V, s, b) for s in ins.inputs)
                    found = _first_failure(group.op, xs, group.param, backward)
                    if found is None:
                        continue
                    failure, reason = found
                    values = tuple(Value(x, label=self._labels[s]) for x, s in zip(xs, ins.inputs))
                    if backward:
                        node = Value(0.0, label=self._labels[slot])
                        node.op, node.inputs, node.param = group.op.name, values, group.param
                        message = describe_backward_failure(node, reason)
                    else:
                        message = describe_failure(group.op, values, group.param, reason)
                    sample = f"sample {b}: " if group.batch else ""
                    raise reworded(failure, f"{self.fn_name} (compiled), {sample}{message}") from None
        where = "backward" if backward else "forward"
        raise reworded(error, f"{self.fn_name} (compiled) {where}: {error}") from None

    def _value_at(self, U: np.ndarray, V: np.ndarray, slot: int, sample: int) -> float:
        in_batch, r = self._slot_rows[slot]
        return float(V[r, sample] if in_batch else U[r, 0])


def _first_failure(op: Op, xs: tuple[float, ...], param: Any, backward: bool) -> tuple[Exception, str] | None:
    """How ``op`` fails on these floats, forward (or its local derivatives too), as the engine would see it."""
    try:
        y = op.forward(scalar_math, xs, param)
        if isinstance(y, complex):  # a user op's (-1.0) ** 0.5; numpy made it nan
            return ValueError(), "the result is a complex number; use m.sqrt or m.pow, which refuse a negative base"
        if not np.isfinite(y):
            return OverflowError(), f"the result {y} is not a finite float"
        if backward:
            for d in op.local(scalar_math, xs, y, param):
                if not np.isfinite(d):
                    return OverflowError(), f"a local derivative is {d}, not a finite float"
    except MATH_ERRORS as error:
        return error, str(error)
    return None


def compile(  # noqa: A001 - as torch.compile
    fn: Callable[..., Any], example_inputs: Sequence[Any], parameters: Iterable[Value] | None = None,
    *, reduction: str = "mean", has_aux: bool = False,
) -> Tape:
    """Trace ``fn`` (a per-sample loss of Values) once and return a ``Tape`` that runs it on batches.

    >>> import numpy as np; from autograd_lite import Value
    >>> w = Value(0.5); tape = compile(lambda x: (w * x).tanh(), [0.0], parameters=[w])
    >>> loss, grads = tape.value_and_grad(np.array([1.0, -1.0, 2.0])); grads.shape
    (1,)

    ``example_inputs``: one number per argument of ``fn``; ``fn`` is traced on Values whose numbers
    are not known, so it cannot decide anything from them (see ``tracing``: Python code that reads a
    traced number, ``if x.data > 0`` or ``float(x)``, is refused with ``TraceError``).
    ``parameters``: the Values to differentiate with respect to (default: every Value ``fn`` uses
    that it did not create, in the order its ops use them). Other captured Values are read afresh
    at every call; numbers and Values created inside ``fn`` become constants. ``reduction``:
    ``"mean"`` or ``"sum"`` of the per-sample outputs. ``has_aux``: ``fn`` returns ``(loss, aux)``,
    aux a Value or a list of Values (a model's outputs, say) that the tape also returns, per sample.
    Raises ``TraceError`` when the graph or a constant would depend on the input or parameter values.
    """
    return Tape(fn, example_inputs, parameters, reduction=reduction, has_aux=has_aux)

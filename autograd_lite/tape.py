"""The compiled tape: trace a function of Values once, then replay it over whole numpy batches.

``compile(fn, example_inputs)`` calls ``fn`` once on Values and records its graph as a flat
program: op codes from the op table (``OPS``) and integer slots, no Value objects. Running the
tape evaluates the SAME table formulas (``forward`` / ``local``) with numpy (``array_math``),
for every sample of a batch at once, then the chain rule backwards, without building a graph.

    >>> import numpy as np; from autograd_lite import Value
    >>> w = Value(2.0); tape = compile(lambda x, y: (w * x - y) ** 2, (1.0, 0.0), parameters=[w])
    >>> tape.value_and_grad(np.array([1.0, 2.0]), np.array([0.0, 1.0]))   # mean of (wx - y)^2 and of 2(wx - y)x
    (6.5, array([8.]))

How it runs: nodes are grouped by depth and op, and each group is one numpy call over an
array of shape (nodes in the group, batch). Nodes that do not depend on the batch (the
parameters, an L2 penalty) are computed once per call, not once per sample.

The graph must not depend on the input values. While tracing, comparing or converting a Value
that depends on an input or a parameter (``if x > 0``, ``max(a, b)``, ``float(x)``) raises
``TraceError``, and the function is traced again at other input and parameter values: if its
graph or one of its constants changes (``.data`` used in Python control flow, ``detach()``),
that is a ``TraceError`` too. Branch-free ops such as ``relu`` and ``abs`` are fine.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import array_math, engine, scalar_math
from .engine import Value, describe_failure
from .graph import topological_order
from .ops import OPS, Op

REDUCTIONS = ("mean", "sum")
_BAD_MATH = (ValueError, ZeroDivisionError, OverflowError)


class TraceError(ValueError):
    """The function cannot be compiled: its graph depends on the values it was traced with."""


class Instruction(NamedTuple):
    """One line of the tape: ``output = op(inputs; param)``; slots number the nodes in trace order."""

    op: str  # a name in OPS; "" for a leaf (an input, a parameter or a constant)
    param: Any
    output: int
    inputs: tuple[int, ...]


# --- tracing ----------------------------------------------------------------------------------
@contextlib.contextmanager
def _refusing_control_flow(fn_name: str, watched: set[Value]) -> Iterator[None]:
    """While active, comparing or converting a Value that depends on a ``watched`` leaf raises TraceError.

    It installs the engine's ``read_hook`` (called by ``<``, ``<=``, ``>``, ``>=``, ``float()`` and
    ``item()``) for the duration of a trace and restores the previous one after.
    """
    memo: dict[Value, bool] = {}

    def depends(v: Value) -> bool:
        stack = [v]
        while stack:  # iterative post-order, as graph.topological_order
            node = stack[-1]
            if node in memo:
                stack.pop()
            elif not node.inputs:
                memo[node] = node in watched
                stack.pop()
            else:
                todo = [x for x in node.inputs if x not in memo]
                if todo:
                    stack.extend(todo)
                else:
                    memo[node] = any(memo[x] for x in node.inputs)
                    stack.pop()
        return memo[v]

    def refuse(name: str, values: tuple[Any, ...]) -> None:
        for v in values:
            if isinstance(v, Value) and depends(v):
                raise TraceError(
                    f"compile: {fn_name} uses {name} on {v!r}, which depends on the inputs or "
                    f"parameters, while being traced. Python control flow on values (if, while, max, min, "
                    f"float()) would be frozen into the tape and give wrong results for other inputs; use "
                    f"branch-free ops (relu, abs, leaky_relu ...) or run it eagerly.")

    previous = engine.read_hook
    engine.read_hook = refuse
    try:
        yield
    finally:
        engine.read_hook = previous


@dataclass
class _Trace:
    inputs: list[Value]
    order: list[Value]  # topological: every node after its inputs
    loss: Value
    aux: list[Value]  # other outputs (has_aux), e.g. the model's predictions
    aux_is_list: bool


def _trace(fn: Callable[..., Any], example: Sequence[float], fn_name: str, watched: set[Value],
           has_aux: bool = False) -> _Trace:
    """Call ``fn`` on fresh input Values holding ``example`` and record the graph of its result(s)."""
    if not engine.is_grad_enabled():
        raise RuntimeError("compile: cannot trace inside no_grad() (nothing would be recorded)")
    inputs = [Value(x, label=f"input {i}") for i, x in enumerate(example)]
    with _refusing_control_flow(fn_name, watched | set(inputs)):
        out = fn(*inputs)
    aux: list[Value] = []
    extra = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"compile: with has_aux=True, {fn_name} must return a pair (loss, aux), "
                            f"got {type(out).__name__}")
        out, extra = out
        aux = list(extra) if isinstance(extra, (list, tuple)) else [extra]
        for i, v in enumerate(aux):
            if not isinstance(v, Value):
                raise TypeError(f"compile: {fn_name}'s aux[{i}] must be a Value, got {type(v).__name__}")
    if not isinstance(out, Value):
        raise TypeError(f"compile: {fn_name} must return a Value (the per-sample loss), got {type(out).__name__}")
    order = dict.fromkeys(v for root in (*aux, out) for v in topological_order(root))  # each list is in order
    return _Trace(inputs, list(order), out, aux, isinstance(extra, (list, tuple)))


def _captured(first: _Trace, second: _Trace) -> list[Value]:
    """Leaves ``fn`` did not create: the same objects in two traces (constants it makes are new each time);
    in the order its ops use them."""
    again = {v for v in second.order if not v.inputs}
    inputs = set(first.inputs)
    used = dict.fromkeys(x for v in first.order for x in v.inputs if not x.inputs)
    used.update(dict.fromkeys(v for v in first.order if not v.inputs))  # then any leaf left (a leaf output)
    return [v for v in used if v in again and v not in inputs]


def _signature(trace: _Trace, captured: set[Value]) -> list[tuple]:
    """The graph as comparable data: ops and wiring, input positions, captured Values, constants."""
    where = {v: i for i, v in enumerate(trace.order)}
    position = {v: i for i, v in enumerate(trace.inputs)}
    out: list[tuple] = []
    for v in trace.order:
        if v.inputs:
            out.append((v.op, v.param, tuple(where[x] for x in v.inputs)))
        elif v in position:
            out.append(("input", position[v]))
        elif v in captured:
            out.append(("captured", id(v)))
        else:
            out.append(("constant", v.data))
    out.append(("outputs", where[trace.loss], tuple(where[v] for v in trace.aux)))
    return out


def _probe_points(values: Sequence[float]) -> list[list[float]]:
    """Other values to trace at: the signs flipped, and every value moved and rescaled."""
    return [[-x - 0.5 for x in values], [1.7 * x + 0.3 for x in values]]


def _check_graph_is_fixed(fn: Callable[..., Any], example: list[float], traces: tuple[_Trace, _Trace],
                          captured: list[Value], fn_name: str, has_aux: bool) -> None:
    """The graph and its constants must be the same when traced again, and at other input and captured values."""
    known = set(captured)
    expected = _signature(traces[0], known)
    _compare(expected, _signature(traces[1], known), "when traced again at the same values", fn_name)
    saved = [v.data for v in captured]
    for point in _probe_points(example + saved):
        try:
            for v, x in zip(captured, point[len(example):]):
                v.data = x
            probe = _signature(_trace(fn, point[:len(example)], fn_name, known, has_aux), known)
        except _BAD_MATH:
            continue  # outside fn's domain (log of a negative ...): this point tells nothing
        finally:
            for v, x in zip(captured, saved):
                v.data = x
        where = f"at the inputs {_short(point[:len(example)])}" + (" and other parameters" if captured else "")
        _compare(expected, probe, where, fn_name)


def _compare(expected: list[tuple], got: list[tuple], where: str, fn_name: str) -> None:
    if got == expected:
        return
    index = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(got), len(expected)))
    raise TraceError(
        f"compile: {fn_name} builds a different graph {where} (node {index}: {_show(expected, index)} at the "
        f"example, {_show(got, index)} there). Its Python code depends on the values (.data in an if, "
        f"detach(), a value turned into a constant, randomness), so a tape replayed on other inputs would "
        f"be wrong; use branch-free ops (relu, abs ...) or run it eagerly.")


def _short(values: Sequence[float], n: int = 4) -> str:
    shown = ", ".join(f"{x:.4g}" for x in values[:n])
    return f"[{shown}{', ...' if len(values) > n else ''}]"


def _show(signature: list[tuple], index: int) -> str:
    if index >= len(signature):
        return f"the graph ends after {len(signature)} nodes"
    entry = signature[index]
    if entry[0] == "constant":
        return f"the constant {entry[1]!r}"
    if entry[0] in ("input", "captured"):
        return f"a leaf ({entry[0]})"
    return f"op {entry[0]!r}"


# --- the program -------------------------------------------------------------------------
class _Node:
    """An op node of the program (the trace's Values are not kept): what a Value records, no data."""

    __slots__ = ("op", "param", "inputs", "label")

    def __init__(self, op: str, param: Any, inputs: tuple, label: str) -> None:
        self.op, self.param, self.inputs, self.label = op, param, inputs, label


def _fuse_sums(order: list[Value], keep: set[Value]) -> tuple[list[Any], dict[Value, Any]]:
    """The graph with every tree of ``add`` / ``sum`` nodes whose inner nodes have no other user as ONE
    ``sum`` node (Python's ``sum(values)`` makes a chain of n - 1 adds; here it is one op).

    The terms are added in the same order as before, left to right, so the values are unchanged.
    Nodes in ``keep`` (outputs) are never absorbed. Leaves stay the trace's Values; op nodes
    become ``_Node``s. Returns the new order and the map from the trace's nodes to it.
    """
    users: dict[Any, list[Value]] = {}
    for v in order:
        for x in v.inputs:
            users.setdefault(x, []).append(v)

    def inner(x: Value) -> bool:  # absorbed into its only user
        return (x.op in ("add", "sum") and len(users.get(x, ())) == 1 and users[x][0].op in ("add", "sum")
                and x not in keep)

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
class _Operand:
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


@dataclass
class _Group:
    """Nodes with the same op, parameter, depth and operand layout: one numpy call per pass."""

    op: Op
    param: Any
    batch: bool  # outputs in the batch buffer
    out: slice  # rows of the outputs (contiguous by construction)
    operands: list[_Operand]
    order: list[int] | None  # operand positions -> op input positions, when not already in order
    nodes: list[int]  # trace slots of the nodes, for error messages
    scalar: _Operand | None  # a single uniform node, computed with floats (scalar_math): its inputs' rows


def _operand(positions: list[int], batch: bool, rows: np.ndarray, shared: bool) -> _Operand:
    used = rows[:, :1] if shared else rows
    distinct = len(np.unique(used)) == used.size
    distinct_per_position = all(len(np.unique(r)) == len(r) for r in used)
    block = None
    if used.shape[0] == 1 and distinct and (np.diff(used[0]) == 1).all():
        block = slice(int(used[0, 0]), int(used[0, -1]) + 1)
    return _Operand(positions, batch, used, shared, distinct, distinct_per_position, block)


def _build_groups(order: list[Any], batch: dict[Any, bool], row: dict[Any, int],
                  next_row: dict[bool, int]) -> list[_Group]:
    """Group op nodes by (depth, op, param, arity, operand buffers); give each group's outputs contiguous rows."""
    depth: dict[Any, int] = {}
    keyed: dict[tuple, list[Any]] = {}
    for v in order:
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
        groups.append(_Group(OPS[key[1]], key[2], is_batch, slice(start, start + len(nodes)), operands,
                             order_back, [slot[v] for v in nodes], scalar))
    return groups


# --- the compiled function ----------------------------------------------------------------
@dataclass
class _Run:
    """One call's buffers: U (uniform rows, shape (n, 1)), V (batch rows, shape (n, B)), and per group
    the inputs the forward pass read, which the backward pass reuses."""

    U: np.ndarray
    V: np.ndarray
    B: int
    saved: list[tuple]


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
    the program; ``tape.parameters`` the Values the gradients belong to.
    """

    def __init__(self, fn: Callable[..., Any], example_inputs: Sequence[Any],
                 parameters: Iterable[Value] | None = None, reduction: str = "mean", has_aux: bool = False) -> None:
        self.fn_name = getattr(fn, "__qualname__", None) or type(fn).__name__
        if not callable(fn):
            raise TypeError(f"compile: fn must be callable, got {type(fn).__name__}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"compile: reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction
        example = _example_values(example_inputs)
        given = None if parameters is None else _parameter_list(parameters)
        traces = (_trace(fn, example, self.fn_name, set(given or ()), has_aux),
                  _trace(fn, example, self.fn_name, set(given or ()), has_aux))
        trace = traces[0]
        captured = _captured(*traces)
        self.parameters: tuple[Value, ...] = tuple(captured if given is None else given)
        _check_graph_is_fixed(fn, example, traces, list(dict.fromkeys([*self.parameters, *captured])), self.fn_name,
                              has_aux)
        del traces  # the second trace only served to tell captured Values from constants
        position = {v: i for i, v in enumerate(trace.inputs)}
        leaves = [v for v in trace.order if not v.inputs]
        is_captured = set(captured)

        # Rows: the batch buffer V holds the inputs, then batch-dependent nodes; the uniform buffer U
        # holds the parameters, other captured Values (read at every call), constants, then uniform nodes.
        order, new = _fuse_sums(trace.order, {trace.loss, *trace.aux})
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
        self._groups = _build_groups(order, batch, row, next_row)
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
        run = self._forward(inputs)
        values = self._rows(run, [self._root])[:, 0]
        return (values, self._aux_of(run)) if self.has_aux else values

    def value_and_grad(self, *inputs: Any) -> tuple[Any, np.ndarray]:
        """(loss, gradients): the outputs reduced over the batch (mean or sum), and d loss / d parameter.

        The gradients are an array with one entry per parameter, in ``tape.parameters`` order. With
        ``has_aux`` the first item is the pair (loss, aux), aux with one row per sample (as JAX's).
        """
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

    def _rows(self, run: _Run, where: list[tuple[bool, int]]) -> np.ndarray:
        """Nodes' values for every sample, shape (B, nodes)."""
        return np.stack([run.V[r] if in_batch else np.full(run.B, run.U[r, 0]) for in_batch, r in where], axis=1)

    def _aux_of(self, run: _Run) -> np.ndarray:
        aux = self._rows(run, self._aux) if self._aux else np.empty((run.B, 0))
        return aux if self._aux_is_list else aux[:, 0]

    def __len__(self) -> int:
        """The number of op instructions (leaves not counted)."""
        return sum(1 for ins in self.instructions if ins.op)

    def __repr__(self) -> str:
        return (f"Tape({self.fn_name}: {self._n_inputs} inputs, {len(self.parameters)} parameters, {len(self)} ops in "
                f"{len(self._groups)} groups, reduction={self.reduction!r})")

    # --- running -------------------------------------------------------------------------
    def _batch(self, inputs: Sequence[Any]) -> tuple[list[np.ndarray], int]:
        if len(inputs) != self._n_inputs:
            raise TypeError(f"{self.fn_name} (compiled) takes {self._n_inputs} inputs, got {len(inputs)}")
        arrays, sizes = [], set()
        for i, x in enumerate(inputs):
            try:
                a = np.asarray(x, dtype=float)
            except (TypeError, ValueError):
                raise TypeError(f"input {i}: expected a 1-D array of numbers or a number, got {type(x).__name__}") \
                    from None
            if a.ndim > 1:
                raise ValueError(f"input {i}: expected shape (B,) or a number, got shape {a.shape}")
            if not np.isfinite(a).all():
                raise ValueError(f"input {i}: contains a non-finite number ({a[~np.isfinite(a)].flat[0]})")
            if a.ndim == 1:
                sizes.add(a.shape[0])
            arrays.append(a)
        if len(sizes) > 1:
            raise ValueError(f"inputs have different batch sizes {sorted(sizes)}; each must have shape (B,)")
        B = sizes.pop() if sizes else 1
        if B == 0:
            raise ValueError("the batch is empty (B = 0)")
        return arrays, B

    def _forward(self, inputs: Sequence[Any]) -> _Run:
        arrays, B = self._batch(inputs)
        run = _Run(np.empty((self._n_rows[False], 1)), np.empty((self._n_rows[True], B)), B, [])
        U, V = run.U, run.V
        n_read = len(self._read)
        U[:n_read, 0] = [v.data for v in self._read]
        U[n_read:n_read + len(self._constants), 0] = self._constants
        for i, a in enumerate(arrays):
            V[i] = a
        with np.errstate(all="ignore"):
            try:
                for group in self._groups:
                    run.saved.append(self._run_forward(group, U, V))
            except _BAD_MATH as error:
                self._diagnose(run, error)
            if not (np.isfinite(V).all() and np.isfinite(U).all()):
                self._diagnose(run, OverflowError("the result is not a finite float"))
        return run

    @staticmethod
    def _run_forward(group: _Group, U: np.ndarray, V: np.ndarray) -> tuple:
        """Compute the group's outputs; returns its inputs, saved for the backward pass."""
        if group.scalar is not None:  # one uniform node: plain floats are faster than arrays of one element
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

    def _backward(self, run: _Run, seed: float) -> np.ndarray:
        """The chain rule group by group, last to first; returns the uniform buffer's gradients."""
        GU, GV = np.zeros_like(run.U), np.zeros_like(run.V)
        in_batch, r = self._root
        (GV if in_batch else GU)[r] = seed
        GU_flat = GU.reshape(-1)
        with np.errstate(all="ignore"):
            try:
                for group, saved in zip(reversed(self._groups), reversed(run.saved)):
                    self._run_backward(group, saved, run, GU, GU_flat, GV)
            except _BAD_MATH as error:
                self._diagnose(run, error, backward=True)
            if not (np.isfinite(GU).all() and np.isfinite(GV).all()):
                self._diagnose(run, OverflowError("the gradient is not a finite float"), backward=True)
        return GU

    @staticmethod
    def _run_backward(group: _Group, saved: tuple, run: _Run, GU: np.ndarray, GU_flat: np.ndarray,
                      GV: np.ndarray) -> None:
        xs, stacks = saved
        if group.scalar is not None:
            o = group.scalar
            g = GU[group.out.start, 0]
            if g != 0.0:
                partials = group.op.local(scalar_math, xs, run.U[group.out.start, 0], group.param)
                _scatter(GU_flat, o.rows[:, 0], np.multiply(partials, g), o)
            return
        y = (run.V if group.batch else run.U)[group.out]
        g = (GV if group.batch else GU)[group.out]
        partials = group.op.local(array_math, xs, y, group.param)
        for o in group.operands:
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

    # --- errors ----------------------------------------------------------------------------
    def _diagnose(self, run: _Run, error: Exception, backward: bool = False) -> None:
        """Find the first node and sample that fail, one float at a time, and raise the engine's message for it."""
        from .backprop import _backward_failure  # the engine's wording for a failed local derivative

        U, V, B = run.U, run.V, run.B
        for group in self._groups:
            for slot in group.nodes:
                ins = self.instructions[slot]
                for b in range(B if group.batch else 1):
                    xs = tuple(self._value_at(U, V, s, b) for s in ins.inputs)
                    found = _first_failure(group.op, xs, group.param, backward)
                    if found is None:
                        continue
                    kind, reason = found
                    values = tuple(Value(x, label=self._labels[s]) for x, s in zip(xs, ins.inputs))
                    if backward:
                        node = Value(0.0, label=self._labels[slot])
                        node.op, node.inputs, node.param = group.op.name, values, group.param
                        message = _backward_failure(node, reason)
                    else:
                        message = describe_failure(group.op, values, group.param, reason)
                    sample = f"sample {b}: " if group.batch else ""
                    raise kind(f"{self.fn_name} (compiled), {sample}{message}") from None
        where = "backward" if backward else "forward"
        raise type(error)(f"{self.fn_name} (compiled) {where}: {error}") from None

    def _value_at(self, U: np.ndarray, V: np.ndarray, slot: int, sample: int) -> float:
        in_batch, r = self._slot_rows[slot]
        return float(V[r, sample] if in_batch else U[r, 0])


def _first_failure(op: Op, xs: tuple[float, ...], param: Any, backward: bool) -> tuple[type, str] | None:
    """How ``op`` fails on these floats, forward (or its local derivatives too), as the engine would see it."""
    try:
        y = op.forward(scalar_math, xs, param)
        if not np.isfinite(y):
            return OverflowError, f"the result {y} is not a finite float"
        if backward:
            for d in op.local(scalar_math, xs, y, param):
                if not np.isfinite(d):
                    return OverflowError, f"a local derivative is {d}, not a finite float"
    except _BAD_MATH as error:
        return type(error), str(error)
    return None


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
    if all(isinstance(p, float) for p in partials):  # constants, as sum's 1.0s
        return np.array(partials).reshape(len(partials), 1, 1)
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


def _scatter(target: np.ndarray, rows: np.ndarray, values: np.ndarray, o: _Operand) -> None:
    """target[rows] += values, also when a row appears more than once (``x * x``: twice, once per position)."""
    if o.distinct:
        target[rows] += values
    elif rows.ndim == 2 and o.distinct_per_position:
        for r, v in zip(rows, values):
            target[r] += v
    else:
        np.add.at(target, rows, values)


def _example_values(example_inputs: Sequence[Any]) -> list[float]:
    if isinstance(example_inputs, (str, bytes)) or not isinstance(example_inputs, Sequence):
        raise TypeError(f"compile: example_inputs must be a list or tuple of numbers, one per argument of fn, "
                        f"got {type(example_inputs).__name__}")
    if not example_inputs:
        raise ValueError("compile: example_inputs is empty; fn needs at least one input that varies per sample")
    out = []
    for i, x in enumerate(example_inputs):
        if isinstance(x, Value):
            x = x.data
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
            raise TypeError(f"compile: example_inputs[{i}] must be a finite real number, got {x!r:.60}")
        out.append(float(x))
    return out


def _parameter_list(parameters: Iterable[Value]) -> list[Value]:
    out = list(parameters)
    for i, p in enumerate(out):
        if not isinstance(p, Value):
            raise TypeError(f"compile: parameters[{i}] must be a Value, got {type(p).__name__}")
        if p.inputs:
            raise ValueError(f"compile: parameters[{i}] ({p!r}) is not a leaf; only leaves can be parameters")
    if len(set(out)) != len(out):
        raise ValueError("compile: a Value appears twice in parameters")
    return out


def compile(  # noqa: A001 - as torch.compile
    fn: Callable[..., Any], example_inputs: Sequence[Any], parameters: Iterable[Value] | None = None,
    *, reduction: str = "mean", has_aux: bool = False,
) -> Tape:
    """Trace ``fn`` (a per-sample loss of Values) once and return a ``Tape`` that runs it on batches.

    >>> import numpy as np; from autograd_lite import Value
    >>> w = Value(0.5); tape = compile(lambda x: (w * x).tanh(), [0.0], parameters=[w])
    >>> loss, grads = tape.value_and_grad(np.array([1.0, -1.0, 2.0])); grads.shape
    (1,)

    ``example_inputs``: one number per argument of ``fn`` (``fn`` is called once with Values holding
    them). ``parameters``: the Values to differentiate with respect to (default: every Value ``fn``
    uses that it did not create, in the order its ops use them). Other captured Values are read afresh
    at every call; numbers and Values created inside ``fn`` become constants. ``reduction``:
    ``"mean"`` or ``"sum"`` of the per-sample outputs. ``has_aux``: ``fn`` returns ``(loss, aux)``,
    aux a Value or a list of Values (a model's outputs, say) that the tape also returns, per sample.
    Raises ``TraceError`` when the graph depends on the input or parameter values.
    """
    return Tape(fn, example_inputs, parameters, reduction=reduction, has_aux=has_aux)

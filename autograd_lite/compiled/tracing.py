"""Tracing: call a per-sample function once on Values and record its graph, refusing graphs that
depend on the values they were traced with.

The graph must not depend on the input values. While tracing, comparing or converting a Value
that depends on an input or a parameter (``if x > 0``, ``max(a, b)``, ``float(x)``) raises
``TraceError``, and the function is traced again at other input and parameter values: if its
graph or one of its constants changes (``.data`` used in Python control flow, ``detach()``),
that is a ``TraceError`` too. Branch-free ops such as ``relu`` and ``abs`` are fine.

    >>> from autograd_lite import Value
    >>> w = Value(2.0); t = trace_function(lambda x: (w * x).relu(), [1.0], "f", {w}); [v.op for v in t.order]
    ['', '', 'mul', 'relu']
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.engine import Value
from ..core.errors import MATH_ERRORS
from ..core.grad_mode import is_grad_enabled, watching_reads
from ..core.graph import topological_order
from ..core.handwritten import describe, is_hand_written


class TraceError(ValueError):
    """The function cannot be compiled: its graph depends on the values it was traced with."""


@contextlib.contextmanager
def _refusing_control_flow(fn_name: str, watched: set[Value]) -> Iterator[None]:
    """While active, comparing or converting a Value that depends on a ``watched`` leaf raises TraceError.

    It watches this thread's reads of Values (``<``, ``<=``, ``>``, ``>=``, ``float()`` and ``item()``)
    for the duration of a trace; other threads are not affected.
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

    with watching_reads(refuse):
        yield


@dataclass
class Trace:
    inputs: list[Value]
    order: list[Value]  # topological: every node after its inputs
    loss: Value
    aux: list[Value]  # other outputs (has_aux), e.g. the model's predictions
    aux_is_list: bool


def trace_function(fn: Callable[..., Any], example: Sequence[float], fn_name: str, watched: set[Value],
           has_aux: bool = False) -> Trace:
    """Call ``fn`` on fresh input Values holding ``example`` and record the graph of its result(s)."""
    if not is_grad_enabled():
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
    for v in order:
        if is_hand_written(v):
            raise TraceError(f"compile: {fn_name} uses {describe(v)}, made micrograd's way with a _backward closure; "
                             "the tape runs the op table's formulas on numpy arrays and cannot run a Python "
                             "closure. Define the op with autograd_lite.define_op, or run it eagerly.")
    return Trace(inputs, list(order), out, aux, isinstance(extra, (list, tuple)))


def captured_leaves(first: Trace, second: Trace) -> list[Value]:
    """Leaves ``fn`` did not create: the same objects in two traces (constants it makes are new each time);
    in the order its ops use them."""
    again = {v for v in second.order if not v.inputs}
    inputs = set(first.inputs)
    used = dict.fromkeys(x for v in first.order for x in v.inputs if not x.inputs)
    used.update(dict.fromkeys(v for v in first.order if not v.inputs))  # then any leaf left (a leaf output)
    return [v for v in used if v in again and v not in inputs]


def _signature(trace: Trace, captured: set[Value]) -> list[tuple]:
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


def check_graph_is_fixed(fn: Callable[..., Any], example: list[float], traces: tuple[Trace, Trace],
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
            probe = _signature(trace_function(fn, point[:len(example)], fn_name, known, has_aux), known)
        except MATH_ERRORS:
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

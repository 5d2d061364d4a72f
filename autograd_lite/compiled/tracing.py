"""Tracing: call a per-sample function on Values whose data is not known, and record its graph.

The tape replays the graph on other numbers, so the graph must not depend on the numbers it
was traced with. Tracing makes that impossible to get wrong rather than hoping to notice it:

1. The inputs hold ``Unknown`` data (``core/unknown.py``) and the engine computes nothing from
   them, so any Python use of a traced number (``if x.data > 0``, ``float(x)``, ``max(a, b)``,
   ``x.data * 2``, ``detach()``) raises ``TraceError``. The trace remembers the refusal: a
   function that catches the error still fails to compile.
2. The function is traced again with the Values it captured (the model's parameters) holding
   ``Unknown`` too, so that deciding from a parameter's number (``if w.data > 0``) is refused
   as well; their numbers are put back afterwards. Another thread that reads those parameters
   meanwhile gets a ``TraceError``, never a wrong number. Leaves found in both traces are the
   captured Values; the two graphs, with every constant the function made, must be equal.

What is allowed: any op on Values, numbers and constants the function makes itself
(``Value(0.5)``, ``x * 2``), branch-free ops (``relu``, ``abs``), Python control flow that does
not read a traced number (loops over a fixed range, ``if training:`` on a Python flag).

    >>> from autograd_lite import Value
    >>> w = Value(2.0); t, captured = trace_twice(lambda x: (w * x).relu(), 1, "f", False, [w])
    >>> [v.op for v in t.order], captured == [w]
    (['', '', 'mul', 'relu'], True)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ..core.engine import Value
from ..core.grad_mode import is_grad_enabled, tracing
from ..core.graph import topological_order
from ..core.handwritten import describe, is_hand_written
from ..core.unknown import TraceError, TraceSession, Unknown

__all__ = ["Trace", "TraceError", "trace_twice"]

_ONE_AT_A_TIME = threading.RLock()  # compiles that make captured Values unknown run one after the other


@dataclass
class Trace:
    inputs: list[Value]
    order: list[Value]  # topological: every node after its inputs
    loss: Value
    aux: list[Value]  # other outputs (has_aux), e.g. the model's predictions
    aux_is_list: bool


def trace_function(fn: Callable[..., Any], n_inputs: int, fn_name: str, has_aux: bool = False,
                   unknown: Sequence[Value] = ()) -> Trace:
    """Call ``fn`` on ``n_inputs`` fresh Values of unknown data (and ``unknown``'s data made unknown for the
    call) and record the graph of its result(s)."""
    if not is_grad_enabled():
        raise RuntimeError("compile: cannot trace inside no_grad() (nothing would be recorded)")
    session = TraceSession(fn_name)
    inputs = [Value(0.0, label=f"input {i}") for i in range(n_inputs)]
    for i, v in enumerate(inputs):
        v.data = cast(float, Unknown(session, f"input {i}"))  # stands for the float while tracing
    saved = [v.data for v in unknown]
    placeholders = [cast(float, Unknown(session, _name(v))) for v in unknown]  # as above
    try:
        for v, placeholder in zip(unknown, placeholders):
            v.data = placeholder
        with tracing(session):
            out = fn(*inputs)
    except Exception as error:
        if session.refusal is not None and not isinstance(error, TraceError):
            raise TraceError(session.refusal) from error  # fn turned the refusal into another error
        raise
    finally:
        for v, x, placeholder in zip(unknown, saved, placeholders):
            if v.data is placeholder:  # a number another thread wrote meanwhile (load_state_dict) is kept
                v.data = x
    if session.refusal is not None and not session.by_fn:  # another thread used a parameter meanwhile
        raise TraceError(session.refusal)
    if session.refusal is not None:  # fn caught the TraceError and went on: the graph it returns is not fixed
        raise TraceError(f"{session.refusal} ({fn_name} caught this error and went on, but the trace is refused: "
                         "the graph it returned depends on that refusal)")
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
    own = set(inputs)
    for v in order:
        if is_hand_written(v):
            raise TraceError(f"compile: {fn_name} uses {describe(v)}, made micrograd's way with a _backward closure; "
                             "the tape runs the op table's formulas on numpy arrays and cannot run a Python "
                             "closure. Define the op with autograd_lite.define_op, or run it eagerly.")
        if not v.inputs and v not in own and type(v.data) is Unknown and v.data.session is session:
            raise TraceError(f"compile: {fn_name} cut {v.data.what} off the graph (a result made under no_grad() "
                             "from traced values): the tape would not know how it was computed; compute it with "
                             "recorded ops, or run the function eagerly")
    return Trace(inputs, list(order), out, aux, isinstance(extra, (list, tuple)))


def _name(v: Value) -> str:
    return f"the captured Value {v.label!r}" if v.label else "a captured Value (a parameter)"


def trace_twice(fn: Callable[..., Any], n_inputs: int, fn_name: str, has_aux: bool,
                parameters: Sequence[Value] = ()) -> tuple[Trace, list[Value]]:
    """Trace ``fn`` twice, the second time with every leaf it captured unknown (see the module's docstring).

    Returns the first trace and the captured Values (leaves in both traces that are not inputs), in the
    order its ops use them. ``parameters`` are unknown in both traces, even if ``fn`` does not use them.
    """
    with _ONE_AT_A_TIME:  # two compiles of one model must not take each other's placeholders for numbers
        first = trace_function(fn, n_inputs, fn_name, has_aux, parameters)
        inputs = set(first.inputs)
        # every node the first trace reached, not only the leaves: a captured result (h = w * 2, made before
        # the call) is unknown too; the first trace's own nodes are not used again, so changing them is harmless
        reached = [v for v in first.order if v not in inputs]
        second = trace_function(fn, n_inputs, fn_name, has_aux, list(dict.fromkeys([*parameters, *reached])))
    captured = captured_leaves(first, second)
    known = set(captured)
    _compare(_signature(first, known), _signature(second, known), fn_name)
    return first, captured


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


def _compare(expected: list[tuple], got: list[tuple], fn_name: str) -> None:
    if got == expected:
        return
    index = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(got), len(expected)))
    raise TraceError(
        f"compile: {fn_name} builds a different graph when traced again (node {index}: {_show(expected, index)} "
        f"the first time, {_show(got, index)} the second). Something other than its inputs and parameters "
        f"decides its graph or its constants (randomness, a counter, global state), so a tape replayed later "
        f"would be wrong; make it deterministic, or run it eagerly.")


def _show(signature: list[tuple], index: int) -> str:
    if index >= len(signature):
        return f"the graph ends after {len(signature)} nodes"
    entry = signature[index]
    if entry[0] == "constant":
        return f"the constant {entry[1]!r}"
    if entry[0] in ("input", "captured"):
        return f"a leaf ({entry[0]})"
    return f"op {entry[0]!r}"

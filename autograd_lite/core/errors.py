"""The engine's error messages: which op failed, on which operand values and labels, and why.

One wording for every consumer: the eager engine, ``backward``, the compiled tape (which
rebuilds the failing node to describe it) and ``explain``.

    >>> from autograd_lite import OPS, Value
    >>> describe_failure(OPS["log"], (Value(-1.0, label="x"),), None, "log is only defined for positive numbers")
    "log: cannot compute log(u) with u = -1.0 ('x'): log is only defined for positive numbers"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .handwritten import describe, is_hand_written
from .ops import OPS, Op
from .unknown import Unknown

if TYPE_CHECKING:
    from .engine import Value


MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)  # what a failing op raises


def short(text: str, limit: int = 60) -> str:
    """A user's text (a label) cut to ``limit`` characters for a message: ``short("x" * 100)[-4:] == "x..."``."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def reworded(error: Exception, message: str) -> Exception:
    """A math error carrying the engine's ``message``. Python's own errors get a new one of the same type;
    a user's own exception class (raised by their op or ``_backward``) is kept as it is, so they can
    still catch it, with the message added as a note where Python has notes (3.11+).

    >>> reworded(ZeroDivisionError("division by zero"), "div: cannot compute a / b with b = 0.0")
    ZeroDivisionError('div: cannot compute a / b with b = 0.0')
    """
    if type(error) in MATH_ERRORS:
        return type(error)(message)
    if hasattr(error, "add_note"):
        error.add_note(message)
    return error


def describe_failure(op: Op, inputs: tuple[Value, ...], param: Any, reason: str, what: str = "cannot compute") -> str:
    """A one-line account of a failed op: the op, each operand's value and label, the reason."""
    names = op.operand_names(len(inputs))
    shown = []
    for name, v in zip(names, inputs):
        number = "(being traced)" if type(v.data) is Unknown else repr(v.data)
        shown.append(f"{name} = {number}" + (f" ({short(v.label)!r})" if v.label else ""))
    where = op.show(names, param)
    return f"{op.name}: {what} {where} with {', '.join(shown)}: {reason}"


def describe_backward_failure(node: Value, reason: str) -> str:
    """The account of a local derivative that failed while backpropagating through ``node``.

    >>> from autograd_lite import Value
    >>> x = Value(0.0, label="x"); y = x.sqrt()
    >>> describe_backward_failure(y, "division by zero")[:46]
    'sqrt: backward: the local derivatives (1 / (2 '
    """
    if not node.op:
        return f"backward: leaf {node!r}: {reason}"
    if is_hand_written(node):
        return f"backward: the _backward of {describe(node)} failed: {reason}"
    op = OPS[node.op]
    partials = ", ".join(op.partial(i, len(node.inputs)) for i in range(len(node.inputs)))
    what = f"backward: the local derivatives ({partials}) of"
    return describe_failure(op, node.inputs, node.param, reason, what)

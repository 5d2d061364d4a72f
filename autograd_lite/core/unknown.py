"""Data that is not known yet: what a Value holds while ``compile`` traces a function.

The compiled tape records a function's operations once and replays them on other numbers, so
the function must not decide anything from the numbers it was traced with. While tracing, the
inputs (and, on the second trace, the captured parameters) hold an ``Unknown`` instead of a
float, and so does every node computed from them. Using it as a number in Python (``if x.data
> 0``, ``float(x)``, ``max(a, b)``, ``x.data * 2``, ``round``, ``math.exp``, numpy) raises
``TraceError``; the trace remembers that it refused, so a function that catches the error
still fails to compile. Operations on Values are fine: the engine records them without
computing anything.

    >>> session = TraceSession("f")
    >>> x = Unknown(session, "input 0")
    >>> x > 0
    Traceback (most recent call last):
    ...
    autograd_lite.core.unknown.TraceError: compile: f compares (>) input 0, which depends on the inputs or ...
"""

from __future__ import annotations

import threading
from typing import Any, NoReturn


class TraceError(ValueError):
    """The function cannot be compiled: its graph or its constants depend on the values it is traced with."""


class TraceSession:
    """One trace by ``compile``: the function's name, the tracing thread and the first refusal."""

    __slots__ = ("fn_name", "thread", "refusal", "by_fn")

    def __init__(self, fn_name: str) -> None:
        self.fn_name = fn_name
        self.thread = threading.get_ident()
        self.refusal: str | None = None  # the first refusal's message: the trace fails even if fn caught it
        self.by_fn = False  # whether that refusal was the traced function's own use (else another thread's)

    def refuse(self, what: str, how: str) -> NoReturn:
        """Raise TraceError for a use of a traced number, and remember it: the trace fails even if the function
        catches the error, and also when another thread made the use (it read a parameter being traced)."""
        if threading.get_ident() != self.thread:
            if self.refusal is None:
                self.refusal = (f"compile: another thread used {what} while {self.fn_name} was being traced; "
                                "compile again when no other thread uses the parameters")
            raise TraceError(f"{what} is being traced by compile({self.fn_name}) in another thread; its value "
                             "can be read again once compile returns")
        message = (f"compile: {self.fn_name} {how} {what}, which depends on the inputs or parameters, while it is "
                   "being traced: a Python decision or constant made from a traced value (if, while, max, min, "
                   "float(), .item(), .data, str(), detach()) would be frozen into the tape and be wrong for other "
                   "inputs and parameters. Use branch-free ops on Values (relu, abs, leaky_relu; m.step in "
                   "define_op), or run the function eagerly. (An op written by hand micrograd's way reads .data "
                   "too: define it with define_op instead.)")
        if self.refusal is None:
            self.refusal, self.by_fn = message, True
        raise TraceError(message)


def _refusing(how: str) -> Any:
    def refuse(self: Unknown, *args: Any, **kwargs: Any) -> NoReturn:
        self.session.refuse(self.what, how)
    return refuse


class Unknown:
    """A number that ``compile`` does not know yet: the data of a traced input or of a node computed from one."""

    __slots__ = ("session", "what")

    def __init__(self, session: TraceSession, what: str) -> None:
        self.session, self.what = session, what

    __bool__ = _refusing("tests the truth of")
    __lt__ = _refusing("compares (<)")
    __le__ = _refusing("compares (<=)")
    __gt__ = _refusing("compares (>)")
    __ge__ = _refusing("compares (>=)")
    __eq__ = _refusing("compares (==)")
    __ne__ = _refusing("compares (!=)")
    __hash__ = _refusing("hashes (a dict key, a cache)")
    __float__ = __int__ = __index__ = __complex__ = _refusing("converts to a number")
    __round__ = __trunc__ = __floor__ = __ceil__ = _refusing("rounds")
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refusing("computes with the number of")
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __divmod__ = __rdivmod__ = \
        __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _refusing("computes with the number of")
    __array_ufunc__ = __array_function__ = __array__ = _refusing("passes to numpy")

    # Text and copies are decisions too (float(f"{x.data}"), a cache keyed by str(x.data), deepcopy of a
    # parameter kept after the trace): refused as well. Only type() and isinstance() cannot be intercepted.
    __format__ = __str__ = __repr__ = _refusing("turns into text")
    __reduce__ = __reduce_ex__ = __copy__ = __deepcopy__ = __getstate__ = _refusing("copies")

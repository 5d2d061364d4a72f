"""Grad mode, per thread: whether ops record a graph, and whether ``compile`` is tracing.

As in PyTorch, ``no_grad`` / ``enable_grad`` change the mode of the thread that enters them
only: a thread evaluating a model under ``no_grad`` does not stop another thread's training
from recording its graph. A thread that ``compile`` is tracing makes nodes whose data is not
known yet (``unknown.Unknown``), so that Python code reading a traced value is refused.

    >>> from autograd_lite import Value
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.op, is_grad_enabled()
    ('', True)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ContextDecorator, contextmanager
from typing import Any

Mode = tuple[bool, Any]  # (ops record a graph, the trace session or None)
DEFAULT: Mode = (True, None)

modes: dict[int, Mode] = {}
"""The threads (``threading.get_ident()``) not in the default mode right now, and their mode. The engine
looks here for every node it makes, so the common case, every thread recording and none tracing, costs
one look at an empty dict."""


class _ThreadState(threading.local):
    """One per thread (``__init__`` runs in each thread on its first use)."""

    def __init__(self) -> None:
        self.saved: list[Mode] = []  # the mode before each open block, innermost last
        self.forget: _ForgetOnExit | None = None


_state = _ThreadState()


class _ForgetOnExit:
    """Kept in the thread's local state: when the thread ends (its local state is freed), its id leaves
    ``modes``, so a new thread that reuses the id starts in the default mode."""

    def __init__(self, ident: int) -> None:
        self.ident = ident

    def __del__(self, pop: Callable[..., Any] = modes.pop) -> None:
        pop(self.ident, None)  # bound at definition: module globals may be gone when the interpreter shuts down


def current_mode() -> Mode:
    """This thread's mode: (records, trace session or None)."""
    return modes.get(threading.get_ident(), DEFAULT)


def _set(mode: Mode) -> None:
    ident = threading.get_ident()
    if mode == DEFAULT:
        modes.pop(ident, None)
        return
    modes[ident] = mode
    if _state.forget is None:
        _state.forget = _ForgetOnExit(ident)


def _enter(mode: Mode) -> None:
    _state.saved.append(current_mode())  # per thread, so blocks in different threads never mix
    _set(mode)


def _leave() -> None:
    if _state.saved:  # empty only if a generator suspended in a block is closed from another thread
        _set(_state.saved.pop())


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated with it) this thread's ops record nothing.

    >>> with no_grad(): y = Value(2.0) * 3
    >>> y.op, y.inputs
    ('', ())
    """

    records = False  # whether ops record inside the block

    def __enter__(self) -> no_grad:
        _enter((self.records, current_mode()[1]))
        return self

    def __exit__(self, *exc: object) -> None:
        _leave()


class enable_grad(no_grad):
    """Record ops again, even inside ``no_grad()`` (as ``grad(create_graph=True)`` must).

    >>> with no_grad(), enable_grad(): y = Value(2.0) * 3
    >>> y.op
    'mul'
    """

    records = True


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``.

    >>> with no_grad(): print(is_grad_enabled())
    False
    """
    return current_mode()[0]


@contextmanager
def tracing(session: Any) -> Iterator[None]:
    """While active, this thread's ops on Values whose data is unknown make nodes with unknown data.

    Used by ``compile``; ``session`` is the trace's ``unknown.TraceSession``.
    """
    _enter((current_mode()[0], session))
    try:
        yield
    finally:
        _leave()

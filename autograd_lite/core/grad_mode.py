"""Grad mode, per thread: whether ops record a graph, and who is told when a Value is read.

As in PyTorch, ``no_grad`` / ``enable_grad`` change the mode of the thread that enters them
only: a thread evaluating a model under ``no_grad`` does not stop another thread's training
from recording its graph.

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

ReadHook = Callable[[str, tuple[Any, ...]], None]


threads_not_recording: set[int] = set()
"""The threads (``threading.get_ident()``) inside ``no_grad()`` right now. The engine checks it for every
node it makes, so the common case, no thread in ``no_grad``, costs one look at an empty set."""


class _ThreadState(threading.local):
    """One per thread (``__init__`` runs in each thread on its first use)."""

    def __init__(self) -> None:
        self.saved: list[bool] = []  # whether the thread recorded before each open block, innermost last
        # Told of every comparison and float conversion of a Value: the compiled tape refuses, while it
        # traces, Python control flow that depends on the traced values (see ``watching_reads``).
        self.read_hook: ReadHook | None = None
        self.forget: _ForgetOnExit | None = None


state = _ThreadState()
"""This thread's open blocks and read hook."""


class _ForgetOnExit:
    """Kept in the thread's local state: when the thread ends (its local state is freed), its id leaves
    ``threads_not_recording``, so a new thread that reuses the id starts recording."""

    def __init__(self, ident: int) -> None:
        self.ident = ident

    def __del__(self, discard: Callable[[int], None] = threads_not_recording.discard) -> None:
        discard(self.ident)  # bound at definition: module globals may be gone when the interpreter shuts down


def _record(on: bool) -> None:
    ident = threading.get_ident()
    if on:
        threads_not_recording.discard(ident)
        return
    threads_not_recording.add(ident)
    if state.forget is None:
        state.forget = _ForgetOnExit(ident)


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated with it) this thread's ops record nothing.

    >>> with no_grad(): y = Value(2.0) * 3
    >>> y.op, y.inputs
    ('', ())
    """

    records = False  # whether ops record inside the block

    def __enter__(self) -> no_grad:
        state.saved.append(is_grad_enabled())  # per thread, so blocks in different threads never mix
        _record(self.records)
        return self

    def __exit__(self, *exc: object) -> None:
        if state.saved:  # empty only if a generator suspended in a block is closed from another thread
            _record(state.saved.pop())


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
    return not threads_not_recording or threading.get_ident() not in threads_not_recording


@contextmanager
def watching_reads(hook: ReadHook) -> Iterator[None]:
    """Call ``hook(what, operands)`` whenever this thread compares a Value or turns it into a float.

    >>> seen = []
    >>> with watching_reads(lambda what, operands: seen.append(what)):
    ...     _ = Value(1.0) < 2
    >>> seen
    ['<']

    Used by the compiled tape while it traces; the previous hook is restored on exit.
    """
    previous = state.read_hook
    state.read_hook = hook
    try:
        yield
    finally:
        state.read_hook = previous


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


class _ThreadState(threading.local):
    """One per thread (``__init__`` runs in each thread on its first use)."""

    def __init__(self) -> None:
        self.recording = True  # False inside ``no_grad()``: ops then make leaves
        self.saved: list[bool] = []  # the modes to restore, innermost block last
        # Told of every comparison and float conversion of a Value: the compiled tape refuses, while it
        # traces, Python control flow that depends on the traced values (see ``watching_reads``).
        self.read_hook: ReadHook | None = None


state = _ThreadState()
"""This thread's grad mode; the engine reads ``state.recording`` and ``state.read_hook`` on its hot path."""


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated with it) this thread's ops record nothing.

    >>> with no_grad(): y = Value(2.0) * 3
    >>> y.op, y.inputs
    ('', ())
    """

    records = False  # what ``state.recording`` is inside the block

    def __enter__(self) -> no_grad:
        state.saved.append(state.recording)  # per thread, so blocks in different threads never mix
        state.recording = self.records
        return self

    def __exit__(self, *exc: object) -> None:
        state.recording = state.saved.pop()


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
    return state.recording


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


"""The tape's own parameter vector: read from the Values once, updated in place by the training loop,
written back to the Values when asked (``sync``) and at the end of the ``with`` block.

Reading thousands of ``p.data`` and writing them back costs more than a whole step of a wide layer
(66,000 parameters at width 256: milliseconds of Python), so a training loop can hold them instead:

    >>> import numpy as np; from autograd_lite import Value, compile
    >>> w = Value(1.0); tape = compile(lambda x: (w * x - 2.0) ** 2, [1.0], parameters=[w])
    >>> with tape.hold_parameters() as held:
    ...     for _ in range(50):
    ...         loss, grads = tape.value_and_grad(np.array([1.0]))
    ...         held.vector -= 0.1 * grads             # SGD on the vector, no Value touched
    >>> round(w.data, 3)                               # written back when the block ends
    2.0

Never stale: outside a hold every call reads ``p.data``; inside, the vector is the truth, and a
``p.data`` written meanwhile (by hand, or by loading weights) is refused at the next ``sync`` with
an error naming it, never silently overwritten nor silently ignored. Call ``sync()`` before
reading the Values inside the block (a snapshot, a checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.engine import Value

__all__ = ["HeldParameters"]


class HeldParameters:
    """A tape's parameters as one float vector (``vector``, in ``tape.parameters`` order) while held.

    >>> from autograd_lite import Value, compile
    >>> a, b = Value(1.0), Value(2.0); tape = compile(lambda x: a * x + b, [0.0], parameters=[a, b])
    >>> held = tape.hold_parameters(); held.vector.tolist()
    [1.0, 2.0]
    >>> held.vector *= 10; held.release(); (a.data, b.data)
    (10.0, 20.0)
    """

    def __init__(self, owner: Any, parameters: Sequence[Value]) -> None:
        self._owner = owner
        self._parameters = list(parameters)
        self._written = [p.data for p in self._parameters]  # what the Values held when last read or synced
        self._vector = np.array(self._written, dtype=float)
        if not np.isfinite(self._vector).all():
            bad = next(p for p in self._parameters if not np.isfinite(p.data))
            raise ValueError(f"hold_parameters: parameter {_name(bad)} is {bad.data}, not a finite number")

    @property
    def vector(self) -> np.ndarray:
        """The parameters, in ``tape.parameters`` order: update it in place (``held.vector -= lr * grads``)
        or give it a new vector of the same shape (``held.vector = held.vector - lr * grads``)."""
        return self._vector

    @vector.setter
    def vector(self, value: Any) -> None:
        if value is self._vector:  # held.vector -= ...: updated in place, nothing to check (a step's hot path)
            return
        n = len(self._parameters)
        array = np.asarray(value)
        if array.shape != (n,) or array.dtype.kind not in "fiu":
            raise ValueError(f"held.vector must be {n} real numbers, shape ({n},); got shape {array.shape} of "
                             f"{array.dtype} (update it in place: held.vector -= ...)")
        if not np.isfinite(array).all():
            raise ValueError(f"held.vector must be finite numbers; got {array[~np.isfinite(array)][0]} at position "
                             f"{int(np.flatnonzero(~np.isfinite(array))[0])}")
        self._vector = array if array.dtype == np.float64 else array.astype(np.float64)

    @property
    def active(self) -> bool:
        return self._owner is not None

    def sync(self) -> None:
        """Write the vector to the Values (``p.data``), after checking no Value was changed meanwhile."""
        if self._owner is None:
            raise RuntimeError("sync: the parameters were released already")
        if np.shape(self.vector) != (len(self._parameters),):
            raise ValueError(f"sync: the vector must keep its shape ({len(self._parameters)},); "
                             f"got {np.shape(self.vector)} (update it in place: held.vector -= ...)")
        for p, was in zip(self._parameters, self._written):
            if p.data is not was and p.data != was:
                raise RuntimeError(
                    f"parameter {_name(p)} was set to {p.data!r} while the tape held the parameters (it held {was!r}); "
                    "the calls since then used the held vector, not that number. Change held.vector instead, "
                    "or release the parameters (end the with block) before setting .data")
        numbers = self.vector.tolist()
        for p, x in zip(self._parameters, numbers):
            p.data = x
        self._written = numbers

    def release(self) -> None:
        """``sync``, then stop holding: later calls read ``p.data`` again."""
        if self._owner is None:
            return
        try:
            self.sync()
        finally:
            self._owner._held = None  # noqa: SLF001 - the tape's field, set by hold_parameters
            self._owner = None

    def __enter__(self) -> HeldParameters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _name(p: Value) -> str:
    return repr(p.label) if p.label else repr(p)

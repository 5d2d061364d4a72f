"""Counting the numpy calls one training step makes (issue 12's "343 numpy calls per step").

Counted: every ufunc call (operators such as ``a + b`` and ``a += b``, ``np.maximum``, ``@``, reductions
such as ``a.sum()``), every numpy function that dispatches on arrays (``np.where``, ``np.stack``, ...),
and every fancy-index read or write (``U[rows]``, ``GV[rows] += x``: "gathers and scatters", also
reported apart). Not counted: plain slicing (a view, no work), array methods that are not ufuncs
(``fill``, ``astype``, ``copy``, ``tolist``), and array creation (``np.empty``).

How: the step's arrays are made instances of ``Counted``, an ndarray subclass whose numpy protocols
(``__array_ufunc__``, ``__array_function__``) count and delegate; results stay ``Counted``. The
arrays a step creates itself come from modules whose ``np`` is swapped, for the count, for a proxy
whose creation functions return ``Counted`` arrays. Slow; used for counting only, never for timing.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import numpy as np


class Counted(np.ndarray):
    calls = 0
    fancy = 0

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, out: Any = None, **kwargs: Any) -> Any:
        Counted.calls += 1
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        return out[0] if out is not None and len(out) == 1 else _counted(result)

    def __array_function__(self, func: Callable, types_: Any, args: tuple, kwargs: dict) -> Any:
        Counted.calls += 1
        return _counted(func(*_deep_plain(args), **_deep_plain(kwargs)))

    def __getitem__(self, index: Any) -> Any:
        if _is_fancy(index):
            Counted.calls += 1
            Counted.fancy += 1
        return super().__getitem__(index)

    def __setitem__(self, index: Any, value: Any) -> None:
        if _is_fancy(index):
            Counted.calls += 1
            Counted.fancy += 1
        super().__setitem__(index, _plain(value))


def _is_fancy(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, Counted) else x


def _deep_plain(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_deep_plain(v) for v in x)
    if isinstance(x, dict):
        return {k: _deep_plain(v) for k, v in x.items()}
    return _plain(x)


def _counted(x: Any) -> Any:
    if type(x) is np.ndarray:
        return x.view(Counted)
    if isinstance(x, tuple):
        return tuple(_counted(v) for v in x)
    return x


def counted(x: Any) -> Any:
    """``x`` as a ``Counted`` array (a view: same memory)."""
    return np.asarray(x).view(Counted)


CREATORS = ("empty", "empty_like", "zeros", "zeros_like", "ones", "full", "array", "asarray", "ascontiguousarray")


def _proxy() -> types.SimpleNamespace:
    """numpy, with the creation functions returning ``Counted`` arrays."""
    proxy = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np) if not name.startswith("__")})
    for name in CREATORS:
        make = getattr(np, name)
        setattr(proxy, name, lambda *a, _make=make, **k: _counted(_make(*a, **k)))
    return proxy


@contextmanager
def counting(modules: Iterable[types.ModuleType]):
    """Within the block, ``modules`` see the proxy as ``np``; yields a function returning (calls, fancy) so far."""
    modules = list(modules)
    saved = [m.np for m in modules]
    proxy = _proxy()
    for m in modules:
        m.np = proxy
    Counted.calls = Counted.fancy = 0
    try:
        yield lambda: (Counted.calls, Counted.fancy)
    finally:
        for m, was in zip(modules, saved):
            m.np = was


def count_step(step: Callable[[int], float], modules: Iterable[types.ModuleType], k: float) -> tuple[int, int]:
    """(numpy calls, fancy-index gathers and scatters) of ``step(k)``, counted after one step run uncounted
    within the counting block (buffers made, caches filled): a steady-state step. Use a step made for this
    only: its arrays are swapped for ``Counted`` views."""
    for c in step.__closure__ or ():  # the step's own arrays (weights, data) become Counted views of the same memory
        if type(c.cell_contents) is np.ndarray:
            c.cell_contents = counted(c.cell_contents)
        elif isinstance(c.cell_contents, list) and c.cell_contents and all(
                type(v) is np.ndarray for v in c.cell_contents):
            c.cell_contents[:] = [counted(v) for v in c.cell_contents]
    with counting(modules) as so_far:
        step(k)
        before = so_far()
        step(k)
        after = so_far()
    return after[0] - before[0], after[1] - before[1]

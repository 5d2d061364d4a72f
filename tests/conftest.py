"""Shared test helpers: a finite-difference oracle, independent of the engine's op table."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest


def central_difference(f: Callable[[list[float]], float], xs: Sequence[float], i: int) -> float:
    """d f / d xs[i] by the five-point central difference (error O(h^4)), stepping relative to |x|.

    The step is small enough (1e-5 |x|) that every probe stays on the same side of a kink at 0,
    so relu at +-1e-3 or log at 1e-6 are measured on the right branch.
    """
    x = float(xs[i])
    h = 1e-5 * abs(x) if x != 0.0 else 1e-6

    def at(shift: float) -> float:
        moved = [float(v) for v in xs]
        moved[i] = x + shift
        return f(moved)

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


@pytest.fixture(scope="session")
def fd() -> Callable[[Callable[[list[float]], float], Sequence[float], int], float]:
    """The finite-difference oracle as a fixture (session scope, so hypothesis tests may use it)."""
    return central_difference

"""Argument checks shared by the package: each returns the clean value or raises a ValueError saying what came.

    >>> count(3, "n_samples"), nonnegative(0.5, "lr")
    (3, 0.5)
    >>> finite_array([[1, 2]], "W", shape=(1, 2)).dtype
    dtype('float64')
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def count(n: Any, what: str, minimum: int = 1) -> int:
    """``n`` as an int >= ``minimum`` (bools refused)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{what} must be {wanted}, got {n!r:.60}")
    return int(n)


def nonnegative(x: Any, what: str, upper: float | None = None) -> float:
    """``x`` as a finite float >= 0 (and < ``upper`` when given)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {x!r:.60}")
    if upper is not None and float(x) >= upper:
        raise ValueError(f"{what} must be < {upper}, got {x!r}")
    return float(x)


def finite_array(x: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` as a float array of finite numbers (of ``shape`` when given)."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an array of numbers, got {type(x).__name__}: {x!r:.60}") from None
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{what} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite (it holds nan or inf)")
    return arr

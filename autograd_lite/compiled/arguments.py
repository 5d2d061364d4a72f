"""Checking what a tape is given (the example inputs, the parameters, each batch), with errors that say what was wrong.

    >>> example_values([1, 2.5])
    [1.0, 2.5]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..core.engine import Value

__all__ = ["batch_arrays", "example_values", "parameter_list"]


def example_values(example_inputs: Sequence[Any]) -> list[float]:
    if isinstance(example_inputs, (str, bytes)) or not isinstance(example_inputs, Sequence):
        raise TypeError(f"compile: example_inputs must be a list or tuple of numbers, one per argument of fn, "
                        f"got {type(example_inputs).__name__}")
    if not example_inputs:
        raise ValueError("compile: example_inputs is empty; fn needs at least one input that varies per sample")
    out = []
    for i, x in enumerate(example_inputs):
        if isinstance(x, Value):
            x = x.data
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(float(x)):
            raise TypeError(f"compile: example_inputs[{i}] must be a finite real number, got {x!r:.60}")
        out.append(float(x))
    return out


def parameter_list(parameters: Iterable[Value]) -> list[Value]:
    out = list(parameters)
    for i, p in enumerate(out):
        if not isinstance(p, Value):
            raise TypeError(f"compile: parameters[{i}] must be a Value, got {type(p).__name__}")
        if p.inputs:
            raise ValueError(f"compile: parameters[{i}] ({p!r}) is not a leaf; only leaves can be parameters")
    if len(set(out)) != len(out):
        raise ValueError("compile: a Value appears twice in parameters")
    return out


def batch_arrays(inputs: Sequence[Any], n_inputs: int, fn_name: str) -> tuple[list[np.ndarray], int]:
    """A tape's batch as float arrays of one length B (numbers broadcast), and B; clear errors for anything else.

    >>> arrays, B = batch_arrays([np.array([1.0, 2.0]), 3], 2, "f"); B
    2
    """
    if len(inputs) != n_inputs:
        raise TypeError(f"{fn_name} (compiled) takes {n_inputs} inputs, got {len(inputs)}")
    arrays, sizes = [], set()
    for i, x in enumerate(inputs):
        if type(x) is np.ndarray and x.dtype == np.float64 and x.ndim == 1:  # the common case, checked fast
            if not np.isfinite(x).all():
                raise ValueError(f"input {i}: contains a non-finite number ({x[~np.isfinite(x)].flat[0]})")
            sizes.add(x.shape[0])
            arrays.append(x)
            continue
        try:
            raw = np.asarray(x)
        except (TypeError, ValueError):  # a ragged list, say
            raise TypeError(f"input {i}: expected a 1-D array of numbers or a number, got {type(x).__name__}") \
                from None
        if isinstance(x, np.ma.MaskedArray):  # its mask would be silently dropped
            raise TypeError(f"input {i}: a masked array; pass the values you mean (x.filled(...)) or "
                            "leave the masked samples out")
        if raw.dtype.kind not in "biuf":  # numpy would parse strings ("1.0") and drop imaginary parts
            raise TypeError(f"input {i}: expected real numbers (a number, or a 1-D array of floats, ints or "
                            f"bools), got {type(x).__name__} of dtype {raw.dtype}")
        with np.errstate(all="ignore"):  # a float16 or longdouble out of float range: refused just below
            a = raw.astype(float, copy=False)
        if a.ndim > 1:
            raise ValueError(f"input {i}: expected shape (B,) or a number, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"input {i}: contains a non-finite number ({a[~np.isfinite(a)].flat[0]})")
        if a.ndim == 1:
            sizes.add(a.shape[0])
        arrays.append(a)
    if len(sizes) > 1:
        raise ValueError(f"inputs have different batch sizes {sorted(sizes)}; each must have shape (B,)")
    B = sizes.pop() if sizes else 1
    if B == 0:
        raise ValueError("the batch is empty (B = 0)")
    return arrays, B


_FLOAT64 = np.dtype(float)


def plain_batch_size(inputs: Sequence[Any], n_inputs: int) -> int | None:
    """B when the batch is the common case (``n_inputs`` float64 1-D arrays of one length B > 0), else None.
    Not checked here: finiteness (the caller checks the copied batch in one go, ``batch_arrays`` then names it).

    >>> plain_batch_size([np.zeros(3), np.ones(3)], 2), plain_batch_size([np.zeros(3), 1.0], 2)
    (3, None)
    """
    if len(inputs) != n_inputs or not n_inputs:
        return None
    shape = None
    for x in inputs:
        if type(x) is not np.ndarray or x.dtype is not _FLOAT64 or x.ndim != 1:
            return None
        if shape is not None and x.shape != shape:
            return None
        shape = x.shape
    return (shape[0] or None) if shape is not None else None  # not None: n_inputs > 0 arrays were seen

"""Numpy kernels for the op table: the same math namespace as ``scalar_math``, over whole arrays.

The compiled tape (``tape.py``) evaluates the op table's ``forward`` and ``local`` formulas
with this namespace, one numpy call per op for a whole batch. Every function computes what its
``scalar_math`` namesake computes for each element, by the same stable formula, and raises the
same error type on the same bad input; the message also gives the first offending value and
where it is (``error.index``), so the tape can say which sample failed. Never a silent NaN.

    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.scalar_math import exp_limit

Array = Any  # an ndarray, or a float where a formula passes a constant (``m.div(1.0, b)``)

__all__ = ["abs", "cos", "div", "elu", "exp", "exp_limit", "leaky_relu", "log", "logsumexp", "pow",
           "relu", "scaled_pow", "sigmoid", "sign", "sin", "softplus", "sqrt", "step", "tanh", "xlogy"]


def _fail(error: type[Exception], reason: str, bad: np.ndarray, *values: Array) -> Exception:
    """``error(reason; got ...)`` for the first True in ``bad``, with ``.index`` set to its position."""
    index = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
    shown = ", ".join(repr(float(np.broadcast_to(v, bad.shape)[index])) for v in values)
    where = f" at index {tuple(int(i) for i in index)}" if bad.ndim else ""
    count = int(np.count_nonzero(bad))
    more = f" ({count} of {bad.size} values are bad)" if count > 1 else ""
    out = error(f"{reason}; got {shown}{where}{more}")
    out.index = tuple(int(i) for i in index)  # type: ignore[attr-defined]
    return out


def exp(x: Array) -> Array:
    bad = np.greater(x, exp_limit)
    if bad.any():
        raise _fail(OverflowError, f"exp is larger than the largest float above {exp_limit:.2f}", bad, x)
    return np.exp(x)


def log(x: Array) -> Array:
    bad = np.less_equal(x, 0.0)
    if bad.any():
        raise _fail(ValueError, "log is only defined for positive numbers", bad, x)
    return np.log(x)


def sqrt(x: Array) -> Array:
    bad = np.less(x, 0.0)
    if bad.any():
        raise _fail(ValueError, "sqrt is only defined for non-negative numbers", bad, x)
    return np.sqrt(x)


def pow(x: Array, p: Array) -> Array:  # noqa: A001 - mirrors math.pow / numpy.power
    zero_to_negative = np.equal(x, 0.0) & np.less(p, 0.0)
    if zero_to_negative.any():
        raise _fail(ZeroDivisionError, "0 cannot be raised to a negative power", zero_to_negative, x, p)
    complex_result = np.less(x, 0.0) & np.not_equal(p, np.floor(p))
    if complex_result.any():
        raise _fail(ValueError, "a negative number cannot be raised to a fractional power (the result is complex)",
                    complex_result, x, p)
    with np.errstate(over="ignore"):
        y = np.power(x, p)
    overflow = ~np.isfinite(y)
    if overflow.any():
        raise _fail(OverflowError, "x ** p is larger than the largest float", overflow, x, p)
    return y


def scaled_pow(c: Array, x: Array, p: Array) -> Array:
    """c * x ** p, 0 where c == 0 (as ``scalar_math.scaled_pow``); x ** p is checked only where c != 0."""
    zero = np.equal(c, 0.0)
    if not np.any(zero):
        return np.multiply(c, pow(x, p))
    return np.where(zero, 0.0, np.multiply(c, pow(np.where(zero, 1.0, x), p)))


def div(a: Array, b: Array) -> Array:
    bad = np.equal(b, 0.0)
    if bad.any():
        raise _fail(ZeroDivisionError, "division by zero", bad, b)
    return np.divide(a, b)


def tanh(x: Array) -> Array:
    return np.tanh(x)


def sigmoid(x: Array) -> Array:
    # scalar_math's two branches at once: exp only ever sees -|x| <= 0, so no overflow at +-1000.
    e = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0.0), 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(x: Array) -> Array:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))  # max(x, 0) + log1p(e^-|x|), as scalar_math


def relu(x: Array) -> Array:
    # scalar_math's "x if x > 0 else 0.0": fmax gives 0.0 for NaN and x < 0, and + 0.0 turns its -0.0 into 0.0
    out = np.fmax(x, 0.0)
    out += 0.0
    return out


def leaky_relu(x: Array, slope: float) -> Array:
    return np.where(np.greater(x, 0.0), x, np.multiply(slope, x))


def elu(x: Array, alpha: float) -> Array:
    return np.where(np.greater(x, 0.0), x, np.multiply(alpha, np.expm1(np.minimum(x, 0.0))))


def logsumexp(*xs: Array) -> Array:
    # Shift by the max so the largest exponent is 0 (notes 001, "shift exponential arguments").
    stacked = np.stack(np.broadcast_arrays(*xs))
    top = stacked.max(axis=0)
    return top + np.log(np.exp(stacked - top).sum(axis=0))


def step(x: Array) -> Array:
    """Heaviside step, relu's derivative: 1.0 where x > 0, else 0.0 (PyTorch's convention)."""
    return np.greater(x, 0.0).astype(float)


def sign(x: Array) -> Array:
    return np.sign(x).astype(float)


def xlogy(x: Array, y: Array) -> Array:
    """x * log(y), 0 where x == 0 (as ``scalar_math.xlogy``)."""
    zero = np.equal(x, 0.0)
    bad = ~zero & np.less_equal(y, 0.0)
    if bad.any():
        raise _fail(ValueError, "log is only defined for positive numbers", bad, y)
    return np.where(zero, 0.0, x * np.log(np.where(zero, 1.0, y)))


sin = np.sin
cos = np.cos
abs = np.abs  # noqa: A001 - numpy's, exposed under the namespace's name

"""Float kernels for the op table: plain Python floats, numerically stable, loud on bad input.

The op table (``ops.py``) writes every forward and local derivative once, in terms of a
small "math namespace" ``m`` (``m.exp``, ``m.step`` ...). This module is that namespace for
Python floats; ``array_math`` is the numpy one the compiled tape uses, and the engine builds
one from ``Value`` methods for higher-order gradients. Domain problems raise plain
``ValueError`` / ``ZeroDivisionError`` / ``OverflowError``; the engine adds the op name,
operand values and labels to the message.
"""

from __future__ import annotations

import math

exp_limit = 709.782712893384  # log(max float): exp beyond this overflows


def exp(x: float) -> float:
    if x > exp_limit:
        raise OverflowError(f"exp({x!r}) is larger than the largest float (exp overflows above {exp_limit:.2f})")
    return math.exp(x)


def log(x: float) -> float:
    if x <= 0.0:
        raise ValueError("log is only defined for positive numbers")
    return math.log(x)


def sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError("sqrt is only defined for non-negative numbers")
    return math.sqrt(x)


def pow(x: float, p: float) -> float:  # noqa: A001 - mirrors math.pow / numpy.power
    if x == 0.0 and p < 0.0:
        raise ZeroDivisionError(f"0 cannot be raised to the negative power {p!r}")
    if x < 0.0 and p != int(p):
        raise ValueError(f"a negative number cannot be raised to the fractional power {p!r} (the result is complex)")
    try:
        return math.pow(x, p)
    except OverflowError:
        raise OverflowError(f"{x!r} ** {p!r} is larger than the largest float") from None


def scaled_pow(c: float, x: float, p: float) -> float:
    """c * x ** p, taken as 0 where c == 0 (d(a^b)/da = b a^(b-1) is 0 at b = 0, even at a = 0)."""
    return 0.0 if c == 0.0 else c * pow(x, p)


def xlogy(x: float, y: float) -> float:
    """x * log(y), taken as 0 where x == 0 (the limit of a^b log a as a -> 0+ in d(a^b)/db)."""
    return 0.0 if x == 0.0 else x * log(y)


def div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError("division by zero")
    return a / b


def tanh(x: float) -> float:
    return math.tanh(x)  # saturates to +-1.0 for large |x|, never overflows


def sigmoid(x: float) -> float:
    # Two branches so exp only ever sees a non-positive argument: no overflow at +-1000.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exact and overflow-free.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def elu(x: float, alpha: float) -> float:
    return x if x > 0.0 else alpha * math.expm1(x)  # expm1: exact near 0, no overflow for x <= 0


def logsumexp(*xs: float) -> float:
    # Shift by the max so the largest exponent is 0 (notes 001, "shift exponential arguments").
    top = max(xs)
    return top + math.log(math.fsum(math.exp(x - top) for x in xs))


def step(x: float) -> float:
    """Heaviside step used as relu's derivative: 1 for x > 0, else 0 (PyTorch's convention)."""
    return 1.0 if x > 0.0 else 0.0


def sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


sin = math.sin
cos = math.cos
abs = abs  # noqa: A001 - the builtin, exposed under the namespace's name

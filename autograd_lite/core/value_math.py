"""The op table's math namespace over Values, for ``grad(create_graph=True)``.

Running an op's local derivatives with this namespace records them as a graph, so the
gradients it gives can be differentiated again (second, third ... derivatives).

    >>> from autograd_lite import Value
    >>> u = Value(0.5); d = value_math.sigmoid(u) * (1 - value_math.sigmoid(u)); d.op
    'mul'
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from . import scalar_math
from .engine import Value
from .errors import MATH_ERRORS
from .nary import logsumexp


def _on_values(name: str, of_values: Callable[..., Any]) -> Callable[..., Any]:
    """``of_values`` when an argument is a Value; on plain numbers (an op's constant, ``m.exp(k)``),
    the float kernel of the same name: a number's derivative is 0, so nothing needs recording."""
    on_floats = getattr(scalar_math, name)

    def function(*args: Any) -> Any:
        return of_values(*args) if any(isinstance(a, Value) for a in args) else on_floats(*args)

    function.__name__ = name
    return function


def _scaled_pow(c: Any, x: Any, p: Any) -> Any:
    """c * x ** p as Values; where c == 0 and x ** p does not exist (0 ** -1, an overflow) the number 0,
    as ``scalar_math.scaled_pow`` (elsewhere the product is kept, so its derivative in c survives)."""
    if (c.data if isinstance(c, Value) else c) != 0.0:
        return c * x ** p
    try:
        return c * x ** p
    except MATH_ERRORS:
        return 0.0


def _xlogy(x: Any, y: Any) -> Any:
    """x log y, taken as 0 where x == 0 (as ``scalar_math.xlogy``), with either one a Value."""
    if (x.data if isinstance(x, Value) else x) == 0.0:
        return 0.0
    return x * (y.log() if isinstance(y, Value) else scalar_math.log(y))


# step and sign are piecewise constant: their derivative is 0, so plain floats are exact.
_FUNCTIONS: dict[str, Callable[..., Any]] = dict(
    exp=Value.exp, log=Value.log, sqrt=Value.sqrt, sin=Value.sin, cos=Value.cos,
    tanh=Value.tanh, sigmoid=Value.sigmoid, softplus=Value.softplus, relu=Value.relu, abs=abs,
    leaky_relu=lambda u, slope: u.leaky_relu(slope),
    elu=lambda u, alpha: u.elu(alpha),
    logsumexp=lambda *xs: logsumexp(xs),
    pow=lambda a, p: a ** p,
    scaled_pow=_scaled_pow,
    div=lambda a, b: a / b,
    xlogy=_xlogy,
    step=lambda v: scalar_math.step(v.data),
    sign=lambda v: scalar_math.sign(v.data),
)
value_math = SimpleNamespace(**{name: _on_values(name, f) for name, f in _FUNCTIONS.items()})

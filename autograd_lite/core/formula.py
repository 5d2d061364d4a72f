"""Formulas as text, read from the code that computes them: a math namespace over symbols.

An op's forward and local derivatives are written once against a math namespace ``m``
(``m.exp``, ``m.sigmoid`` ...). Run with ``formula_math`` and ``Symbol`` operands, the same
code returns the formula itself, as plain text and as LaTeX, so a user-defined op shows its
derivative in ``explain`` without being written a second time. Anything that is not a formula
(an ``if`` on a value, ``math.exp``, a numpy function) raises ``FormulaError``: such code would
not run on the compiled tape's numpy arrays either.

    >>> u, y = Symbol.variable("u"), Symbol.variable("y")
    >>> d = formula_math.sigmoid(u) + y * (1 - formula_math.sigmoid(u))
    >>> d.text, d.latex
    ('sigmoid(u) + y * (1 - sigmoid(u))', '\\\\sigma(u) + y \\\\, (1 - \\\\sigma(u))')
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

# Binding strength: a sum binds loosest, then products, unary minus, powers, and atoms (names, calls).
_SUM, _PRODUCT, _NEGATION, _POWER, _ATOM = 1, 2, 3, 4, 5


class FormulaError(TypeError):
    """The code is not a formula over the math namespace (control flow on values, a foreign function ...)."""


def _number(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


class Symbol:
    """A formula under construction: its text, its LaTeX and how tightly it binds."""

    __slots__ = ("text", "latex", "strength")

    def __init__(self, text: str, latex: str, strength: int = _ATOM) -> None:
        self.text, self.latex, self.strength = text, latex, strength

    @classmethod
    def variable(cls, name: str) -> Symbol:
        """A named operand: ``u``, ``a``, ``x_2`` (LaTeX ``x_{2}``)."""
        base, _, sub = name.partition("_")
        return cls(name, f"{base}_{{{sub}}}" if sub else name)

    @classmethod
    def of(cls, x: Any) -> Symbol:
        if isinstance(x, Symbol):
            return x
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise FormulaError(f"a formula can hold numbers and the math namespace's results, not {type(x).__name__}")
        text = _number(x)
        return cls(text, text, _ATOM if x >= 0 else _NEGATION)

    def _at(self, strength: int) -> tuple[str, str]:
        """Text and LaTeX, parenthesised where this formula binds looser than ``strength``."""
        if self.strength < strength:
            return f"({self.text})", rf"({self.latex})"
        return self.text, self.latex

    # --- arithmetic builds text ----------------------------------------------------------
    def _infix(self, other: Any, op: str, latex_op: str, strength: int, swap: bool = False) -> Symbol:
        left, right = (Symbol.of(other), self) if swap else (self, Symbol.of(other))
        # the right operand of - and / needs parentheses at equal strength too: a - (b + c), a / (b * c);
        # a negative one always does: a * (-2), a - (-b)
        tight = _ATOM if right.strength == _NEGATION else strength + (1 if op in ("-", "/") else 0)
        (lt, ll), (rt, rl) = left._at(strength), right._at(tight)
        return Symbol(f"{lt} {op} {rt}", f"{ll} {latex_op} {rl}", strength)

    def __add__(self, other: Any) -> Symbol:
        return self._infix(other, "+", "+", _SUM)

    def __radd__(self, other: Any) -> Symbol:
        return self._infix(other, "+", "+", _SUM, swap=True)

    def __sub__(self, other: Any) -> Symbol:
        return self._infix(other, "-", "-", _SUM)

    def __rsub__(self, other: Any) -> Symbol:
        return self._infix(other, "-", "-", _SUM, swap=True)

    def __mul__(self, other: Any) -> Symbol:
        return self._infix(other, "*", r"\,", _PRODUCT)

    def __rmul__(self, other: Any) -> Symbol:
        return self._infix(other, "*", r"\,", _PRODUCT, swap=True)

    def __truediv__(self, other: Any) -> Symbol:
        return _divide(self, other)

    def __rtruediv__(self, other: Any) -> Symbol:
        return _divide(other, self)

    def __pow__(self, other: Any) -> Symbol:
        return _power(self, other)

    def __rpow__(self, other: Any) -> Symbol:
        return _power(other, self)

    def __neg__(self) -> Symbol:
        text, latex = self._at(_POWER)
        return Symbol(f"-{text}", f"-{latex}", _NEGATION)

    def __pos__(self) -> Symbol:
        return self

    def __abs__(self) -> Symbol:
        return Symbol(f"|{self.text}|", rf"\lvert {self.latex} \rvert")

    # --- anything that needs a number is not a formula -----------------------------------
    def _refuse(self, *_: Any) -> Any:
        raise FormulaError(f"the code compares or converts {self.text!r} as a number (an if, max, min, float(), "
                           "math.* or numpy function); write it with the math namespace m and arithmetic "
                           "(m.step(u) for u > 0, m.relu, m.abs ...), so it runs on floats, arrays and Values alike")

    __bool__ = __float__ = __int__ = __index__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _refuse
    __hash__ = None  # type: ignore[assignment]
    __array__ = __array_ufunc__ = _refuse  # numpy functions: refused the same way

    def __repr__(self) -> str:
        return f"Symbol({self.text!r})"


def _divide(top: Any, bottom: Any) -> Symbol:
    top, bottom = Symbol.of(top), Symbol.of(bottom)
    tt, _ = top._at(_PRODUCT)
    bt, _ = bottom._at(_PRODUCT + 1)
    return Symbol(f"{tt} / {bt}", rf"\frac{{{top.latex}}}{{{bottom.latex}}}", _PRODUCT)


def _power(base: Any, exponent: Any) -> Symbol:
    base, exponent = Symbol.of(base), Symbol.of(exponent)
    bt, bl = base._at(_ATOM)
    et, _ = exponent._at(_ATOM)
    return Symbol(f"{bt}^{et}", f"{bl}^{{{exponent.latex}}}", _POWER)


def _call(name: str, latex: str) -> Any:
    """A function of the namespace shown as ``name(args)``; ``latex`` is a template over ``{0}``, ``{1}`` ..."""
    def function(*args: Any) -> Symbol:
        symbols = [Symbol.of(a) for a in args]
        return Symbol(f"{name}({', '.join(s.text for s in symbols)})", latex.format(*(s.latex for s in symbols)))
    function.__name__ = name
    return function


formula_math = SimpleNamespace(
    exp=_call("exp", r"e^{{{0}}}"),
    log=_call("log", r"\ln({0})"),
    sqrt=_call("sqrt", r"\sqrt{{{0}}}"),
    tanh=_call("tanh", r"\tanh({0})"),
    sigmoid=_call("sigmoid", r"\sigma({0})"),
    relu=_call("relu", r"\operatorname{{relu}}({0})"),
    leaky_relu=_call("leaky_relu", r"\operatorname{{leaky\_relu}}({0}, {1})"),
    elu=_call("elu", r"\operatorname{{elu}}({0}, {1})"),
    softplus=_call("softplus", r"\operatorname{{softplus}}({0})"),
    sin=_call("sin", r"\sin({0})"),
    cos=_call("cos", r"\cos({0})"),
    step=_call("step", r"[{0} > 0]"),
    sign=_call("sign", r"\operatorname{{sign}}({0})"),
    abs=lambda x: abs(Symbol.of(x)),
    pow=lambda x, p: Symbol.of(x) ** p,
    scaled_pow=lambda c, x, p: Symbol.of(c) * Symbol.of(x) ** p,
    div=lambda a, b: Symbol.of(a) / b,
    xlogy=lambda x, y: Symbol.of(x) * _call("log", r"\ln({0})")(y),
    logsumexp=lambda *xs: _call("logsumexp", r"\operatorname{{logsumexp}}(" + ", ".join(
        f"{{{i}}}" for i in range(len(xs))) + ")")(*xs),
)
"""The math namespace over ``Symbol``s: every function returns the formula that calls it."""

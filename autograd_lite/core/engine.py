"""The engine: ``Value``, a number that remembers the operation that made it.

Every arithmetic operator and method looks its op up in the table in ``ops.py``, computes
the forward there, and records ``(op, inputs)`` on the new Value. A Value holds no closure
and no reference back to its users, so a graph has no reference cycles: it is freed the
moment the last name for its output goes away, without waiting for the garbage collector.

    >>> x = Value(2.0, label="x"); y = (x * x + 1).tanh(); y.backward()
    >>> round(x.grad, 6)
    0.000726
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable
from operator import attrgetter
from typing import Any, Union, cast

import numpy as np

from . import scalar_math
from .errors import MATH_ERRORS, describe_failure, reworded, short
from .grad_mode import is_grad_enabled
from .grad_mode import modes as _modes
from .handwritten import HAND_WRITTEN, MicrogradNames, make_hand_written
from .ops import OPS, Op
from .unknown import Unknown

Number = Union[int, float, bool, np.number, np.bool_]  # noqa: UP007 - evaluated at import on 3.10
Operand = Union["Value", int, float]  # noqa: UP007


class Value(MicrogradNames):
    """A scalar in a computation graph: ``data``, ``grad`` and how it was made.

    >>> a = Value(3.0, label="a"); b = a * a + a; b.backward()
    >>> a.grad  # d(a^2 + a)/da = 2a + 1
    7.0

    Attributes: ``data`` (float), ``grad`` (float, starts 0.0, accumulates across
    ``backward()`` calls as in PyTorch), ``label``, ``op`` (the op's name, ``""`` for a
    leaf), ``inputs`` (tuple of the operand Values) and ``param`` (the op's constant: an
    exponent, a slope; else None).

    micrograd's constructor works too, for ops written by hand as in its lecture:
    ``out = Value(t, (self,), 'tanh')`` then ``out._backward = _backward`` (see ``handwritten``).
    ``Value(data, "x")`` is ``Value(data, label="x")``.
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "param", "_g")

    def __init__(self, data: Number, _children: Any = (), _op: str = "", label: str = "") -> None:
        self.data = as_float(data, "Value(data)")
        if isinstance(_children, str):  # Value(data, "x") is Value(data, label="x"), as it has always been
            if label:
                raise TypeError(f"Value(data, {_children!r}, label={label!r}): two labels; the second argument is "
                                "micrograd's _children (a tuple of Values) or the label")
            _children, label = (), _children
        if not isinstance(label, str):
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__}")
        if not isinstance(_op, str):
            raise TypeError(f"Value(_op) must be a str, got {type(_op).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.inputs: tuple[Value, ...] = ()
        self.param: Any = None
        self._g = 0.0  # this backward pass's gradient, before it is added to .grad
        if _children or _op:  # micrograd's Value(data, _children, _op): an op written by hand
            make_hand_written(self, _children, _op, is_grad_enabled())

    # --- arithmetic ----------------------------------------------------------------------
    def __add__(self, other: Operand) -> Value:
        if type(other) is Value:  # the common case, without _binary's checks
            return _apply(_ADD, (self, other), None, (self.data, other.data))
        return _binary(_ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        return _binary(_ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        if type(other) is Value:  # the common case, without _binary's checks
            return _apply(_SUB, (self, other), None, (self.data, other.data))
        return _binary(_SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _binary(_SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        if type(other) is Value:  # the common case, without _binary's checks
            return _apply(_MUL, (self, other), None, (self.data, other.data))
        return _binary(_MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        return _binary(_MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        if type(other) is Value:  # the common case, without _binary's checks
            return _apply(_DIV, (self, other), None, (self.data, other.data))
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _binary(_DIV, other, self)

    def __pow__(self, exponent: Operand) -> Value:
        if isinstance(exponent, Value):
            return _apply(_POWV, (self, exponent))
        if not _is_real(exponent):
            return NotImplemented
        return _apply(_POW, (self,), as_float(exponent, "exponent"), (self.data,))

    def __rpow__(self, base: Operand) -> Value:
        return _binary(_POWV, base, self)

    def __neg__(self) -> Value:
        return _apply(_NEG, (self,), None, (self.data,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _apply(OPS["abs"], (self,), None, (self.data,))

    # --- functions ---------------------------------------------------------------------
    def exp(self) -> Value:
        """e ** self."""
        return _apply(OPS["exp"], (self,), None, (self.data,))

    def log(self) -> Value:
        """Natural logarithm; ValueError for data <= 0."""
        return _apply(OPS["log"], (self,), None, (self.data,))

    def sqrt(self) -> Value:
        """Square root; ValueError for data < 0."""
        return _apply(OPS["sqrt"], (self,), None, (self.data,))

    def tanh(self) -> Value:
        """Hyperbolic tangent (saturates to +-1, never overflows)."""
        return _apply(OPS["tanh"], (self,), None, (self.data,))

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e^-x), stable for any x."""
        return _apply(OPS["sigmoid"], (self,), None, (self.data,))

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken as 0, as in PyTorch."""
        return _apply(OPS["relu"], (self,), None, (self.data,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x."""
        return _apply(OPS["leaky_relu"], (self,), as_float(slope, "slope"), (self.data,))

    def elu(self, alpha: float = 1.0) -> Value:
        """x for x > 0, else alpha * (e^x - 1)."""
        return _apply(OPS["elu"], (self,), as_float(alpha, "alpha"), (self.data,))

    def softplus(self) -> Value:
        """log(1 + e^x), stable for any x."""
        return _apply(OPS["softplus"], (self,), None, (self.data,))

    def sin(self) -> Value:
        """Sine (radians)."""
        return _apply(OPS["sin"], (self,), None, (self.data,))

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _apply(OPS["cos"], (self,), None, (self.data,))

    # --- autodiff ----------------------------------------------------------------------
    def backward(self, gradient: float = 1.0) -> None:
        """Add d self / d node * gradient to the ``.grad`` of every node of the graph.

        >>> x = Value(3.0); y = x * x; y.backward(); y.backward()
        >>> x.grad  # accumulates, as in PyTorch: 6 + 6
        12.0
        """
        from .backprop import backward

        backward(self, gradient)

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph."""
        return Value(self.data, self.label)

    def item(self) -> float:
        """The data as a Python float (PyTorch's name)."""
        return float(self.data)  # float(): while compile traces, an unknown value refuses here

    def __float__(self) -> float:
        return float(self.data)

    def __bool__(self) -> bool:
        """Truth follows the data, as for a float (and a one-element PyTorch tensor): ``bool(Value(0.0))`` is False."""
        return bool(self.data)

    # --- comparison and display --------------------------------------------------------
    # == and hash stay identity-based: graphs use Values as dict keys. Numbers compare as floats do,
    # infinities included (the ``best = float("inf")`` idiom).
    def __lt__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data < o

    def __le__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data <= o

    def __gt__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data > o

    def __ge__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data >= o

    def __repr__(self) -> str:
        extra = f", label={short(self.label)!r}" if self.label else ""
        if self.op == HAND_WRITTEN:
            extra += f", op={short(self.param.symbol)!r} (hand-written)"
        elif self.op:
            extra += f", op={self.op!r}"
        data = "?" if type(self.data) is Unknown else f"{self.data:.6g}"  # being traced: not known yet
        return f"Value(data={data}, grad={self.grad:.6g}{extra})"


# --- making nodes ----------------------------------------------------------------------
_new = object.__new__
_get_ident = threading.get_ident
_data = attrgetter("data")
_isfinite = math.isfinite
_ADD, _SUB, _MUL, _DIV = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"]
_NEG, _POW, _POWV = OPS["neg"], OPS["pow"], OPS["powv"]


def _apply(op: Op, inputs: tuple[Value, ...], param: Any = None, xs: tuple[float, ...] | None = None) -> Value:
    """Run ``op`` forward on ``inputs`` (whose data are ``xs``) and return the recorded result node."""
    if xs is None:
        xs = tuple(map(_data, inputs))
    if _modes and _get_ident() in _modes:  # this thread is inside no_grad() or being traced: rare
        return _apply_in_mode(op, inputs, param, xs)
    try:
        y = op.forward(scalar_math, xs, param)
    except MATH_ERRORS as error:
        raise reworded(error, describe_failure(op, inputs, param, str(error))) from None
    if not _isfinite(y):
        raise OverflowError(describe_failure(op, inputs, param, f"the result {y} is not a finite float"))
    out = _new(Value)
    out.data = y
    out.grad = 0.0
    out.label = ""
    out.param = param
    out.op = op.name
    out.inputs = inputs
    out._g = 0.0
    return out


make_node = _apply  # the public name, for the modules that make nodes of their own (``nary``)


def _apply_in_mode(op: Op, inputs: tuple[Value, ...], param: Any, xs: tuple[Any, ...]) -> Value:
    """``_apply`` for a thread inside ``no_grad()`` or being traced by compile: the default path, then the mode.

    The thread's mode is set aside while the default path runs (other threads are not affected).
    """
    ident = _get_ident()
    recording, session = mode = _modes.pop(ident)
    try:
        if session is not None and any(type(x) is Unknown for x in xs):  # compile is tracing: nothing to compute
            out = Value(0.0)
            out.data = cast(float, Unknown(session, f"the result of {op.name}"))  # the float it stands for
            out.op, out.inputs, out.param = op.name, inputs, param
        else:
            out = _apply(op, inputs, param, xs)
    finally:
        _modes[ident] = mode
    if not recording:
        out.op, out.inputs = "", ()
    return out


def _is_real(x: Any) -> bool:
    if type(x) in _PLAIN_NUMBERS:  # fast path: the ABC check below is slow
        return True
    return isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, np.ndarray)


def as_float(x: Any, what: str) -> float:
    """``x`` as a finite float, or a TypeError / ValueError that says what ``what`` got."""
    if type(x) is Unknown:  # Value(x.data) or x.detach() while compile traces x: a frozen constant
        x.session.refuse(x.what, f"makes a constant ({what}) from")
    if isinstance(x, Value):
        raise TypeError(f"{what} must be a real number, got a Value; use value.data or value.detach()")
    if not _is_real(x):
        raise TypeError(
            f"{what} must be a real number (int, float, bool or numpy scalar), got {type(x).__name__}: {x!r:.60}"
        )
    try:
        x = float(x)
    except OverflowError:
        raise ValueError(f"{what} must be a finite number, got an integer too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {x}")
    return x


_PLAIN_NUMBERS = {float, int, bool}
_BIG_INT = 2**53  # every int below this in size converts to a float exactly


def _binary(op: Op, a: Any, b: Any) -> Value:
    """``op(a, b)`` with numbers on either side wrapped as constants; NotImplemented for other types."""
    if type(a) is not Value:
        a = _operand(a)
        if a is None:
            return NotImplemented
    if type(b) is not Value:
        b = _operand(b)
        if b is None:
            return NotImplemented
    return _apply(op, (a, b), None, (a.data, b.data))


def _operand(x: Any) -> Value | None:
    """Wrap a number as a constant leaf; None (so Python says 'unsupported') for other types."""
    if type(x) is int and -_BIG_INT < x < _BIG_INT:  # a small int (``1 + v``, ``-y * score``): exactly a float
        x = float(x)
    if type(x) is float and x - x == 0.0:  # a finite float, the common case (micrograd's inputs): what Value(x) makes
        out = _new(Value)
        out.data, out.grad, out.label, out.op, out.inputs, out.param, out._g = x, 0.0, "", "", (), None, 0.0
        return out
    if isinstance(x, Value):
        return x
    if not _is_real(x):
        return None
    return Value(as_float(x, "operand"))


def _compared(x: Any) -> Any:
    """What a Value is compared with: another Value's data, or a real number as it is (infinities too, so
    ``best = float("inf")`` works; NaN is refused: every comparison with it would be False)."""
    if isinstance(x, Value):
        return x.data
    if not _is_real(x):
        return None
    if x != x:
        raise ValueError("a Value cannot be compared with NaN (the comparison operand must not be NaN)")
    return x


def apply_op(op: Op, inputs: Iterable[Operand], param: Any = None) -> Value:
    """The node ``op(inputs; param)``, numbers among the inputs made constants (``define_op``'s ops use it).

    >>> apply_op(OPS["mul"], [Value(2.0), 3]).data
    6.0
    """
    values = as_values(inputs, op.name)
    if op.arity and len(values) != op.arity:
        raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(values)}")
    return _apply(op, values, param)


# --- checking the operands of n-ary ops (``nary`` makes the nodes) ---------------------------
def as_values(items: Iterable[Operand], what: str) -> tuple[Value, ...]:
    """``items`` as a tuple of Values, numbers made constants; a TypeError naming ``what`` and the position else.

    >>> [v.data for v in as_values([Value(1.0), 2], "sum")]
    [1.0, 2.0]
    """
    items = tuple(items)
    if set(map(type, items)) <= _ONLY_VALUES:  # the common case, checked at C speed
        return cast("tuple[Value, ...]", items)  # every item is a Value: checked just above
    out = []
    for i, item in enumerate(items):
        try:
            v = _operand(item)
        except ValueError as error:  # a number that is not finite, or too large for a float: say where it was
            raise ValueError(f"{what}: item {i}: {error}") from None
        if v is None:
            raise TypeError(f"{what}: item {i} must be a Value or a real number, got {type(item).__name__}")
        out.append(v)
    return tuple(out)


_ONLY_VALUES = {Value}

"""Ops that users define: one call adds an entry to the op table, and every consumer knows it.

    >>> import autograd_lite as ag
    >>> swish = ag.define_op("swish_doc", lambda m, u: u * m.sigmoid(u),
    ...                      lambda m, u, y: m.sigmoid(u) + y * (1 - m.sigmoid(u)))
    >>> x = ag.Value(1.0, label="x"); y = swish(x); y.backward(); round(x.grad, 4)
    0.9277
    >>> ag.OPS["swish_doc"].partial(0, 1)
    'sigmoid(u) + y * (1 - sigmoid(u))'

The forward and the local derivatives are written once against the math namespace ``m``, as the
built-in ops are, so the same code runs on floats (``backward``), on Values
(``grad(create_graph=True)``: second and third derivatives), on numpy arrays (the compiled
tape) and on symbols, which turns it into the formula text that ``explain`` and ``draw`` show.
``define_op`` checks the definition before adding it: it must be written with ``m`` and
arithmetic only (no ``if`` on values, no ``math.*`` or numpy functions), give one derivative
per input, and the derivative must agree with finite differences of the forward.
"""

from __future__ import annotations

import inspect
import itertools
import keyword
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from . import scalar_math
from .engine import Value, apply_op, as_float
from .errors import MATH_ERRORS
from .formula import FormulaError, Symbol, formula_math
from .ops import BUILT_IN, MATH_FUNCTIONS, OPS, Op, operand_names, register
from .value_math import value_math

_PROBES = (0.37, 1.21, -0.63, 2.3, -1.7, 0.05)  # where the derivative is checked: away from 0 and +-1, where kinks sit


def define_op(
    name: str,
    forward: Callable[..., Any],
    derivative: Callable[..., Any],
    *,
    symbol: str | None = None,
    formula: str | Sequence[str] | None = None,
    formula_latex: str | Sequence[str] | None = None,
    param_name: str = "",
    param_default: float = 1.0,
    check: bool = True,
    replace: bool = False,
) -> Callable[..., Value]:
    """Add the op ``name`` to the table and return a function that applies it to Values or numbers.

    >>> import autograd_lite as ag
    >>> cube = ag.define_op("cube_doc", lambda m, u: u ** 3, lambda m, u, y: 3 * u ** 2)
    >>> x = ag.Value(2.0); (d,) = ag.grad(cube(x), [x], create_graph=True); ag.grad(d, [x])[0].data
    12.0

    - ``forward(m, *inputs)`` gives the output; ``derivative(m, *inputs, y)`` gives d y / d input
      (a tuple of them for two or more inputs), where ``y`` is the output. Write both with the
      math namespace ``m`` (``m.exp``, ``m.log``, ``m.sigmoid``, ``m.tanh``, ``m.step`` ...) and
      arithmetic, without ``if`` on values, so floats, arrays and Values all run them. The number
      of inputs is read from ``forward``'s parameters.
    - ``symbol``: what a diagram writes in the op's circle (default: ``name``).
    - ``formula`` / ``formula_latex``: the derivative as text / LaTeX, one per input (default:
      read from ``derivative`` itself); in them the inputs are ``u`` (one input), ``a`` and ``b``
      (two) or ``x_1``, ``x_2`` ... and the output is ``y``.
    - ``param_name``: the op takes a constant (a slope, a temperature) after its inputs, called
      this in the formulas and passed last to ``forward`` and ``derivative``; ``param_default``
      is its value when none is given, and the one the definition is checked at.
    - ``check``: test the derivative against central differences of the forward at a few points
      (off for a deliberately different backward, such as a straight-through estimator).
    - ``replace``: redefine an op this process defined before (a notebook cell run again).
    """
    _check_name(name)
    for what, fn in (("forward", forward), ("derivative", derivative)):
        if not callable(fn):
            raise TypeError(f"define_op({name!r}): {what} must be a function of m and the inputs, "
                            f"got {type(fn).__name__}")
    has_param = bool(param_name)
    arity = _arity(name, forward, has_param)
    names = operand_names(arity)
    if has_param:
        _check_name(param_name, f"define_op({name!r}): param_name")
        taken = {*names, "y", "m", *MATH_FUNCTIONS}
        if param_name in taken:
            raise ValueError(f"define_op({name!r}): param_name {param_name!r} is taken in the formulas (the inputs "
                             f"are {', '.join(names)}, the output y, and the functions of m); choose another")
        param_default = as_float(param_default, f"define_op({name!r}) param_default")
    key = _key(name, replace)
    texts, latexes = _formulas(name, forward, derivative, arity, names, param_name)
    op = Op(
        name=key,
        symbol=_symbol(name, symbol, has_param),
        arity=arity,
        forward=_forward(key, forward, has_param),
        local=_local(derivative, arity, has_param),
        expression=f"{name}({', '.join(f'{{{i}}}' for i in range(arity))}{', {p}' if has_param else ''})",
        partials=_given(formula, arity, "formula", name) or texts,
        partials_latex=_given(formula_latex, arity, "formula_latex", name) or latexes,
        expression_latex=(rf"\operatorname{{{{{_latex_name(name)}}}}}("
                          + ", ".join(f"{{{i}}}" for i in range(arity)) + (", {p})" if has_param else ")")),
        param_name=param_name,
    )
    if check:
        _check_derivative(op, param_default if has_param else None)
    register(op)
    return _applier(op, has_param, param_default)


# --- reading the definition ------------------------------------------------------------------
def _check_name(name: Any, what: str = "define_op: name") -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(f"{what} must be a plain Python identifier such as 'swish' (letters, digits and "
                         f"underscores, not starting with one), got {name!r}")


def _key(name: str, replace: bool) -> str:
    """The op's name in the table. A redefinition gets a name of its own (``swish#2``), so the nodes made by
    the first definition keep their forward and their derivative together."""
    if name in BUILT_IN:
        raise ValueError(f"define_op: {name!r} is a built-in op; choose another name")
    if name not in OPS:
        return name
    if not replace:
        raise ValueError(f"define_op: an op named {name!r} is already defined; choose another name, or pass "
                         "replace=True to define it anew (say, when a notebook cell runs again)")
    return next(f"{name}#{k}" for k in itertools.count(2) if f"{name}#{k}" not in OPS)


def _arity(name: str, forward: Callable[..., Any], has_param: bool) -> int:
    """The number of inputs: ``forward``'s positional parameters after ``m`` (and before the constant)."""
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(f"define_op({name!r}): cannot read forward's parameters; write it as def or lambda") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not parameters or any(p.kind not in kinds for p in parameters):
        raise TypeError(f"define_op({name!r}): forward must take m, then each input (then the constant), "
                        "like lambda m, u: ...; no *args or keyword-only parameters")
    arity = len(parameters) - 1 - has_param
    if arity < 1:
        raise TypeError(f"define_op({name!r}): forward takes {len(parameters)} parameter(s); it needs m and at "
                        f"least one input{' and the constant' if has_param else ''}")
    return arity


def _formulas(name: str, forward: Callable[..., Any], derivative: Callable[..., Any], arity: int, names: list[str],
              param_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Run forward and derivative on symbols: they must be formulas; the derivative's text and LaTeX."""
    inputs = [Symbol.variable(n) for n in names]
    constant = [Symbol.variable(param_name)] if param_name else []
    try:
        _one(forward(formula_math, *inputs, *constant), name, "forward")
        partials = derivative(formula_math, *inputs, Symbol.variable("y"), *constant)
    except FormulaError as error:
        raise TypeError(f"define_op({name!r}): {error}") from None
    except TypeError as error:  # wrong number of parameters, most often
        raise TypeError(f"define_op({name!r}): calling it on symbols failed ({error}); forward is "
                        f"forward(m, {', '.join(names)}{', ' + param_name if param_name else ''}) and derivative is "
                        f"derivative(m, {', '.join(names)}, y{', ' + param_name if param_name else ''})") from None
    partials = _as_tuple(partials)
    if len(partials) != arity:
        raise ValueError(f"define_op({name!r}): derivative must give {arity} partial derivative(s), one per input "
                         f"(d y / d {', d y / d '.join(names)}), got {len(partials)}")
    symbols = [_one(p, name, "derivative") for p in partials]
    return tuple(s.text for s in symbols), tuple(s.latex for s in symbols)


def _one(x: Any, name: str, what: str) -> Symbol:
    try:
        return Symbol.of(x)
    except FormulaError:
        raise TypeError(f"define_op({name!r}): {what} must give a formula of its inputs (numbers and m's functions), "
                        f"got {type(x).__name__}") from None


def _as_tuple(partials: Any) -> tuple:
    return tuple(partials) if isinstance(partials, (tuple, list)) else (partials,)


def _given(texts: str | Sequence[str] | None, arity: int, what: str, name: str) -> tuple[str, ...] | None:
    if texts is None:
        return None
    texts = (texts,) if isinstance(texts, str) else tuple(texts)
    if len(texts) != arity or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"define_op({name!r}): {what} must be {arity} string(s), one per input")
    return texts


def _symbol(name: str, symbol: str | None, has_param: bool) -> str:
    """The diagram's text for the op; ``{p}`` in it stands for the constant."""
    if symbol is None:
        return name + ("({p})" if has_param else "")
    if not isinstance(symbol, str):
        raise TypeError(f"define_op({name!r}): symbol must be a str, got {type(symbol).__name__}")
    try:
        symbol.format(p="1")
    except (KeyError, IndexError, ValueError, AttributeError):
        raise ValueError(f"define_op({name!r}): symbol {symbol!r}: {{p}} stands for the constant; write other "
                         "braces twice ({{ and }})") from None
    return symbol


def _latex_name(name: str) -> str:
    return name.replace("_", r"\_")


# --- the table entry -----------------------------------------------------------------------
def _forward(name: str, forward: Callable[..., Any], has_param: bool) -> Callable[[Any, tuple, Any], Any]:
    """The table's ``forward(m, xs, p)``; on floats its result is made a float (the engine stores it as is)."""
    def run(m: Any, xs: tuple, p: Any) -> Any:
        y = forward(m, *xs, p) if has_param else forward(m, *xs)
        return _real(name, y) if m is scalar_math else y
    return run


def _local(derivative: Callable[..., Any], arity: int, has_param: bool) -> Callable[[Any, tuple, Any, Any], tuple]:
    if has_param:
        return lambda m, xs, y, p: _as_tuple(derivative(m, *xs, y, p))
    return lambda m, xs, y, p: _as_tuple(derivative(m, *xs, y))


def _applier(op: Op, has_param: bool, default: float) -> Callable[..., Value]:
    def apply(*inputs: Any, **constant: Any) -> Value:
        if has_param:
            given = constant.pop(op.param_name, None)
            if len(inputs) == op.arity + 1:  # the constant by position, after the inputs
                if given is not None:
                    raise TypeError(f"{op.name}() got {op.param_name} twice: by position and by keyword")
                inputs, given = inputs[:-1], inputs[-1]
            param = as_float(default if given is None else given, f"{op.name}({op.param_name})")
        else:
            param = None
        if constant:
            raise TypeError(f"{op.name}() got an unexpected keyword argument {next(iter(constant))!r}")
        return apply_op(op, inputs, param)

    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = (f"{op.show(op.operand_names(op.arity), param=None if not has_param else default)}: a node of the "
                     f"op {op.name!r}; d/d{op.operand_names(op.arity)[0]} = {op.partial(0, op.arity)}")
    apply.op = op  # type: ignore[attr-defined]
    return apply


# --- checking the derivative ---------------------------------------------------------------------
def _check_derivative(op: Op, param: float | None) -> None:
    """The derivative against central differences of the forward, and the same numbers from Values."""
    checked = 0
    for k in range(len(_PROBES)):
        xs = tuple(_PROBES[(k + 2 * i) % len(_PROBES)] * (1 + 0.1 * i) for i in range(op.arity))
        try:
            y = op.forward(scalar_math, xs, param)
            partials = [float(d) for d in op.local(scalar_math, xs, y, param)]
            estimates = [_central_difference(op, xs, i, param) for i in range(op.arity)]
        except MATH_ERRORS:
            continue  # outside the op's domain (log of a negative ...): another point will do
        if not all(map(math.isfinite, [y, *partials, *estimates])):
            continue
        with_values = _with_values(op, xs, param)
        for i, (d, estimate, v) in enumerate(zip(partials, estimates, with_values)):
            where = ", ".join(f"{n} = {x:g}" for n, x in zip(op.operand_names(op.arity), xs))
            if abs(d - estimate) > 1e-4 * max(1.0, abs(d), abs(estimate)):
                raise ValueError(f"define_op({op.name!r}): the derivative does not match the forward: at {where}, "
                                 f"d y / d {op.operand_names(op.arity)[i]} is {d:.6g} by the derivative but "
                                 f"{estimate:.6g} by finite differences of the forward (pass check=False if the "
                                 "difference is intended)")
            if abs(d - v) > 1e-9 * max(1.0, abs(d)):
                raise ValueError(f"define_op({op.name!r}): the derivative gives {d!r} on floats but {v!r} on Values "
                                 f"at {where}; use m's functions, not Python's, so both agree")
        checked += 1
    if not checked:
        raise ValueError(f"define_op({op.name!r}): the forward or derivative failed at every test point "
                         f"{_PROBES}; pass check=False to skip the check")


def _central_difference(op: Op, xs: tuple[float, ...], i: int, param: float | None) -> float:
    h = 1e-6 * max(1.0, abs(xs[i]))
    moved = lambda shift: tuple(x + shift if j == i else x for j, x in enumerate(xs))
    f = lambda shift: op.forward(scalar_math, moved(shift), param)
    return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)


def _real(name: str, y: Any) -> float:
    """A forward's result on floats as a float: a complex number ((-1.0) ** 0.5 in Python) is outside the
    op's domain, anything else but a number is a mistake in the forward."""
    if type(y) is float:
        return y
    if isinstance(y, complex):
        raise ValueError("the result is a complex number; use m.sqrt or m.pow, which refuse a negative base")
    if isinstance(y, (bool, Value)) or not isinstance(y, numbers.Real):
        raise TypeError(f"{name}: the forward must give a number for float inputs, got {type(y).__name__}")
    return float(y)


def _with_values(op: Op, xs: tuple[float, ...], param: float | None) -> list[float]:
    """The local derivatives as ``grad(create_graph=True)`` computes them, on Values."""
    inputs = tuple(Value(x) for x in xs)
    y = apply_op(op, inputs, param)
    return [d.data if isinstance(d, Value) else float(d) for d in op.local(value_math, inputs, y, param)]


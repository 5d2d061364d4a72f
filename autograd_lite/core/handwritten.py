"""Nodes made micrograd's way: ``Value(t, (self,), 'tanh')`` and a hand-written ``_backward`` closure.

micrograd's lecture writes each op by hand: the forward, then a closure that adds the op's
share to its inputs' ``.grad``. Such a node is not in the op table, so the engine cannot know
its formula; it runs the closure instead, exactly as micrograd would (``out.grad`` set to the
gradient arriving at the node), and reads what the closure added to each input's ``.grad``.
Table ops keep no closures; only these nodes do.

    >>> from autograd_lite import Value
    >>> x = Value(2.0, label="x")
    >>> out = Value(x.data ** 2, (x,), "square")
    >>> def _backward():
    ...     x.grad += 2 * x.data * out.grad
    >>> out._backward = _backward
    >>> contributions(out, 1.0)
    (4.0,)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import scalar_math
from .ops import LOCAL, OPS, Op

if TYPE_CHECKING:
    from .engine import Value

HAND_WRITTEN = "hand-written"
"""``Value.op`` of a node made micrograd's way (not an identifier, so no table op can take the name)."""


class HandWritten:
    """What a hand-made node keeps in its ``param``: micrograd's ``_op`` text and its ``_backward`` closure."""

    __slots__ = ("symbol", "backward")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.backward: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"HandWritten({self.symbol!r})"


def make_hand_written(node: Value, children: Any, symbol: str, recording: bool) -> None:
    """Make ``node`` (just built by ``Value(data, _children, _op)``) a hand-made node of ``children``.

    Under ``no_grad()`` (``recording`` False) it stays a leaf, like any other result.
    """
    try:
        inputs = tuple(children)
    except TypeError:
        raise TypeError(f"Value(_children) must be a tuple of Values, got {type(children).__name__}") from None
    for i, x in enumerate(inputs):
        if not isinstance(x, type(node)):
            raise TypeError(f"Value(_children)[{i}] must be a Value, got {type(x).__name__}")
    if not inputs:
        raise ValueError(f"Value(_op={symbol!r}) needs the op's inputs in _children")
    if recording:
        node.op, node.inputs, node.param = HAND_WRITTEN, inputs, HandWritten(symbol)


def is_hand_written(node: Value) -> bool:
    """True for a node made with ``Value(data, _children, _op)`` rather than by a table op."""
    return node.op == HAND_WRITTEN


def describe(node: Value) -> str:
    """How error messages name the node: ``the hand-written 'tanh' node Value(...)``."""
    return f"the hand-written {node.param.symbol!r} node {node!r}"


def op_of(node: Value) -> Op:
    """The op table's entry for ``node``'s op; for a hand-made node, one made up from its ``_op`` text
    whose local derivatives come from running its ``_backward`` (so ``explain`` and ``draw`` can show it).

    >>> from autograd_lite import Value
    >>> x = Value(3.0); op_of(x * 2).name, op_of(Value(9.0, (x,), "square")).show(["u"])
    ('mul', 'square(u)')
    """
    if node.op != HAND_WRITTEN:
        return OPS[node.op]
    n = len(node.inputs)
    symbol = (node.param.symbol or "?").replace("{", "{{").replace("}", "}}")  # shown as is, not a template
    operands = ", ".join(f"{{{i}}}" for i in range(n))
    if n == 2 and symbol in _INFIX:  # micrograd's own symbols read best between operands
        expression, latex = f"{{0}} {symbol} {{1}}", _INFIX[symbol]
    elif n == 1 and symbol.startswith("**"):  # micrograd's power: '**2'
        expression, latex = f"{{0}}{symbol}", f"{{0}}^{{{{{_latex(symbol[2:])}}}}}"
    else:
        expression, latex = f"{symbol}({operands})", rf"\operatorname{{{{{_latex(symbol)}}}}}({operands})"
    return Op(HAND_WRITTEN, symbol, n, _no_forward, lambda m, xs, y, p: contributions(node, 1.0), expression,
              ("given by its _backward",) * n, (r"\text{given by its \_backward}",) * n, latex)


_INFIX = {"+": "{0} + {1}", "-": "{0} - {1}", "*": r"{0} \cdot {1}", "/": r"\frac{{{0}}}{{{1}}}", "**": "{0}^{{{1}}}"}


def _latex(text: str) -> str:
    """``text`` (already a format template) with LaTeX's special characters escaped."""
    return "".join("\\" + c if c in "_#%&$" else c for c in text)


def op_symbol(node: Value) -> str:
    """What a diagram writes in ``node``'s op circle: ``'+'``, ``'**2'``, ``'ReLU'``, a hand-made node's text.

    >>> from autograd_lite import Value
    >>> op_symbol(Value(2.0) ** 3), op_symbol(Value(2.0))
    ('**3', '')
    """
    if node.op == HAND_WRITTEN:
        return node.param.symbol
    return OPS[node.op].label(node.param) if node.op else ""


def _no_forward(m: object, xs: tuple, p: object) -> float:
    raise TypeError("a hand-made node's forward is the code that made it; the engine cannot run it again")


def contributions(node: Value, upstream: float) -> tuple[float, ...]:
    """What ``node``'s ``_backward`` adds to each input's ``.grad`` when ``node.grad`` is ``upstream``.

    One entry per input position; an input that appears twice gets its whole share at its
    first position (the closure adds both uses into one ``.grad``). Every ``.grad`` is left as
    it was: the engine adds the shares itself, after the whole pass has succeeded.
    """
    backward = node.param.backward
    if backward is None:  # not a math error: the node is incomplete
        raise RuntimeError(f"backward: {describe(node)} has no _backward: set out._backward to a function that adds "
                         "to each input's .grad, as in micrograd's lecture")
    inputs = node.inputs
    distinct = list(dict.fromkeys(inputs))
    saved = [x.grad for x in distinct]
    saved_out = node.grad
    try:
        for x in distinct:
            x.grad = 0.0
        node.grad = upstream
        backward()
        share = {x: x.grad for x in distinct}
    finally:
        for x, g in zip(distinct, saved):
            x.grad = g
        node.grad = saved_out
    out = []
    for x in inputs:
        out.append(share.pop(x, 0.0))
    for x, g in zip(inputs, out):
        if not isinstance(g, (int, float)):
            raise TypeError(f"backward: the _backward of {describe(node)} left a {type(g).__name__} in "
                            f"{x!r}.grad; it must add numbers (floats)")
    return tuple(float(g) for g in out)


class MicrogradNames:
    """micrograd's private names on ``Value``, so its code and its lecture's code run unchanged.

    ``_prev`` (the set of inputs), ``_op`` (the op's symbol: ``'+'``, ``'**2'``, ``'ReLU'``, or a
    hand-made node's text) and ``_backward``: for a table op, a function that adds this node's
    share to its inputs' ``.grad`` (micrograd's lecture calls them one by one); for a hand-made
    node, the closure set on it. Properties only: a Value stores none of this.
    """

    __slots__ = ()

    @property
    def _prev(self) -> set[Value]:
        return set(self.inputs)  # type: ignore[attr-defined]

    @property
    def _op(self) -> str:
        node: Value = self  # type: ignore[assignment]
        return op_symbol(node)

    @property
    def _backward(self) -> Callable[[], None]:
        node: Value = self  # type: ignore[assignment]
        if node.op == HAND_WRITTEN:
            return node.param.backward or _missing(node)
        return lambda: _table_step(node)

    @_backward.setter
    def _backward(self, backward: Callable[[], None]) -> None:
        node: Value = self  # type: ignore[assignment]
        if not callable(backward):
            raise TypeError(f"_backward must be a function of no arguments, got {type(backward).__name__}")
        if node.op == HAND_WRITTEN:
            node.param.backward = backward
        elif node.op:
            raise AttributeError(f"{node!r} was made by the op table ({node.op}), whose derivative the engine knows; "
                                 "_backward can be set only on a node made with Value(data, _children, _op)")
        # a leaf (or a hand-made node built under no_grad) has nothing to pass a gradient to: nothing to keep


def _missing(node: Value) -> Callable[[], None]:
    def backward() -> None:
        raise RuntimeError(f"{describe(node)} has no _backward yet")
    return backward


def _table_step(node: Value) -> None:
    """This node's share of the chain rule, added to its inputs' ``.grad`` (micrograd's ``_backward``)."""
    if node.inputs:
        xs = tuple(x.data for x in node.inputs)
        for x, d in zip(node.inputs, LOCAL[node.op](scalar_math, xs, node.data, node.param)):
            x.grad += d * node.grad

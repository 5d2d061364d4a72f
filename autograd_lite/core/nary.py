"""The n-ary ops as functions: ``sum``, ``dot`` and ``logsumexp``, each ONE node however many operands,
and ``matvec``: a layer's ``W a`` as one ``dot`` node per row.

A neuron ``dot(w, x) + b`` is two nodes, where Python's operators would make 2n. ``dot`` is on the hot path
of every network (issue 12): when every operand is a Value it checks them and gathers their data in one pass.

    >>> from autograd_lite import Value
    >>> dot([Value(2.0), Value(3.0)], [1.0, -1.0]).data
    -1.0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .engine import Operand, Value, as_values
from .engine import make_node as _apply
from .ops import OPS

_DOT = OPS["dot"]
# Value's own slot: a TypeError for anything that is not a Value
_data_of_value: Callable[[Any], float] = vars(Value)["data"].__get__


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.sum
    """The sum of many Values as ONE node (Python's ``sum`` makes n-1 nodes).

    >>> s = sum([Value(1.0), Value(2.0), 3]); s.data
    6.0
    """
    vs = as_values(values, "sum")
    return _apply(OPS["sum"], vs) if vs else Value(0.0)


def dot(ws: Iterable[Operand], xs: Iterable[Operand]) -> Value:
    """The dot product w . x as ONE node, so a neuron ``dot(w, x) + b`` is two nodes.

    >>> dot([Value(2.0), Value(3.0)], [1.0, -1.0]).data
    -1.0
    """
    return matvec((_operands(ws, "dot: the weights must be an iterable of Values or numbers"),), xs)[0]


def matvec(rows: Iterable[Iterable[Operand]], xs: Iterable[Operand]) -> list[Value]:
    """``W x`` as one ``dot`` node per row of ``W``: ``[dot(w_k, x) for w_k in rows]``, the same nodes, faster.

    A layer's neurons read the same inputs, so ``x`` is checked and its data gathered once for all rows
    (z^l = W^l a^{l-1} + b^l, notes 004, without the + b).

    >>> [v.data for v in matvec([[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]], [Value(3.0), Value(4.0)])]
    [11.0, -1.0]
    """
    x: tuple[Any, ...] = _operands(xs, "dot: the inputs must be an iterable of Values or numbers")
    try:  # the common case, every operand a Value: checked and gathered in one pass
        x_data = tuple(map(_data_of_value, x))
    except TypeError:  # numbers become constants (once, for every row); anything else is refused by position
        x = as_values(x, "dot (inputs)")
        x_data = tuple(map(_data_of_value, x))
    out = []
    for k, ws in enumerate(_operands(rows, "matvec: W must be an iterable of rows")):
        try:
            w: tuple[Any, ...] = tuple(ws)
        except TypeError:  # a flat row given for W: say so, not Python's bare "not iterable"
            raise TypeError(f"matvec: row {k} of W must be an iterable of Values or numbers (W is a list of rows), "
                            f"got {type(ws).__name__}") from None
        try:
            w_data = tuple(map(_data_of_value, w)) if len(w) == len(x) else ()
        except TypeError:
            w_data = ()
        if w_data:  # every one was read as a Value just above
            out.append(_apply(_DOT, w + x, None, w_data + x_data))
        else:
            out.append(_dot_of_operands(w, x))
    return out


def _operands(items: Any, what: str) -> tuple[Any, ...]:
    """``tuple(items)``, or a TypeError saying ``what`` (not Python's bare 'not iterable')."""
    try:
        return tuple(items)
    except TypeError:
        raise TypeError(f"{what}, got {type(items).__name__}") from None


def _dot_of_operands(ws: tuple[Any, ...], xs: tuple[Any, ...]) -> Value:
    """``dot`` of a row that is not all Values (``xs`` are): numbers become constants, anything else is refused
    by position; rows of different lengths are refused."""
    ws = as_values(ws, "dot (weights)")
    if len(ws) != len(xs):
        raise ValueError(f"dot: got {len(ws)} weights but {len(xs)} inputs; they must be the same length")
    return _apply(_DOT, ws + xs) if ws else Value(0.0)


def logsumexp(values: Iterable[Operand]) -> Value:
    """log(sum(exp(x_i))) as ONE node, computed without overflow (logits of +-1000 are fine).

    >>> round(logsumexp([1000.0, 1000.0]).data, 6)
    1000.693147
    """
    vs = as_values(values, "logsumexp")
    if not vs:
        raise ValueError("logsumexp: needs at least one value")
    return _apply(OPS["logsumexp"], vs)

"""Reverse mode: the chain rule over a topological order, with floats or with Values.

``backward`` and ``grad`` share one reverse pass over floats. ``grad(create_graph=True)``
runs the same local derivatives from the op table on Values instead, so the gradients are
themselves graphs that can be differentiated again (second, third ... derivatives).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter

from . import scalar_math
from .engine import Value, as_float
from .errors import MATH_ERRORS, describe_backward_failure, reworded
from .grad_mode import enable_grad
from .graph import topological_order
from .handwritten import HAND_WRITTEN, contributions, describe, is_hand_written
from .ops import LOCAL, OPS
from .value_math import value_math


def backward(root: Value, gradient: float = 1.0) -> None:
    """Add ``gradient * d root / d node`` to ``node.grad`` for every node behind ``root``."""
    gradient = as_float(gradient, "backward(gradient)")
    with collector_paused():
        inner, leaves = walk(root)
        reverse_pass(inner, leaves, root, gradient)
        for node in inner:  # only now, so a failed pass leaves every .grad as it was
            node.grad += node._g
        for node in leaves:
            node.grad += node._g


def walk(root: Value) -> tuple[list[Value], list[Value]]:
    """The nodes behind ``root`` for a reverse pass: ``(inner, leaves)``, every node's ``_g`` set to 0.0.

    ``inner``: the nodes made by an op, each after all of its inputs (``root`` last unless it is a leaf);
    ``leaves``: the nodes without inputs, which the reverse pass only receives gradients in.

    >>> x = Value(2.0); y = x * x + 1.0; inner, leaves = walk(y)
    >>> [v.op for v in inner], len(leaves)   # x and the constant 1.0
    (['mul', 'add'], 2)

    Depth first without recursion (a chain of a million nodes is fine), in ``topological_order``'s order
    (without the leaves). A node is marked as met by setting its ``_g`` to a float 0.0 made for this walk
    (``mark``): ``node._g is mark`` tells whether it was met, with no set of the nodes, and sets the start
    value of its gradient in the same store. The stack holds each open node and the iterator over its inputs
    as two entries (no tuple per node); a leaf is filed when first met, without a stack entry. As before,
    two threads must not backpropagate through the same nodes at once: a pass keeps its gradients in ``_g``.
    """
    mark = _fresh_zero()
    root._g = mark
    if not root.inputs:
        return [], [root]
    inner: list[Value] = []
    leaves: list[Value] = []
    stack: list = [root, iter(root.inputs)]
    push, pop, emit, file = stack.append, stack.pop, inner.append, leaves.append
    while stack:
        for child in stack[-1]:
            if child._g is not mark:
                child._g = mark
                inputs = child.inputs
                if inputs:
                    push(child)
                    push(iter(inputs))
                    break
                file(child)
        else:  # every input of the open node is done: it comes next
            pop()
            emit(pop())
    return inner, leaves


def _fresh_zero() -> float:
    """A float 0.0 that is no other object: no node's ``_g`` can hold it before the walk that made it
    stores it (a ``_g`` left by an earlier walk keeps that walk's object alive, so its identity is not reused).

    >>> _fresh_zero() is not _fresh_zero(), _fresh_zero() == 0.0
    (True, True)
    """
    return float(_ZERO_INT)  # a new object each call; the literal 0.0 is one shared constant


_ZERO_INT = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (if it was on), back on after.

    The walk over a big graph allocates many small objects, and each allocation burst starts
    collections that traverse every live Value; a graph has no reference cycles (a Value holds no
    closure and no link to its users), so there is nothing for the collector to find meanwhile.
    ``backward`` and ``grad`` use it; so does ``nn.fit`` around each eager step (forward, backward,
    update, and the graph freed before the block ends), and so may a training loop of your own.

    >>> import gc; was = gc.isenabled()
    >>> with collector_paused(): gc.isenabled()
    False
    >>> gc.isenabled() == was
    True
    """
    was_on = gc.isenabled()
    if was_on:
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


_data = attrgetter("data")


def reverse_pass(inner: list[Value], leaves: list[Value], root: Value, gradient: float) -> None:
    """Fill each node's ``_g`` with d root / d node * gradient (floats; ``.grad`` untouched).

    ``inner`` and ``leaves`` are ``walk(root)``'s (every ``_g`` 0.0). Only ``inner`` is visited; the
    leaves' gradients are checked for overflow all at once at the end.
    """
    root._g = gradient
    m = scalar_math
    local_of = {**LOCAL, HAND_WRITTEN: None}  # a subscript is faster than .get; copied, so ops defined later count
    node = root
    try:
        for node in reversed(inner):
            g = node._g
            if g == 0.0:  # nothing flows back through here (e.g. a dead ReLU)
                continue
            if g - g:  # inf or nan (g - g is 0.0 for any finite g): stop before anything is written
                node = _overflow_source(inner, node)
                raise OverflowError("a gradient overflowed: it is larger than the largest float")
            inputs = node.inputs
            local = local_of[node.op]
            if local is None:  # made by hand, micrograd's way: its own _backward says what each input gets
                for x, share in zip(inputs, contributions(node, g)):
                    x._g += share
                continue
            if len(inputs) == 2:
                a, b = inputs
                da, db = local(m, (a.data, b.data), node.data, node.param)
                a._g += da * g
                b._g += db * g
            elif len(inputs) == 1:
                (a,) = inputs
                (da,) = local(m, (a.data,), node.data, node.param)
                a._g += da * g
            else:  # n-ary (dot, sum, ...): a list display gathers the data faster than map(attrgetter)
                for x, d in zip(inputs, local(m, tuple([x.data for x in inputs]), node.data, node.param)):
                    x._g += d * g
        if not all(map(_isfinite, map(_g_of, leaves))):  # a leaf's gradient overflowed (or is inf - inf)
            node = next(v for v in leaves if not _isfinite(v._g))
            node = _overflow_source(inner, node)
            raise OverflowError("a gradient overflowed: it is larger than the largest float")
    except MATH_ERRORS as error:
        raise reworded(error, describe_backward_failure(node, str(error))) from None


_g_of = attrgetter("_g")
_isfinite = math.isfinite


def _overflow_source(order: list[Value], reached: Value) -> Value:
    """The first node whose local derivative times its gradient overflowed before ``reached``.

    Only runs after an overflow was seen, to name the op that caused it rather than the node
    where the infinity landed. Falls back to ``reached`` (finite parts that summed to inf).
    """
    for node in reversed(order):
        if node is reached:
            break
        if not node.inputs or node._g == 0.0 or is_hand_written(node):
            continue
        partials = LOCAL[node.op](scalar_math, tuple(map(_data, node.inputs)), node.data, node.param)
        if any(not math.isfinite(d * node._g) for d in partials):
            return node
    return reached


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
    gradient: float = 1.0,
) -> tuple[Value, ...]:
    """The gradients of ``output`` with respect to ``inputs``, without touching any ``.grad``.

    >>> x = Value(2.0); (dy,) = grad(x ** 3, [x], create_graph=True)   # 3x^2 = 12
    >>> grad(dy, [x])[0].data                                           # 6x = 12
    12.0

    Returns a tuple of Values, one per input (0.0 for an input the output does not use).
    With ``create_graph=True`` each is the output of a new graph built from the op table's
    local derivatives, so it can be differentiated again; otherwise they are leaves.
    """
    if isinstance(inputs, Value):
        inputs = (inputs,)
    inputs = tuple(inputs)
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(v).__name__}")
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    gradient = as_float(gradient, "grad(gradient)")
    if create_graph:
        with enable_grad():  # as in PyTorch: the derivative graph is recorded even under no_grad
            grads = _reverse_pass_values(topological_order(output), output, gradient)
        return tuple(grads[v] if v in grads else Value(0.0) for v in inputs)
    with collector_paused():
        inner, leaves = walk(output)
        reverse_pass(inner, leaves, output, gradient)
    in_graph = set(inner).union(leaves)
    return tuple(Value(v._g if v in in_graph else 0.0) for v in inputs)


def _reverse_pass_values(order: Iterable[Value], root: Value, gradient: float) -> dict[Value, Value]:
    """The chain rule with Values: every product and sum is recorded, so it can be differentiated."""
    grads: dict[Value, Value] = {root: Value(gradient)}
    for node in reversed(list(order)):
        g = grads.get(node)
        if g is None or not node.inputs:
            continue
        if is_hand_written(node):
            raise TypeError(f"grad(create_graph=True): {describe(node)} computes its derivative in Python floats "
                            "(its _backward), which cannot be differentiated again; define the op with "
                            "autograd_lite.define_op to get second derivatives")
        try:
            partials = OPS[node.op].local(value_math, node.inputs, node, node.param)
        except MATH_ERRORS as error:  # name this node's op, not the op inside its derivative that failed
            raise reworded(error, describe_backward_failure(node, str(error))) from None
        for x, d in zip(node.inputs, partials):
            if isinstance(d, Value):
                contribution = d * g
            elif d == 0.0:
                continue
            elif d == 1.0:
                contribution = g
            else:
                contribution = g * d
            previous = grads.get(x)
            grads[x] = contribution if previous is None else previous + contribution
    return grads


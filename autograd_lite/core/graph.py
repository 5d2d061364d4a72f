"""Graph traversal: the nodes behind a Value, in an order the chain rule can use.

Iterative (an explicit stack, no recursion), so a chain of a million nodes is fine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Value


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its inputs; ``root`` comes last.

    >>> from autograd_lite import Value; a = Value(1.0); b = a + a
    >>> [v.op for v in topological_order(b)]
    ['', 'add']
    """
    order: list[Value] = []
    seen = {root}
    # Each stack entry is a node and an iterator over its inputs still to visit: a node is
    # appended once that iterator is exhausted, i.e. after all of its inputs.
    stack = [(root, iter(root.inputs))]
    push, pop, append, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child not in seen:
                mark(child)
                push((child, iter(child.inputs)))
                break
        else:
            pop()
            append(node)
    return order


def edges(root: Value) -> Iterator[tuple[Value, Value, int]]:
    """Every edge ``(input, node, position)`` of the graph, in topological order of ``node``."""
    for node in topological_order(root):
        for position, child in enumerate(node.inputs):
            yield child, node, position

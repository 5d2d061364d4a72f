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
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    push, pop, append = stack.append, stack.pop, order.append
    while stack:
        node, inputs_done = pop()
        if inputs_done:
            append(node)  # post-order: all inputs are already in `order`
        elif node not in seen:
            seen.add(node)
            push((node, True))
            for child in node.inputs:
                if child not in seen:
                    push((child, False))
    return order


def edges(root: Value) -> Iterator[tuple[Value, Value, int]]:
    """Every edge ``(input, node, position)`` of the graph, in topological order of ``node``."""
    for node in topological_order(root):
        for position, child in enumerate(node.inputs):
            yield child, node, position

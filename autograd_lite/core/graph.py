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
    # Depth first without recursion: the stack holds each open node and the iterator over its inputs as two
    # entries (no tuple per node); a leaf is appended when first met, without a stack entry. This is the
    # recursive post-order exactly, and the fastest walk measured (issue 12: 0.6x the time of a stack of
    # (node, iterator) tuples on a chain, 0.9x on micrograd's demo graph).
    order: list[Value] = []
    seen = {root}
    stack: list = [root, iter(root.inputs)]
    push, pop, append, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        for child in stack[-1]:
            if child not in seen:
                mark(child)
                inputs = child.inputs
                if inputs:
                    push(child)
                    push(iter(inputs))
                    break
                append(child)
        else:  # every input of the open node is done: it comes next
            pop()
            append(pop())
    return order


def edges(root: Value) -> Iterator[tuple[Value, Value, int]]:
    """Every edge ``(input, node, position)`` of the graph, in topological order of ``node``."""
    for node in topological_order(root):
        for position, child in enumerate(node.inputs):
            yield child, node, position

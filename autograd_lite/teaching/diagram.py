"""What every diagram shares: its colours, a new Graphviz graph, and the gradient each box shows.

    >>> "rankdir=LR" in new_graph("LR").source
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import graphviz

if TYPE_CHECKING:
    from ..core.engine import Value

LEAF, CONSTANT, RESULT = "#dbeafe", "#f1f5f9", "#ffffff"  # fill colours of the boxes
POSITIVE, NEGATIVE = (0xdc, 0x26, 0x26), (0x25, 0x63, 0xeb)  # gradient tints: red > 0, blue < 0
PATH = "#ea580c"  # highlighted paths


def new_graph(rankdir: str) -> graphviz.Digraph:
    """An empty diagram in the project's look, laid out in direction ``rankdir`` ("LR", "TB" ...)."""
    graph = graphviz.Digraph(format="svg")
    graph.attr(rankdir=rankdir, bgcolor="white", fontname="Helvetica", nodesep="0.25", ranksep="0.35")
    graph.attr("node", fontname="Helvetica", fontsize="11", penwidth="1.2")
    graph.attr("edge", color="#475569", arrowsize="0.7")
    return graph


def grad_of(grads: Mapping[Value, float] | None) -> Any:
    """Each node's gradient: its ``.grad``, or the one ``grads`` gives (e.g. ``explain(root).grads``)."""
    return (lambda v: v.grad) if grads is None else (lambda v: grads.get(v, 0.0))

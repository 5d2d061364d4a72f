"""What every diagram shares: its colours, a new Graphviz graph, and the gradient each box shows.

    >>> "rankdir=LR" in new_graph("LR").source
    True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import graphviz

if TYPE_CHECKING:
    from ..core.engine import Value

LEAF, CONSTANT, RESULT = "#dbeafe", "#f1f5f9", "#ffffff"  # fill colours of the boxes
POSITIVE, NEGATIVE = (0xdc, 0x26, 0x26), (0x25, 0x63, 0xeb)  # gradient tints: red > 0, blue < 0
PATH = "#ea580c"  # highlighted paths
SCALES = (0.5, 4.0)  # smallest and largest presentation scale
SVG_DPI, RASTER_DPI = 72.0, 96.0  # Graphviz's own: an SVG at 72 dpi is drawn 1:1, a PNG at 96


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


def check_scale(scale: Any, who: str) -> float:
    """``scale`` as a float from 0.5 to 4, or a ValueError/TypeError naming ``who`` and what came.

    >>> check_scale(1.5, "draw")
    1.5
    """
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise TypeError(f"{who}: scale must be a number from {SCALES[0]:g} to {SCALES[1]:g}, "
                        f"got {type(scale).__name__}: {scale!r:.60}")
    value = float(scale)
    if not (math.isfinite(value) and SCALES[0] <= value <= SCALES[1]):
        raise ValueError(f"{who}: scale must be from {SCALES[0]:g} (half size) to {SCALES[1]:g} (four times), "
                         f"got {value:g}")
    return value


def scale_graph(graph: graphviz.Digraph, scale: float) -> graphviz.Digraph:
    """``graph`` drawn ``scale`` times bigger, fonts, boxes and lines alike (Graphviz's dpi); returned for chaining.

    >>> "dpi=108" in scale_graph(new_graph("LR"), 1.5).source
    True

    The dpi is the SVG's (72 is 1:1); ``render`` turns it into the PNG's (96 is 1:1) for a raster format.
    """
    if scale != 1.0:
        graph.graph_attr["dpi"] = f"{SVG_DPI * scale:g}"
    return graph


def raster_copy(graph: graphviz.Digraph) -> graphviz.Digraph:
    """A copy of ``graph`` with its presentation dpi turned from SVG's to a raster's (72 -> 96 at scale 1); the
    graph itself when it has none."""
    dpi = graph.graph_attr.get("dpi")
    if dpi is None:
        return graph
    copy = graph.copy()
    copy.graph_attr["dpi"] = f"{float(dpi) * RASTER_DPI / SVG_DPI:g}"
    return copy

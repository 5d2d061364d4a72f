"""What every diagram shares: its colours, a new Graphviz graph, and the gradient each box shows.

    >>> "rankdir=LR" in new_graph("LR").source
    True
"""

from __future__ import annotations

import math
import numbers
import re
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


class Picture(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose SVG (``pipe``, Jupyter's inline display) keeps its text runs' edge spaces in a
    browser (``keep_svg_spaces``); everything else is the graphviz package's."""

    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 (graphviz's name)
        out = super().pipe(format, *args, **kwargs)
        if (format or self.format) != "svg":
            return out
        return keep_svg_spaces(out) if isinstance(out, str) else keep_svg_spaces(out.decode("utf-8")).encode("utf-8")


def new_graph(rankdir: str) -> graphviz.Digraph:
    """An empty diagram in the project's look, laid out in direction ``rankdir`` ("LR", "TB" ...)."""
    graph = Picture(format="svg")
    graph.attr(rankdir=rankdir, bgcolor="white", fontname="Helvetica", nodesep="0.25", ranksep="0.35")
    graph.attr("node", fontname="Helvetica", fontsize="11", penwidth="1.2")
    graph.attr("edge", color="#475569", arrowsize="0.7")
    return graph


def grad_of(grads: Mapping[Value, float] | None) -> Any:
    """Each node's gradient: its ``.grad``, or the one ``grads`` gives (e.g. ``explain(root).grads``)."""
    return (lambda v: v.grad) if grads is None else (lambda v: grads.get(v, 0.0))


def check_scale(scale: Any, who: str, bounds: tuple[float, float] = SCALES) -> float:
    """``scale`` as a float within ``bounds`` (0.5 to 4 by default), or a TypeError (not a number) / ValueError (out
    of bounds, nan, inf, too big for a float) naming ``who`` and what came. ``draw`` and ``to_html`` both use it.

    >>> check_scale(1.5, "draw"), check_scale(__import__("fractions").Fraction(3, 2), "to_html", (0.5, 3))
    (1.5, 1.5)
    >>> check_scale(10 ** 400, "draw")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: draw: scale must be a number from 0.5 to 4 (1 is natural size), got 1000...
    """
    low, high = bounds
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise TypeError(f"{who}: scale must be a number from {low:g} to {high:g}, "
                        f"got {type(scale).__name__}: {scale!r:.60}")
    try:
        value = float(scale)
    except (OverflowError, ValueError):  # an int of 400 digits
        value = math.inf
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{who}: scale must be a number from {low:g} to {high:g} (1 is natural size), "
                         f"got {scale!r:.40}")
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



def keep_svg_spaces(svg: str) -> str:
    """Graphviz's SVG with every ``<text>`` keeping its spaces, as Graphviz measured them.

    Graphviz writes each run of a label between two tags (``Σ<SUB>j</SUB> w<SUB>j1</SUB>``) as its own ``<text>``
    at a fixed x, and a browser drops the space at the start or end of a ``<text>``: " w" is drawn one space to the
    left, against the j ("Σⱼw  ⱼ₁"). ``xml:space="preserve"`` on each ``<text>`` keeps it (PNGs never lose it).

    >>> keep_svg_spaces('<g><text x="3"> w</text></g>')
    '<g><text xml:space="preserve" x="3"> w</text></g>'
    """
    return re.sub(r"<text(?=[\s>])(?![^>]*xml:space)", '<text xml:space="preserve"', svg)

"""Big graphs: the walkthrough page of a 20,000-node graph is ready in seconds and stays small.

Graphviz needs minutes to lay out thousands of nodes (and the result is unreadable), and one frame per
step makes a page of tens of megabytes. Above ``DIAGRAM_NODES`` the diagram is left out, and at most
``FRAMES`` steps get a frame; the page says what it left out and how to get it.
"""

from __future__ import annotations

import random
import re
import shutil
import time

import pytest

import autograd_lite as ag
from autograd_lite import Value, explain, topological_order
from autograd_lite.teaching.walkthrough import DIAGRAM_NODES, FRAMES, to_html


def big_graph(n: int, seed: int = 0) -> Value:
    """About ``n`` nodes: random products, tanh(a + b) and sigmoids over 50 leaves, summed up in a tree."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(50)]
    count = len(nodes)
    while count < n * 9 // 10:
        a, b = rng.choice(nodes[-200:]), rng.choice(nodes)
        k = rng.randrange(3)
        nodes.append(a * b if k == 0 else (a + b).tanh() if k == 1 else a.sigmoid())
        count += 2 if k == 1 else 1
    level = nodes[50:]
    while len(level) > 1:  # 8-input sums
        level = [ag.sum(level[i:i + 8]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 8)]
    return level[0]


@pytest.fixture(scope="module")
def explained_20k():
    root = big_graph(22_000)
    assert len(topological_order(root)) >= 20_000
    return explain(root)


def test_a_20000_node_page_is_ready_in_seconds_and_small(explained_20k):
    e = explained_20k
    start = time.perf_counter()
    page = e.to_html()
    seconds = time.perf_counter() - start
    size = len(page.encode("utf-8"))
    print(f"\n20,000-node page: {seconds:.2f} s, {size / 1e6:.2f} MB, {len(e.steps):,} steps")
    assert seconds < 20
    assert size < 3_000_000
    assert "<svg" not in page and "The diagram is left out" in page and f"{len(e.forward):,} nodes" in page
    assert page.count('<section class="frame"') == FRAMES
    assert f"The first {FRAMES:,} of {len(e.steps):,} steps" in page
    assert f"The first {FRAMES:,} of {len(e.forward):,} nodes" in page  # the forward listing too


def test_explain_of_a_20000_node_graph_is_quick():
    start = time.perf_counter()
    e = explain(big_graph(22_000))
    assert time.perf_counter() - start < 20 and len(e.steps) > 40_000


def test_a_node_with_20000_inputs_costs_linear_time():
    xs = [Value(float(i % 7), label=f"x{i}") for i in range(20_000)]
    start = time.perf_counter()
    e = explain(ag.dot(xs[:10_000], xs[10_000:]) + ag.sum(xs))
    assert time.perf_counter() - start < 10
    last = next(s for s in e.steps if s.op == "dot" and s.position == 19_999)
    assert last.bindings == "x_10000 = x19999, w_10000 = x9999" and last.evaluated == "3"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_a_small_graph_keeps_its_diagram_and_every_frame():
    x = Value(0.5, label="x")
    e = explain((2 * x).tanh() * x)
    page = e.to_html()
    assert "<svg" in page and "left out" not in page
    assert page.count('<section class="frame"') == len(e.steps)
    assert len(topological_order(e.root)) == 5
    assert "<svg" in e.to_html(max_diagram_nodes=5) and "<svg" not in e.to_html(max_diagram_nodes=4)  # at the limit
    assert DIAGRAM_NODES >= 500  # the demo's 2-16-16-1 MLP on one sample (473 nodes) keeps its diagram


def test_the_limits_are_parameters():
    x = Value(0.5, label="x")
    e = explain(((2 * x).tanh() * x).exp())
    page = e.to_html(max_diagram_nodes=3, max_frames=2)
    assert "<svg" not in page and "the graph has 6 nodes, more than 3" in page
    assert page.count('<section class="frame"') == 2 and f"The first 2 of {len(e.steps)} steps" in page
    assert to_html(e, max_frames=0).count('<section class="frame"') == 0
    for bad in (-1, 1.5, "10", True):
        with pytest.raises(ValueError, match="max_frames must be a whole number"):
            e.to_html(max_frames=bad)
        with pytest.raises(ValueError, match="max_diagram_nodes must be a whole number"):
            e.to_html(max_diagram_nodes=bad)


def test_the_note_names_the_way_to_everything():
    e = explain(big_graph(3_000))
    page = e.to_html(max_frames=10)
    notes = re.findall(r'<p class="note[^"]*">(.*?)</p>', page, flags=re.S)
    assert any("to_text()" in n and "max_frames" in n for n in notes)
    assert any("max_diagram_nodes" in n for n in notes)

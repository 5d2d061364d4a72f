"""demos/tour.ipynb runs top to bottom in a fresh kernel (nbclient), so the tour never rots."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

TOUR = Path(__file__).resolve().parent.parent / "demos" / "tour.ipynb"


def test_tour_runs_and_shows_its_pictures(tmp_path):
    nb = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and the traceback, if any cell fails
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = [kind for o in outputs for kind in o.get("data", {})]
    assert kinds.count("image/svg+xml") >= 5  # the neuron (before, after, highlighted), a tiny MLP, collapsed
    assert "image/png" in kinds and "text/markdown" in kinds
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    accuracy = float(text.split("accuracy ")[1].split()[0])
    assert accuracy >= 0.9
    # nn.explain_layers' walkthrough (issue 10 item 3): the hidden layer's delta, eq. 21c with W transposed
    assert "delta^[1] = (W^[2])^T delta^[2] o g'(z^[1])" in text and (tmp_path / "neuron_walkthrough.html").exists()
    assert_shown_inline(nb)


def shown(nb, cell_id: str) -> dict[str, str]:
    """What Jupyter shows for cell ``cell_id``'s result: mime type -> content (the display of its last line)."""
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    results = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    assert len(results) == 1, (cell_id, [o.output_type for o in cell.outputs])
    return dict(results[0].data)


def frame(data: dict[str, str], title: str) -> str:
    """The page of a sandboxed ``<iframe srcdoc>`` in a text/html output (checks it is one)."""
    cell = data["text/html"]
    assert cell.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in cell and f'title="{title}"' in cell
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', cell)[1])
    assert page.startswith("<!DOCTYPE html>") and "<script" in page and "<script" not in cell
    return page


def assert_shown_inline(nb) -> None:
    """Issue 13 item 4: each result object of the tour shows itself (HTML, or Markdown where text reads better)."""
    import nn
    from autograd_lite.teaching.explain import Explanation

    explanation = shown(nb, "explain-folded")  # d(w * x)/dw = x in the user's names; the 0.5 folded
    assert "\\mathrm{w}" in explanation["text/markdown"] and "0.5" in explanation["text/markdown"]
    if hasattr(Explanation, "_repr_html_"):  # the walkthrough page (the patch in notes/h13n.md)
        assert frame(explanation, "backpropagation, step by step").count('<section class="frame"') == 4
    check = shown(nb, "check")["text/html"]
    assert "<table>" in check and check.count("✗ wrong") == 1 and "<td>-1</td>" in check  # df/dx = y + 1
    quiz = frame(shown(nb, "quiz"), "Backpropagation quiz: tanh(w*x + b)")
    assert "Right the first time: 0 of 10" in quiz  # 5 steps, 2 boxes each
    player = frame(shown(nb, "player"), "training player")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', player, re.S)[1])
    assert [s["epoch"] for s in data["snapshots"]] == list(range(26))  # epoch 0 (the start) to 25
    figures = shown(nb, "history-figures")["text/html"]
    assert "<polyline" in figures and ">40</td>" in figures and "<iframe" not in figures
    layers = frame(shown(nb, "layer-view"), "backpropagation layer by layer")
    view = nn.explain_layers(nn.MLP(2, [3, 1], activation="tanh", seed=0), [1.0, 2.0], [0.5], loss="half_squared_error")
    assert "<svg" in layers and layers.count('class="step"') == len(view.steps) == 13  # 4 forward, loss, 8 backward
    network = frame(shown(nb, "network-quiz"), "Backpropagation quiz: a 2-3-2 network")
    assert "Right the first time: 0 of 17" in network
    assert "image/svg+xml" in shown(nb, "collapsed-231")
    sheet = shown(nb, "exercises")["text/markdown"]
    assert sheet.startswith("# Backpropagation by hand: 2 exercises (seed 7)") and sheet.count("## Question") == 2

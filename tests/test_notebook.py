"""demos/tour.ipynb runs top to bottom in a fresh kernel (nbclient), so the tour never rots."""

from __future__ import annotations

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

"""nn.plot.plot_decision_boundary: files, Axes, the threshold a model's output needs, and bad input."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import nn
from nn.plot import plot_decision_boundary

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _spy(ax, method):
    """Record the ``levels`` of every ``ax.contour`` / ``ax.contourf`` call (any matplotlib version)."""
    calls, original = [], getattr(ax, method)

    def spy(*args, **kwargs):
        calls.append(list(kwargs["levels"]))
        return original(*args, **kwargs)

    setattr(ax, method, spy)
    return calls


@pytest.mark.parametrize("output, threshold", [("linear", 0.0), ("sigmoid", 0.5)])
def test_the_boundary_is_drawn_where_the_output_decides(output, threshold):
    X, y = nn.datasets.make_moons(30, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], output_activation=output, seed=0)
    fig, ax = plt.subplots()
    lines = _spy(ax, "contour")
    assert plot_decision_boundary(model, X, y, ax=ax, resolution=20) is fig
    assert lines == [[threshold]]  # a logit is split at 0, a probability at 1/2
    plt.close(fig)


def test_several_outputs_colour_the_arg_max_and_files_are_written(tmp_path):
    X, y = nn.datasets.make_blobs(30, centers=3, seed=0)
    model = nn.MLP(2, [3], seed=0)
    path = plot_decision_boundary(model, X, y, tmp_path / "regions.png", resolution=10, title="blobs")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig, ax = plt.subplots()
    bands, lines = _spy(ax, "contourf"), _spy(ax, "contour")
    assert plot_decision_boundary(model, X, y, resolution=10, ax=ax) is fig
    assert bands == [[-0.5, 0.5, 1.5, 2.5]] and lines == []  # one band per class, no threshold line
    plt.close(fig)


@pytest.mark.parametrize("X, y, model, message", [
    (np.zeros((4, 3)), np.zeros(4), nn.MLP(3, [1], seed=0), r"shape \(m, 2\)"),
    (np.zeros((4, 2)), np.zeros(3), nn.MLP(2, [1], seed=0), "one label per row"),
    (np.zeros((4, 2)), np.zeros(4), nn.MLP(2, [9], seed=0), "at most 8 classes"),
])
def test_bad_input_is_refused(X, y, model, message):
    with pytest.raises(ValueError, match=message):
        plot_decision_boundary(model, X, y, resolution=5)

"""Pictures of what a model learned: ``plot_decision_boundary`` (matplotlib, the ``plot`` extra).

    >>> import os, tempfile, nn; X, y = nn.datasets.make_moons(20, seed=0)
    >>> plot_decision_boundary(nn.MLP(2, [1], seed=0), X, y, os.path.join(tempfile.mkdtemp(), "b.png")).name
    'b.png'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .checks import count, finite_array
from .train import predict

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777")


def plot_decision_boundary(model: Callable, X: Any, y: Any, path: str | Path | None = None, *, title: str = "",
                           threshold: float | None = None, resolution: int = 60,
                           ax: Axes | None = None) -> Path | Figure:
    """The model's decision regions over 2-D data, with the data on top: saved to ``path`` (returned), else the Figure.

    >>> import nn; X, y = nn.datasets.make_blobs(30, centers=3, seed=0)
    >>> type(plot_decision_boundary(nn.MLP(2, [3], seed=0), X, y)).__name__
    'Figure'

    One output: class 1 where it exceeds ``threshold`` (default 0.5 for a sigmoid output, a
    probability, else 0 for a logit); several outputs: the arg max. ``ax``: draw into this Axes.
    """
    try:
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
    except ImportError:
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib (or autograd-lite[plot])") from None
    X = finite_array(X, "X")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary draws 2-D data: X must have shape (m, 2), got {X.shape}")
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must hold one label per row of X ({len(X)}), got shape {y.shape}")
    resolution = count(resolution, "resolution", 2)
    if threshold is None:
        threshold = 0.5 if getattr(model, "output_activation", None) == "sigmoid" else 0.0
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    out = predict(model, np.array([(a, b) for b in ys for a in xs]))
    classes = out.shape[1] if out.ndim == 2 and out.shape[1] > 1 else 2
    if classes > len(COLOURS):
        raise ValueError(f"plot_decision_boundary colours at most {len(COLOURS)} classes, the model has {classes}")
    colours = ListedColormap(COLOURS[:classes])
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5), dpi=110)
    if classes > 2:  # the arg max of the logits
        regions, levels = out.argmax(axis=1), np.arange(classes + 1) - 0.5
    else:  # one output: contoured at the threshold, so the boundary is smooth
        regions = out.reshape(-1)
        levels = np.array([min(regions.min(), threshold) - 1.0, threshold, max(regions.max(), threshold) + 1.0])
    regions = regions.reshape(resolution, resolution)
    ax.contourf(xs, ys, regions, alpha=0.22, cmap=colours, levels=levels)
    if classes == 2:
        ax.contour(xs, ys, regions, levels=[threshold], colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=colours, vmin=-0.5, vmax=classes - 0.5, edgecolors="k", s=22)
    ax.set(title=title, xlabel="x1", ylabel="x2")
    fig = cast("Figure", ax.figure)  # an axes of a plain figure (ours, or the caller's)
    fig.tight_layout()
    if path is None:
        return fig
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path

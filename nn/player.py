"""The training player: one self-contained HTML page to play, pause, step and scrub through a recorded run.

    >>> import nn
    >>> X, y = nn.datasets.make_moons(40, seed=0); model = nn.MLP(2, [4, 1], seed=0)
    >>> history = nn.fit(model, X, y, loss="bce_with_logits", epochs=3, progress=False, record=True)
    >>> page = to_html(history); page.startswith("<!DOCTYPE html>"), "<script src" in page
    (True, False)

Per snapshot the page shows the decision boundary (2-D data: a heatmap with the data points), the loss and
accuracy curves with the epoch marked, the network (edge thickness |w|, colour the sign; a toggle shows the
gradients dC/dw instead; every edge's and neuron's numbers on hover) and mean |delta^l| per layer. The template
(``player.html``, package data) holds the style and the script: the page needs no network.

Sizes: the network is drawn up to ``DRAWN_WEIGHTS`` weights and ``DRAWN_WIDTH`` neurons a layer (a note
otherwise, and the weights are left out of the page); the curves keep at most ``CURVE_POINTS`` points; the
data at most ``DATA_POINTS``. With the recording's own caps (``nn.recording``: at most 1,000 snapshots) a page
stays under some 45 MB; the default recording (200 snapshots, a 48 x 48 grid) of ``autograd-lite train moons``'
model is at most about 2.5 MB, and the moons demo's page (31 snapshots) 0.4 MB.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite

from .atomic_file import write_atomically

DRAWN_WEIGHTS = 2000
DRAWN_WIDTH = 32
CURVE_POINTS = 1000
DATA_POINTS = 2000
TITLE_LIMIT = 200
DIGITS = 4  # significant digits of the numbers on the page


def to_html(history: Any, title: str = "Training, epoch by epoch") -> str:
    """The player page of ``history`` (from ``fit(..., record=True)``) as one HTML string.

    >>> import nn; X, y = nn.datasets.make_xor(); h = nn.fit(nn.MLP(2, [1], seed=0), X, y, loss="mse", epochs=1,
    ...     progress=False, record=True)
    >>> to_html(h).count("%%")
    0
    """
    recording = getattr(history, "recording", None)
    if recording is None:
        raise ValueError("this History has no recording: train with nn.fit(..., record=True) to get a player")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    if len(title) > TITLE_LIMIT:
        title = title[:TITLE_LIMIT - 1] + "…"
    data = _page_data(history, recording)
    # JSON inside <script>: no "<", ">" or "&" can end the element or open a comment
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = resources.files(__package__).joinpath("player.html").read_text(encoding="utf-8")
    fills = {"%%TITLE%%": html.escape(title), "%%DATA%%": text}
    return re.sub("|".join(fills), lambda m: fills[m.group(0)], page)


def write_player(history: Any, path: str | os.PathLike, title: str = "Training, epoch by epoch") -> Path:
    """Write the player page of ``history`` to ``path`` (atomically) and return the path.

    >>> import nn, os, tempfile; X, y = nn.datasets.make_xor(); h = nn.fit(nn.MLP(2, [1], seed=0), X, y,
    ...     loss="mse", epochs=1, progress=False, record=True)
    >>> write_player(h, os.path.join(tempfile.mkdtemp(), "p.html")).name
    'p.html'
    """
    page = to_html(history, title)
    write_atomically(path, page.encode("utf-8"), who="player")
    return Path(path)


def inline_player(history: Any, height: int = 760) -> str:
    """The player in an ``<iframe srcdoc>``, for Jupyter (``History._repr_html_``).

    >>> import nn; X, y = nn.datasets.make_xor(); h = nn.fit(nn.MLP(2, [1], seed=0), X, y, loss="mse", epochs=1,
    ...     progress=False, record=True)
    >>> inline_player(h).startswith("<iframe")
    True
    """
    page = to_html(history)
    return autograd_lite.notebook_frame(page, "training player", height)


def _page_data(history: Any, recording: Any) -> dict[str, Any]:
    widths = recording.widths
    weights = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    drawn = weights <= DRAWN_WEIGHTS and max(widths) <= DRAWN_WIDTH
    snapshots = [_snapshot(s, drawn) for s in recording.snapshots]
    data: dict[str, Any] = {
        "widths": widths, "activation": recording.activation, "output": recording.output_activation,
        "loss_name": recording.loss, "epochs": recording.epochs, "drawn": drawn, "weights": weights,
        "curves": _curves(history), "snapshots": snapshots, "grid": recording.grid, "box": recording.box,
        "classes": 0, "points": None,
    }
    if recording.box is not None:
        step = max(1, -(-len(recording.X) // DATA_POINTS))
        X, y = recording.X[::step], np.asarray(recording.y)[::step]
        data["points"] = {"x": _numbers(X[:, 0]), "y": _numbers(X[:, 1]), "label": _labels(y)}
        data["classes"] = widths[-1] if widths[-1] > 1 else 2
    return data


def _snapshot(s: Any, drawn: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "epoch": s.epoch, "loss": _number(s.loss), "accuracy": _number(s.accuracy),
        "probe_loss": _number(s.probe_loss), "delta": [_numbers(d) for d in s.delta],
        "delta_mean": [_number(float(np.mean(d))) for d in s.delta],
    }
    if drawn:  # each layer: W row by row (W[k][j]: from neuron j of layer l-1 to neuron k of layer l), then b
        out["w"] = [_numbers(np.concatenate([W.ravel(), b])) for W, b in s.weights]
        out["g"] = [_numbers(np.concatenate([dW.ravel(), db])) for dW, db in s.grads]
    if s.boundary is not None:  # two bytes a cell, high byte the class, low byte the probability 0-255
        cells = np.asarray(s.boundary, dtype=">u2").tobytes()
        out["boundary"] = base64.b64encode(cells).decode("ascii")
    return out


def _curves(history: Any) -> dict[str, Any]:
    """The per-epoch loss and accuracy, thinned evenly to at most ``CURVE_POINTS`` (the last epoch kept)."""
    n = len(history.loss)
    keep = np.unique(np.round(np.linspace(0, n - 1, min(n, CURVE_POINTS))).astype(int)) if n else np.array([], int)
    accuracy = None
    if n and all(a is not None for a in history.accuracy):
        accuracy = [_number(history.accuracy[i]) for i in keep]
    return {"epoch": [int(i) + 1 for i in keep], "loss": [_number(history.loss[i]) for i in keep],
            "accuracy": accuracy}


def _number(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{DIGITS}g}")


def _numbers(values: Any) -> list[float | None]:
    return [_number(float(v)) for v in np.asarray(values, dtype=float).ravel()]


def _labels(y: np.ndarray) -> list[int]:
    """Class indices for the colours: 0/1 for two classes (hinge's -1/+1 and bce's 0/1 alike), else as given."""
    y = np.asarray(y, dtype=float)
    if set(np.unique(y).tolist()) <= {-1.0, 1.0}:
        return [int(v > 0) for v in y]
    return [int(v) for v in np.clip(np.round(y), 0, 255)]

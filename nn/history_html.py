"""How a ``History`` without a recording shows itself in Jupyter: the figures and a small loss curve.

A run made with ``fit(record=True)`` shows the training player instead (``nn.player.inline_player``). This
fragment has no script and no style sheet: one table and one inline SVG, so it can sit in any notebook page.

    >>> import nn; X, y = nn.datasets.make_xor()
    >>> h = nn.fit(nn.MLP(2, [2, 1], seed=0), X, y, loss="mse", epochs=3, progress=False)
    >>> summary_html(h).count("<tr>")   # epochs and loss (mse: no accuracy)
    2
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

CURVE_POINTS = 400  # a longer curve is thinned to this many points (the first and the last kept)
WIDTH, HEIGHT, PAD = 320, 90, 6


def summary_html(history: Any) -> str:
    """The epochs, the first and last loss (and accuracy) as a table, beside the loss curve as an SVG.

    >>> from nn.train import History
    >>> "no epochs" in summary_html(History())
    True
    """
    losses = [float(v) for v in history.loss]
    accuracy = [a for a in history.accuracy if a is not None]
    if not losses:
        return "<p><code>History</code>: no epochs were run.</p>"
    rows = [("epochs", f"{len(losses):,}"), ("loss", f"{_number(losses[0])} → {_number(losses[-1])}")]
    if accuracy:
        rows.append(("accuracy", f"{_number(accuracy[0])} → {_number(accuracy[-1])}"))
    table = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(name)}</th>"
                    f"<td style='white-space:nowrap'>{html.escape(value)}</td></tr>" for name, value in rows)
    return (f"<div style='display:flex;flex-wrap:wrap;gap:1em 1.5em;align-items:center'><table>{table}</table>"
            f"{loss_curve(losses)}</div>"
            "<p style='font-size:smaller'>fit(..., record=True) keeps a snapshot per epoch and shows the "
            "training player here instead</p>")


def loss_curve(losses: Sequence[float]) -> str:
    """An inline SVG polyline of ``losses`` (non-finite values left out), labelled with its range.

    >>> loss_curve([1.0, 0.5, 0.25]).count("<polyline")
    1
    """
    step = max(1, math.ceil(len(losses) / CURVE_POINTS))
    kept = list(range(0, len(losses), step))
    if kept[-1] != len(losses) - 1:
        kept.append(len(losses) - 1)
    finite = [(i, losses[i]) for i in kept if math.isfinite(losses[i])]
    if not finite:
        return "<p>(the loss is not a finite number)</p>"
    low, high = min(v for _, v in finite), max(v for _, v in finite)
    span, last = (high - low) or 1.0, max(len(losses) - 1, 1)
    points = " ".join(f"{PAD + (WIDTH - 2 * PAD) * i / last:.1f},{PAD + (HEIGHT - 2 * PAD) * (high - v) / span:.1f}"
                      for i, v in finite)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
            f"viewBox='0 0 {WIDTH} {HEIGHT}' style='max-width:100%;height:auto' role='img' "
            f"aria-label='training loss by epoch, from {_number(losses[0])} to {_number(losses[-1])}'>"
            f"<rect width='{WIDTH}' height='{HEIGHT}' fill='#f8fafc' stroke='#e2e8f0'/>"
            f"<polyline points='{points}' fill='none' stroke='#2563eb' stroke-width='1.5'/>"
            f"<text x='{WIDTH - PAD}' y='14' text-anchor='end' font-size='11' fill='#475569'>"
            f"loss {_number(high)} … {_number(low)}</text></svg>")


def _number(x: float) -> str:
    return f"{x:.4g}"

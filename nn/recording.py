"""Snapshots of a training run, for the training player: ``nn.fit(..., record=True)``.

    >>> import nn
    >>> X, y = nn.datasets.make_moons(40, seed=0); model = nn.MLP(2, [4, 1], seed=0)
    >>> history = nn.fit(model, X, y, loss="bce_with_logits", epochs=5, progress=False, record=True)
    >>> [s.epoch for s in history.recording.snapshots]
    [0, 1, 2, 3, 4, 5]

A ``Snapshot`` of epoch k (k passes over the data done; epoch 0 is the initial model) holds:

- ``weights``: per layer ``(W, b)`` exactly as ``model.to_numpy()`` gives them after epoch k's last update
  (W of shape (n_l, n_{l-1}), notes 003/004), read from the model's parameters themselves.
- ``grads``: per layer ``(dC/dW, dC/db)``, the gradient of the loss C over the *probe rows* at those
  weights: the step full-batch gradient descent would take next. C is ``loss(outputs, targets)`` over
  the probe rows, the same function ``fit`` trains with. The output layer's dC/dz comes from the engine
  (the output activation and the loss applied to Values), the rest from the notes' recursion in numpy:
  delta^l = (W^{l+1})^T delta^{l+1} * g'(z^l) (eq. 23c), dC/dW^l = 1/m delta^l (a^{l-1})^T (eq. 23a).
- ``delta``: per layer l = 1..L (index l - 1), each neuron's mean over the probe rows of |delta^l_j|, with
  delta^l = m dC/dz^l for the m probe rows: each example's own dL/dz (C is the mean of the examples' L).
- ``loss``, ``accuracy``: the History's figures of epoch k (None at epoch 0); ``probe_loss``: C at the weights.
- ``boundary`` (2-D inputs only): the model on a ``grid`` x ``grid`` lattice over the data's box, as bytes
  0-255, row by row from the bottom: one output: P(class 1) (the sigmoid of a logit, the output itself if it is
  a sigmoid); several: class index * 256 + confidence, the confidence being the arg max's softmax probability.

The probe rows are all rows when there are at most ``probe_rows`` (default 1,000), else that many spread
evenly through X. At most ``max_snapshots`` epochs (default 200) are kept, evenly spaced from 0 to the last
(both kept), and fewer for a big model: all snapshots together hold at most ``RECORD_VALUES`` numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Value

from . import reference
from .activations import activate
from .checks import count
from .layers import MLP

MAX_SNAPSHOTS = 1000  # the largest max_snapshots a Recorder takes
MAX_GRID = 128  # the largest boundary grid side
MAX_PROBE_ROWS = 10_000
RECORD_VALUES = 5_000_000  # numbers (weights, gradients, deltas, boundary cells) all snapshots may hold: 40 MB


@dataclass(frozen=True)
class Recorder:
    """How ``fit(record=...)`` records: ``record=True`` is ``Recorder()``.

    >>> Recorder(max_snapshots=50).max_snapshots
    50

    ``max_snapshots``: epochs kept, 2 to ``MAX_SNAPSHOTS`` (evenly thinned); ``grid``: boundary cells per side,
    2 to ``MAX_GRID``; ``probe_rows``: rows the gradients and deltas are measured on, 1 to ``MAX_PROBE_ROWS``.
    """

    max_snapshots: int = 200
    grid: int = 48
    probe_rows: int = 1000

    def __post_init__(self) -> None:
        for what, value, low, high in (("max_snapshots", self.max_snapshots, 2, MAX_SNAPSHOTS),
                                       ("grid", self.grid, 2, MAX_GRID),
                                       ("probe_rows", self.probe_rows, 1, MAX_PROBE_ROWS)):
            if count(value, f"Recorder({what})", low) > high:
                raise ValueError(f"Recorder({what}) must be at most {high:,}, got {value:,}")


@dataclass
class Snapshot:
    """The model after ``epoch`` epochs; see the module docstring for what each field means exactly."""

    epoch: int
    weights: list[tuple[np.ndarray, np.ndarray]]
    grads: list[tuple[np.ndarray, np.ndarray]]
    delta: list[np.ndarray]
    probe_loss: float
    loss: float | None = None
    accuracy: float | None = None
    boundary: np.ndarray | None = None


@dataclass
class Recording:
    """A run's snapshots and what the player needs beside them (the data, the model's shape, the grid's box)."""

    widths: list[int]
    activation: str
    output_activation: str
    loss: str
    epochs: int
    planned: list[int]  # the epochs that get a snapshot
    X: np.ndarray
    y: np.ndarray
    box: tuple[float, float, float, float] | None  # x1 from, x1 to, x2 from, x2 to; None unless 2-D
    grid: int
    snapshots: list[Snapshot] = field(default_factory=list)
    _model: Any = field(default=None, repr=False)
    _probe: tuple[np.ndarray, Any] | None = field(default=None, repr=False)
    _loss_fn: Any = field(default=None, repr=False)
    _points: np.ndarray | None = field(default=None, repr=False)

    def observe(self, epoch: int, loss: float | None = None, accuracy: float | None = None) -> None:
        """Take the snapshot of ``epoch`` if it is one of the planned epochs (fit calls this after each epoch)."""
        taken = len(self.snapshots)
        if self._model is None or self._probe is None or taken >= len(self.planned) or self.planned[taken] != epoch:
            return
        weights = [(W.copy(), b.copy()) for W, b in self._model.to_numpy()]
        finite = all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in weights)
        if finite:  # finite weights can still overflow z on the probe rows (a diverging run): None then
            computed = gradients(weights, self._probe, self.activation, self.output_activation, self._loss_fn)
        if finite and computed is not None:
            grads, delta, probe_loss = computed
            board = None if self._points is None else self._boundary(weights, self._points)
        else:  # training diverged: the weights are kept, nothing can be computed from them
            grads = [(np.full(W.shape, np.nan), np.full(b.shape, np.nan)) for W, b in weights]
            delta, probe_loss, board = [np.full(b.shape, np.nan) for _, b in weights], float("nan"), None
        self.snapshots.append(Snapshot(epoch, weights, grads, delta, probe_loss, loss, accuracy, board))

    def finish(self) -> None:
        """Drop the references to the model, the loss and the probe rows (fit calls this at the end)."""
        self._model = self._loss_fn = self._probe = None

    def _boundary(self, weights: list[tuple[np.ndarray, np.ndarray]], points: np.ndarray) -> np.ndarray:
        _, a = reference.forward(weights, points.T, self.activation, self.output_activation)
        out = a[-1]  # (n_L, grid * grid)
        if out.shape[0] == 1:
            p = out[0] if self.output_activation == "sigmoid" else 1.0 / (1.0 + np.exp(-np.clip(out[0], -60, 60)))
            return np.round(p * 255).astype(np.uint16).reshape(self.grid, self.grid)
        if self.output_activation != "softmax":
            out = reference.activation("softmax", out)
        confidence = np.round(out.max(axis=0) * 255).astype(np.uint16)
        return (out.argmax(axis=0).astype(np.uint16) * 256 + confidence).reshape(self.grid, self.grid)


def planned_epochs(epochs: int, keep: int) -> list[int]:
    """At most ``keep`` (>= 2) epochs from 0 to ``epochs``, evenly spaced, both ends kept.

    >>> planned_epochs(10, 4), planned_epochs(3, 200)
    ([0, 3, 7, 10], [0, 1, 2, 3])
    """
    if epochs + 1 <= keep:
        return list(range(epochs + 1))
    return sorted({int(e) for e in np.round(np.linspace(0, epochs, keep))})


def start_recording(recorder: Recorder | bool, model: Any, X: np.ndarray, y: np.ndarray, loss: Any, loss_fn: Any,
          epochs: int) -> Recording | None:
    """A Recording for ``fit``, or None when ``recorder`` is False; checks the model is an ``nn.MLP``."""
    if recorder is False or recorder is None:
        return None
    if recorder is True:
        recorder = Recorder()
    if not isinstance(recorder, Recorder):
        raise TypeError(f"record must be True, False or an nn.Recorder, got {type(recorder).__name__}")
    if not isinstance(model, MLP):
        raise ValueError(f"record=True needs an nn.MLP (it reads per-layer W and b), got {type(model).__name__}")
    widths = [model.nin, *model.nouts]
    two_d = model.nin == 2
    grid = recorder.grid
    per_snapshot = 2 * sum((a + 1) * b for a, b in zip(widths, widths[1:])) + sum(widths[1:]) + (
        grid * grid if two_d else 0)
    keep = max(2, min(recorder.max_snapshots, RECORD_VALUES // per_snapshot))
    step = max(1, -(-len(X) // recorder.probe_rows))
    probe = (X[::step], y[::step].tolist())
    box, points = None, None
    if two_d:
        pad = 0.5  # as nn.plot.plot_decision_boundary
        box = (float(X[:, 0].min() - pad), float(X[:, 0].max() + pad),
               float(X[:, 1].min() - pad), float(X[:, 1].max() + pad))
        xs, ys = np.linspace(box[0], box[1], grid), np.linspace(box[2], box[3], grid)
        points = np.array([(u, v) for v in ys for u in xs])
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", "custom loss")
    return Recording(widths, model.activation, model.output_activation, name, epochs, planned_epochs(epochs, keep),
                     X.copy(), np.array(y), box, grid, _model=model, _probe=probe, _loss_fn=loss_fn, _points=points)


def gradients(weights: list[tuple[np.ndarray, np.ndarray]], probe: tuple[np.ndarray, Any], hidden: str,
              output: str, loss_fn: Any) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray], float] | None:
    """(per-layer (dC/dW, dC/db), per-layer mean |delta| per neuron, C) over the probe rows; see the module docstring.
    None when a z^l overflows (finite weights of a diverging run): nothing can be computed from them.

    >>> import nn; W = [(np.array([[2.0]]), np.array([0.0]))]
    >>> grads, delta, C = gradients(W, (np.array([[1.0]]), [1.0]), "relu", "linear", nn.mse_loss)
    >>> grads[0][0].tolist(), delta[0].tolist(), C   # C = (2 - 1)^2, dC/dz = 2 (z - t) = 2, dC/dw = 2 x
    ([[2.0]], [2.0], 1.0)
    """
    X, targets = probe
    with np.errstate(over="ignore", invalid="ignore"):
        z, a = reference.forward(weights, X.T, hidden, "linear")  # z^l = W^l a^{l-1} + b^l, examples as columns
    if not all(np.isfinite(z_l).all() for z_l in z):
        return None
    m, n_out = X.shape[0], z[-1].shape[0]
    with ag.enable_grad():  # the loss as fit computes it, on Values for z^L: dC/dz^L from the engine
        z_out = [[Value(float(v)) for v in column] for column in z[-1].T]
        outs = [activate(output, column) for column in z_out]
        try:
            C = loss_fn([o[0] if n_out == 1 else o for o in outs], targets)
            dC_dz = ag.grad(C, [v for column in z_out for v in column])
        except ArithmeticError:  # an overflowing loss (exp of a huge z)
            return None
    delta = m * np.array([g.data for g in dC_dz]).reshape(m, n_out).T  # each example's dL/dz^L
    deltas = [delta]
    for i in range(len(weights) - 2, -1, -1):
        delta = (weights[i + 1][0].T @ delta) * reference.derivative(hidden, z[i])  # eq. 23c
        deltas.insert(0, delta)
    grads = [(d @ a_prev.T / m, d.sum(axis=1) / m) for d, a_prev in zip(deltas, a[:-1])]  # eq. 23a, 23b
    return grads, [np.abs(d).mean(axis=1) for d in deltas], float(C.data)

"""Training: ``fit`` runs mini-batch gradient descent, ``evaluate`` measures loss and accuracy.

Examples are ROWS here (``X`` of shape (m, n_in), as ``nn.datasets`` returns them and as in
PyTorch); each epoch visits them in a new order drawn from ``seed``, in mini-batches of
``batch_size`` (notes 001, stochastic gradient descent).

    >>> import nn
    >>> X, y = nn.datasets.make_xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    >>> history = fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1),
    ...               epochs=150, batch_size=4, seed=0, progress=False)
    >>> history.accuracy[-1]
    1.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm  # the plain bar: it also works in notebooks without ipywidgets

import autograd_lite as ag
from autograd_lite import Value, no_grad

from .checks import count, finite_array
from .losses import (
    TERMS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    half_squared_error,
    hinge_loss,
    mse_loss,
)
from .module import Module
from .optim import Adam, Optimizer, VectorRule
from .recording import Recorder, Recording, start_recording

LossFn = Callable[[Any, Any], Value]

# loss name -> (function, whether an output counts as correct); None: no accuracy (regression)
LOSSES: dict[str, tuple[LossFn, Callable[[np.ndarray, np.ndarray], np.ndarray] | None]] = {
    "mse": (mse_loss, None),
    "half_squared_error": (half_squared_error, None),  # the notes' 1/2 ||t - y||^2 per example (notes 002, 004)
    "bce": (binary_cross_entropy, lambda out, y: (out > 0.5) == (y > 0.5)),
    "bce_with_logits": (binary_cross_entropy_with_logits, lambda out, y: (out > 0.0) == (y > 0.5)),
    "hinge": (hinge_loss, lambda out, y: (out > 0.0) == (y > 0.0)),
    "cross_entropy": (cross_entropy, lambda out, y: out.argmax(axis=-1) == y),
}


@dataclass
class History:
    """Per-epoch mean mini-batch loss and accuracy (None when the loss has no notion of accuracy).

    Both are running figures: each mini-batch is scored with the weights it was trained from.
    ``recording``: the snapshots of ``fit(record=True)`` (``nn.recording``), else None.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    recording: Recording | None = field(default=None, repr=False, compare=False)

    def player(self, path: str | Path, title: str = "Training, epoch by epoch") -> Path:
        """Write the training player (one offline HTML page) of a ``fit(record=True)`` run to ``path``.

        >>> import nn, os, tempfile; X, y = nn.datasets.make_xor(); m = nn.MLP(2, [2, 1], seed=0)
        >>> h = fit(m, X, y, loss="mse", epochs=2, progress=False, record=True)
        >>> h.player(os.path.join(tempfile.mkdtemp(), "train.html")).suffix
        '.html'
        """
        from .player import write_player

        return write_player(self, path, title)

    def _repr_html_(self) -> str:
        """Jupyter: the training player (an iframe) for a recorded run, else the figures and the loss curve."""
        if self.recording is None:
            from .history_html import summary_html

            return summary_html(self)
        from .player import inline_player

        return inline_player(self)


def train_step(model: Callable, inputs: Sequence[list[float]], targets: Any, loss_fn: LossFn,
               optimizer: Optimizer) -> tuple[float, np.ndarray]:
    """One mini-batch: forward, loss, backward, optimizer step. Returns the loss and the outputs' data.

    >>> import nn; m = nn.MLP(1, [1], seed=0); opt = nn.SGD(m.parameters(), lr=0.1)
    >>> loss, out = train_step(m, [[1.0]], [0.0], nn.mse_loss, opt); out.shape
    (1,)
    """
    with ag.collector_paused():  # the step's graph has no cycles and is freed below, before the collector is back
        optimizer.zero_grad()
        outputs = [model(x) for x in inputs]
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        result = loss.data, _data(outputs)
        del outputs, loss  # so the collector never traverses this graph: it finds nothing, it is all refcounted
    return result


def _data(outputs: list) -> np.ndarray:
    return np.array([[v.data for v in out] if isinstance(out, list) else out.data for out in outputs])


def _resolve_loss(loss: str | LossFn) -> tuple[LossFn, Callable | None]:
    if callable(loss):
        return loss, None
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a function (outputs, targets) -> Value, "
                         f"got {loss!r:.60}")
    return LOSSES[loss]


def _check_data(model: Any, X: Any, y: Any, loss: str | LossFn) -> tuple[np.ndarray, np.ndarray]:
    X = _rows(X)
    nin = getattr(model, "nin", X.shape[1])
    if X.shape[1] != nin:
        raise ValueError(f"X has {X.shape[1]} features per row but the model takes {nin} inputs")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"y must have one entry per row of X ({len(X)}), got shape {y.shape}")
    if loss == "cross_entropy":
        if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
            raise ValueError(f"cross_entropy needs y as a 1-D array of int class indices, got {y.dtype} {y.shape}")
    elif y.dtype.kind not in "biuf" or not np.all(np.isfinite(y)):
        raise ValueError("y must hold finite numbers")
    return X, y


# the output activation each loss expects: the *_with_logits and cross_entropy losses apply their own squashing
EXPECTED_OUTPUT = {"bce": "sigmoid", "bce_with_logits": "linear", "cross_entropy": "linear", "hinge": "linear"}


def _check_model_fits_loss(model: Any, loss: str | LossFn) -> None:
    output = getattr(model, "output_activation", None)
    if output is None or callable(loss) or loss not in EXPECTED_OUTPUT or output == EXPECTED_OUTPUT[loss]:
        return
    hint = {"bce": "a sigmoid output (or use loss='bce_with_logits' with a linear one)",
            "cross_entropy": "a linear output: it takes logits and applies the softmax itself"}.get(
        loss, "a linear output: it takes raw scores (logits)")
    raise ValueError(f"loss={loss!r} needs {hint}; this model's output_activation is {output!r}")


def _rows(X: Any) -> np.ndarray:
    X = finite_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (m, n_in), one example per row; got shape {X.shape}")
    return X


def _accuracy(correct: Callable | None, outputs: np.ndarray, y: np.ndarray) -> float | None:
    return None if correct is None else float(np.mean(correct(outputs, y)))


# Per-example loss terms (nn.losses.TERMS) take Value targets, so a tape gets them per sample: the
# mean of these over a batch is what the batch loss computes (``compiled=True``).
PER_EXAMPLE = TERMS


def _compile_step(model: Any, loss: str | LossFn, x0: np.ndarray, t0: np.ndarray) -> ag.Tape:
    """The model and its loss for ONE example, compiled into a tape that trains on whole batches.

    Its inputs are the example's features then its targets (one-hot for cross_entropy); it
    returns the example's loss and, as aux, the model's outputs (for the accuracy).
    """
    if not isinstance(loss, str) or loss not in PER_EXAMPLE:
        raise ValueError(f"compiled=True supports loss {', '.join(PER_EXAMPLE)}; got {loss!r:.60} (bce clamps "
                         f"log(p) value by value, which a tape cannot replay: use bce_with_logits)")
    nin, per_example = len(x0), PER_EXAMPLE[loss]

    def example_loss(*inputs: Value) -> tuple[Value, Any]:
        out = model(list(inputs[:nin]))
        outs = out if isinstance(out, list) else [out]
        terms = per_example(outs, list(inputs[nin:]))
        return ag.sum(terms) * (1.0 / len(terms)), out

    return ag.compile(example_loss, [*x0.tolist(), *t0.tolist()], parameters=model.parameters(), has_aux=True)


def _target_columns(y: np.ndarray, loss: str | LossFn, model: Any, X_first: list[float]) -> np.ndarray:
    """Targets as float rows for a tape: one-hot class vectors for cross_entropy, else y as (m, K)."""
    if loss == "cross_entropy":
        with no_grad():
            out = model(X_first)
        classes = len(out) if isinstance(out, list) else 1
        if y.min() < 0 or y.max() >= classes:
            raise ValueError(f"cross_entropy: class indices must be in 0..{classes - 1} for this model's "
                             f"{classes} outputs, got {int(y.min())}..{int(y.max())}")
        return np.eye(classes)[y]
    return np.asarray(y, dtype=float).reshape(len(y), -1)


def fit(model: Module, X: Any, y: Any, *, loss: str | LossFn, optimizer: Optimizer | None = None,
        epochs: int = 100, batch_size: int | None = 32, seed: int | None = 0, progress: bool = True,
        compiled: bool = False, record: bool | Recorder = False) -> History:
    """Train ``model`` on rows ``X`` and targets ``y``; returns the per-epoch ``History``.

    >>> import nn; X, y = nn.datasets.make_blobs(40, centers=2, seed=0); m = nn.MLP(2, [2], seed=0)
    >>> fit(m, X, y, loss="cross_entropy", epochs=3, progress=False).loss[0] > 0
    True

    ``loss``: ``"mse"`` (PyTorch's mean (y - t)^2), ``"half_squared_error"`` (the notes' 1/2 ||t - y||^2),
    ``"bce"`` (the model outputs probabilities), ``"bce_with_logits"``,
    ``"hinge"`` (labels -1/+1), ``"cross_entropy"`` (logits, int labels) or a function
    ``(outputs, targets) -> Value``. ``optimizer`` defaults to ``Adam(model.parameters(), lr=0.01)``.
    ``batch_size=None`` uses the whole set each step. ``progress`` shows a tqdm bar.
    ``compiled=True`` traces the model and loss once (``autograd_lite.compile``) and runs each
    mini-batch through the tape in numpy: the same losses and updates as eager training, to
    rounding, many times faster (named losses except ``"bce"``). With ``nn.SGD`` / ``nn.Adam`` the updates run on
    the tape's own parameter vector (``tape.hold_parameters()``, the optimizer's ``vector_rule``); the Values get
    the numbers before each snapshot and when fit returns or raises. Other optimizers step the Values.
    ``record=True`` (or an ``nn.Recorder``) keeps snapshots of the weights, gradients and deltas every
    epoch, at most 200 evenly spaced (``nn.recording``), for ``history.player(path)``; an ``nn.MLP`` only.
    """
    loss_fn, correct = _resolve_loss(loss)
    if not callable(model):  # a Module subclass with __call__ (Neuron, Layer, MLP or yours)
        raise TypeError(f"fit: model must be callable on one example, got {type(model).__name__}")
    _check_model_fits_loss(model, loss)
    X, y = _check_data(model, X, y, loss)
    epochs = count(epochs, "epochs", 0)
    m = len(X)
    batch_size = m if batch_size is None else count(batch_size, "batch_size")
    optimizer = Adam(model.parameters(), lr=0.01) if optimizer is None else optimizer
    rng = np.random.default_rng(seed)
    rows = X.tolist()
    if compiled:
        targets = _target_columns(y, loss, model, rows[0])
        tape = _compile_step(model, loss, X[0], targets[0])
    history = History(recording=start_recording(record, model, X, y, loss, loss_fn, epochs))
    recording = history.recording
    if recording is not None:
        recording.observe(0)
    # compiled with SGD / Adam: the rule runs on the tape's held parameter vector, the Values are written
    # back before each snapshot and at the end (also when a step raises); other optimizers step the Values
    rule = _vector_rule(optimizer, tape) if compiled else None
    held, grads = (tape.hold_parameters() if rule else None), None
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress)
    try:
        for _ in bar:
            order = rng.permutation(m)  # a fresh shuffle each epoch: stochastic gradient descent
            total, outputs = 0.0, []
            for start in range(0, m, batch_size):
                idx = order[start:start + batch_size]
                if held is not None and rule is not None:  # both or neither
                    (batch_loss, out), grads = tape.value_and_grad(*X[idx].T, *targets[idx].T)
                    rule.step(held.vector, grads)
                elif compiled:
                    optimizer.zero_grad()
                    batch_loss, out = tape.backward(*X[idx].T, *targets[idx].T)
                    optimizer.step()
                else:
                    batch_loss, out = train_step(model, [rows[i] for i in idx], y[idx].tolist(), loss_fn, optimizer)
                total += batch_loss * len(idx)
                outputs.append(out)
            history.loss.append(total / m)
            history.accuracy.append(_accuracy(correct, np.concatenate(outputs), y[order]))
            if recording is not None:
                if held is not None:
                    held.sync()
                recording.observe(len(history.loss), history.loss[-1], history.accuracy[-1])
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if history.accuracy[-1] is not None:
                shown["acc"] = f"{history.accuracy[-1]:.3f}"
            bar.set_postfix(shown)
    finally:
        if held is not None and rule is not None:
            _release(held, rule, tape, grads)
    if recording is not None:
        recording.finish()
    return history


def _vector_rule(optimizer: Optimizer, tape: ag.Tape) -> VectorRule | None:
    """The optimizer's rule on the tape's parameter vector when it has one and updates exactly the tape's
    parameters (in any order); else None: fit steps the Values as in eager training."""
    where = {id(p): i for i, p in enumerate(tape.parameters)}
    positions = [where.get(id(p)) for p in optimizer.params]
    if len(positions) != len(where) or None in positions:
        return None
    in_order = positions == list(range(len(positions)))
    return optimizer.vector_rule(None if in_order else np.array(positions))


def _release(held: Any, rule: VectorRule, tape: ag.Tape, grads: np.ndarray | None) -> None:
    """Values, optimizer state and ``.grad`` (the last batch's gradient) as the per-Value steps leave them."""
    try:
        held.release()
    finally:
        rule.store()
        if grads is not None:
            for p, g in zip(tape.parameters, grads.tolist()):
                p.grad = g


def evaluate(model: Callable, X: Any, y: Any, *, loss: str | LossFn, compiled: bool = False,
             batch_size: int = 1024) -> tuple[float, float | None]:
    """(loss, accuracy) of ``model`` on rows ``X``, targets ``y``, without recording a graph.

    >>> import nn; X, y = nn.datasets.make_xor(); evaluate(nn.MLP(2, [1], seed=0), X, y, loss="mse")[1] is None
    True

    ``compiled=True`` traces the model and loss once, as ``fit(compiled=True)`` does, and runs the examples
    through the tape ``batch_size`` at a time: the same numbers to rounding, hundreds of times faster for a
    big model (named losses except ``"bce"``).
    """
    loss_fn, correct = _resolve_loss(loss)
    X, y = _check_data(model, X, y, loss)
    if compiled:
        return _evaluate_compiled(model, X, y, loss, correct, count(batch_size, "batch_size"))
    with no_grad():
        outputs = [model(x) for x in X.tolist()]
        return loss_fn(outputs, y.tolist()).data, _accuracy(correct, _data(outputs), y)


def _evaluate_compiled(model: Any, X: np.ndarray, y: np.ndarray, loss: str | LossFn, correct: Callable | None,
                       batch_size: int) -> tuple[float, float | None]:
    _check_model_fits_loss(model, loss)
    targets = _target_columns(y, loss, model, X[0].tolist())
    with ag.enable_grad():  # tracing records the graph, even when the caller is inside no_grad()
        tape = _compile_step(model, loss, X[0], targets[0])
    total, outputs = 0.0, []
    for start in range(0, len(X), batch_size):
        rows = slice(start, start + batch_size)
        values, out = tape(*X[rows].T, *targets[rows].T)  # each example's loss, and the model's outputs
        total += float(values.sum())
        outputs.append(out)
    return total / len(X), _accuracy(correct, np.concatenate(outputs), y)


@no_grad()
def predict(model: Callable, X: Any) -> np.ndarray:
    """The model's outputs for rows ``X`` as an array (m,) or (m, n_out), without recording a graph.

    >>> import nn; predict(nn.MLP(2, [3], seed=0), np.zeros((5, 2))).shape
    (5, 3)
    """
    return _data([model(x) for x in _rows(X).tolist()])

"""An MLP layer by layer, one step per equation of the notes, with the engine's numbers beside the closed form.

``explain_layers(model, X, T, loss)`` builds the model's scalar graph for one example ``x`` (a
vector) or a batch (the rows of ``X``), differentiates it with the engine (``autograd_lite.grad``)
and evaluates the notes' formulas in numpy (``nn.reference``). The result, a ``LayerView``, walks
the forward pass z^[l] = W^[l] a^[l-1] + b^[l], a^[l] = g(z^[l]) and the backward pass
delta^[l] = (W^[l+1])^T delta^[l+1] o g'(z^[l]), dC/dW^[l] = delta^[l] (a^[l-1])^T, dC/db^[l] = delta^[l]
(notes 003/004; note 001 eqs. 21-23 with its W transposed) as text, Markdown (LaTeX) or an HTML page.

    >>> import nn; view = nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5], loss="half_squared_error")
    >>> [check.index for check in view.layers], view.layers[0].difference() < 1e-12
    ([2, 1], True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograd_lite import Value, example_label, grad, topological_order
from autograd_lite import sum as value_sum

from . import layer_html, layer_text, losses, reference
from .activations import activate
from .layer_build import LOSS_TEXT, Run, build_steps
from .layer_steps import Step

MAX_LAYERS = 8
"""Layers a walkthrough explains (every layer is several steps; more is not a lesson, it is a log)."""
MAX_WIDTH = 32
"""Neurons in any layer, inputs included (matrices beyond 8x8 are shown elided anyway)."""
MAX_EXAMPLES = 32
"""Examples in a batch (each is a copy of the scalar graph; columns beyond 8 are shown elided)."""

LOSSES: tuple[str, ...] = ("mse", "half_squared_error", "bce", "bce_with_logits", "cross_entropy")
REFERENCE_NAME = {"mse": "mse_loss", "half_squared_error": "half_squared_error", "bce": "bce",
                   "bce_with_logits": "bce_with_logits", "cross_entropy": "cross_entropy"}


@dataclass
class LayerCheck:
    """One layer l: delta^[l] and dC/dW^[l], dC/db^[l] from the engine and from the notes' formulas.

    One example: ``delta_*`` has shape (n_l,), dL/dz^[l]. A batch of m: ``delta_*`` is n_l x m, column i
    holding dL^(i)/dz^[l] of example i (note 001's J_z(C), eq. 23c-d; the engine's dC/dz is 1/m of it),
    and ``dW_*``, ``db_*`` are the batch averages of eq. 23a/23b. ``back_*`` = (W^[l+1])^T delta^[l+1] and
    ``g_prime_*`` = g'(z^[l]), the two factors of a hidden layer's delta (None at the output layer).
    """

    index: int  # l = 1 .. L
    activation: str
    formula: str  # how delta^[l] is obtained
    delta_engine: Any
    delta_formula: Any
    dW_engine: Any
    dW_formula: Any
    db_engine: Any
    db_formula: Any
    back_engine: Any = None
    back_formula: Any = None
    g_prime_engine: Any = None
    g_prime_formula: Any = None

    def difference(self) -> float:
        """The largest |engine - closed form| over every array of this layer."""
        pairs = [(self.delta_engine, self.delta_formula), (self.dW_engine, self.dW_formula),
                 (self.db_engine, self.db_formula), (self.back_engine, self.back_formula),
                 (self.g_prime_engine, self.g_prime_formula)]
        return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs if a is not None)


@dataclass
class LayerView:
    """``explain_layers``' result: ``layers`` (one ``LayerCheck`` per layer, output first) and ``steps``.

    ``steps`` are the walkthrough's equations in order (forward, loss, backward); ``m`` the number of
    examples (``batch`` False: one vector x). ``root`` is the first example's loss node, the graph the
    HTML page draws.
    """

    loss: str
    cost: float  # the closed form's C
    engine_cost: float
    layers: list[LayerCheck]
    steps: list[Step] = field(default_factory=list)
    m: int = 1
    batch: bool = False
    convention: str = ""
    root: Any = None
    model: Any = None

    def to_text(self, precision: int = 4) -> str:
        """The walkthrough as plain text: every step's formula, then its matrices with the numbers.

        >>> import nn; view = nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5])
        >>> "delta^[2] = 2/n_L (a^[2] - t)" in view.to_text()
        True
        """
        return layer_text.to_text(self, precision)

    def to_markdown(self, precision: int = 4) -> str:
        """The walkthrough as Markdown with LaTeX ($$ ... $$ blocks, bmatrix), for Jupyter or a notes file.

        >>> import nn; view = nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5])
        >>> r"\\delta^{[1]}" in view.to_markdown()
        True
        """
        return layer_text.to_markdown(self, precision)

    def to_html(self, precision: int = 4) -> str:
        """A self-contained page (no network): the steps beside the first example's scalar diagram; pointing at a
        matrix entry lights its nodes and pointing at a node lights its entries.

        >>> import nn; nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5]).to_html()[:15]
        '<!DOCTYPE html>'
        """
        return layer_html.to_html(self, precision)

    def write_html(self, path: str | os.PathLike, precision: int = 4) -> Path:
        """Write ``to_html()`` to ``path`` (UTF-8) and return the path.

        >>> import nn, os, tempfile; view = nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5])
        >>> view.write_html(os.path.join(tempfile.mkdtemp(), "layers.html")).name
        'layers.html'
        """
        path = Path(path)
        path.write_text(self.to_html(precision), encoding="utf-8")
        return path

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        worst = max(layer.difference() for layer in self.layers)
        examples = f", batch of {self.m}" if self.batch else ""
        return f"LayerView(loss={self.loss!r}, {len(self.layers)} layers{examples}, largest difference {worst:.2g})"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return layer_html.fragment(self)


def loss_name(loss: Any, who: str = "explain_layers") -> str:
    """The name in ``LOSSES`` of ``loss``: one of them, or the nn.losses function (``nn.quiz`` reads them too).

    >>> loss_name(losses.mse_loss), loss_name("half_squared_error")
    ('mse', 'half_squared_error')
    """
    by_function = {losses.mse_loss: "mse", losses.half_squared_error: "half_squared_error",
                   losses.binary_cross_entropy: "bce", losses.binary_cross_entropy_with_logits: "bce_with_logits",
                   losses.cross_entropy: "cross_entropy"}
    if callable(loss) and loss in by_function:
        return by_function[loss]
    if isinstance(loss, str) and loss in LOSSES:
        return loss
    raise ValueError(f"{who}: loss must be one of {', '.join(LOSSES)} (or nn.mse_loss, "
                     f"nn.binary_cross_entropy, ...); got {loss!r:.60}")


def _inputs(model: Any, x: Any) -> tuple[np.ndarray, bool]:
    """X as rows of examples (m, n_in) and whether one vector was given."""
    try:
        kind = np.asarray(x).dtype.kind  # b: True/False are not inputs (a slip, as everywhere else in nn)
        X = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        kind, X = "O", None
    if kind not in "iuf" or X is None:
        raise ValueError(f"explain_layers: X must be a list of numbers (one example) or a list of rows "
                         f"(a batch), got {type(x).__name__}{' of booleans' if kind == 'b' else ''}") from None
    if X.ndim not in (1, 2) or X.size == 0:
        raise ValueError(f"explain_layers: X must be one example (n_in,) or a batch of rows (m, n_in), "
                         f"got shape {X.shape}")
    single = X.ndim == 1
    X = X[None, :] if single else X
    if X.shape[1] != model.nin:
        raise ValueError(f"explain_layers: input: expected {model.nin} inputs, got {X.shape[1]}")
    if not np.all(np.isfinite(X)):
        raise ValueError("explain_layers: X must be finite numbers")
    if X.shape[0] > MAX_EXAMPLES:
        raise ValueError(f"explain_layers: a batch of {X.shape[0]} examples is more than {MAX_EXAMPLES}; "
                         "explain a few rows (the gradients of a bigger batch are nn.reference.backprop's)")
    return X, single


def _targets(target: Any, m: int, n_out: int, loss: str, single: bool) -> np.ndarray:
    """T as rows (m, n_L); class indices of cross_entropy become one-hot rows (eq. 4)."""
    given = np.asarray(target)
    if loss == "cross_entropy" and given.ndim == (0 if single else 1) and np.issubdtype(given.dtype, np.integer):
        k = np.atleast_1d(given)
        if len(k) != m or k.min() < 0 or k.max() >= n_out:
            raise ValueError(f"explain_layers: target must be {m} class index(es) in [0, {n_out}), got {k.tolist()}")
        return np.eye(n_out)[k]
    if loss == "cross_entropy" and given.ndim == (0 if single else 1) and n_out > 1:
        raise ValueError(f"explain_layers: a class index must be a whole number in [0, {n_out}) (or give one-hot "
                         f"rows), got {target!r:.60}")
    if np.asarray(target).dtype.kind == "b":
        raise ValueError("explain_layers: target must be numbers, got booleans")
    try:
        T = np.asarray(target, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"explain_layers: target must be numbers, got {type(target).__name__}") from None
    if single and T.shape == () and n_out == 1:  # one example, one output: t = 2 as well as [2]
        T = T.reshape(1)
    if single and T.shape != (n_out,):
        raise ValueError(f"explain_layers: target must hold {n_out} numbers, got shape {np.shape(target)}")
    if single:
        T = T[None, :]
    elif T.shape == (m,) and n_out == 1:
        T = T[:, None]
    if T.shape != (m, n_out):
        raise ValueError(f"explain_layers: target must have shape ({m}, {n_out}) (one row per example), "
                         f"got {T.shape}")
    if not np.all(np.isfinite(T)):
        raise ValueError("explain_layers: target must be finite numbers")
    return T.reshape(m, n_out)


def example_loss(loss: str, y: list[Value], z: list[Value], t: list[float]) -> Value:
    """L of one example, as a graph on the output Values (the conventions of ``LOSS_TEXT``; ``nn.quiz``'s too).

    >>> example_loss("half_squared_error", [Value(3.0)], [Value(0.0)], [2.0]).data   # 1/2 (3 - 2)^2
    0.5
    """
    if loss == "mse":  # nn.mse_loss: 1/n_L sum (y - t)^2, PyTorch's mean, no 1/2
        return losses.mse_loss(y, t)
    if loss == "half_squared_error":  # the notes: 1/2 sum (t - y)^2 (note 002)
        return losses.half_squared_error([y], [t])
    if loss == "bce":  # -sum [t log y + (1 - t) log(1 - y)] (note 000), summed over the outputs
        return losses.binary_cross_entropy(y, t) * len(y)
    if loss == "bce_with_logits":  # sum [softplus(z) - t z], the log loss of sigma(z)
        return value_sum(losses.TERMS["bce_with_logits"](z, t))
    return -value_sum([tk * a.log() for a, tk in zip(y, t) if tk != 0.0])  # -sum y~_k log y^_k (eq. 9)


def explain_layers(model: Any, x: Any, target: Any, loss: Any = "mse") -> LayerView:
    """The notes' backpropagation through an ``nn.MLP``, step by step, engine beside closed form.

    >>> from nn import MLP; model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    >>> view = explain_layers(model, [1.0, -2.0], [1.0], loss="bce"); view.layers[-1].difference() < 1e-12
    True
    >>> batch = explain_layers(model, [[1.0, -2.0], [0.5, 0.5]], [1.0, 0.0], loss="bce")
    >>> batch.m, batch.layers[0].delta_engine.shape, batch.layers[0].dW_engine.shape
    (2, (1, 2), (1, 3))

    - ``x``: one example (a list of n_in numbers) or a batch (m rows of n_in, at most ``MAX_EXAMPLES``).
    - ``target``: n_L numbers per example (rows for a batch; a plain list when n_L = 1), or class
      indices for ``cross_entropy``.
    - ``loss``: ``"mse"`` (``nn.mse_loss``: PyTorch's mean (y - t)^2 over the outputs, delta = 2/n_L (y - t) o
      g'), ``"half_squared_error"`` (the notes' 1/2 ||y - t||^2, delta = (y - t) o g'), ``"bce"`` (sigmoid
      output, delta = y - t), ``"bce_with_logits"`` (linear output z, delta = sigma(z) - t) or
      ``"cross_entropy"`` (softmax output, delta = y^ - y~); the nn.losses functions are accepted too.
      A batch's cost is the mean over its examples, C = 1/m sum_i L^(i) (note 001).

    No ``.grad`` of the model changes.
    """
    loss = loss_name(loss)
    if not (hasattr(model, "trace") and hasattr(model, "to_numpy") and hasattr(model, "layers")):
        raise TypeError(f"explain_layers: model must be an nn.MLP, got {type(model).__name__}")
    if len(model.layers) > MAX_LAYERS or max([model.nin, *model.nouts]) > MAX_WIDTH:
        raise ValueError(f"explain_layers: the model has {len(model.layers)} layers of widths "
                         f"{[model.nin, *model.nouts]}; a walkthrough explains at most {MAX_LAYERS} layers of at most "
                         f"{MAX_WIDTH} neurons (nn.reference.backprop computes the gradients of any size)")
    output = model.output_activation
    allowed = reference.LOSSES[REFERENCE_NAME[loss]]
    if output not in allowed:
        raise ValueError(f"explain_layers: loss {loss!r} goes with output activation {' or '.join(allowed)}, "
                         f"but the model's is {output!r}")
    X, single = _inputs(model, x)
    m, n_out = X.shape[0], model.nouts[-1]
    T = _targets(target, m, n_out, loss, single)
    run = _engine(model, X, T, loss)
    ref_X, ref_T = (X[0], T[0]) if single else (X.T, T.T)
    run.reference = reference.backprop(model.to_numpy(), ref_X, ref_T, hidden=model.activation, output=output,
                                       loss=REFERENCE_NAME[loss])
    if single:
        run.squeeze()
    checks = [_check(run, i) for i in reversed(range(len(model.layers)))]
    return LayerView(loss=loss, cost=run.reference.cost, engine_cost=run.cost.data, layers=checks,
                     steps=build_steps(run), m=m, batch=not single, convention=LOSS_TEXT[loss].text,
                     root=run.roots[0], model=model)


def _check(run: Run, i: int) -> LayerCheck:
    ref, last = run.reference, i == len(run.model.layers) - 1
    formula = LOSS_TEXT[run.loss].delta if last else "delta^[l] = (W^[l+1])^T delta^[l+1] o g'(z^[l])"
    return LayerCheck(
        index=i + 1, activation=run.model.layers[i].activation,
        formula=formula.replace("[l+1]", f"[{i + 2}]").replace("[l]", f"[{i + 1}]").replace("[L]", f"[{i + 1}]"),
        delta_engine=run.delta[i], delta_formula=ref.delta[i], dW_engine=run.dW[i], dW_formula=ref.dW[i],
        db_engine=run.db[i], db_formula=ref.db[i], back_engine=run.back[i], back_formula=ref.back[i],
        g_prime_engine=None if last else run.g_prime[i], g_prime_formula=ref.g_prime[i])


def name_example(root: Value, example: int) -> None:
    """Write example ``example``'s index on the nodes its forward pass made, as note 001 writes x^(i):
    x_1^(2), z_1^[1](2), Σ_j w_j1^[1] x_j^(2) (``autograd_lite.example_label``); weights and biases are shared.

    >>> import nn; model = nn.MLP(2, [1], seed=0); out = model([1.0, 2.0]); name_example(out, 2)
    >>> out.label, out.inputs[0].label, model.layers[0].neurons[0].w[0].label
    ('yhat_1^(2)', 'Σ_j w_j1^[1] x_j^(2)', 'w_11^[1]')
    """
    for node in topological_order(root):
        if node.label:
            marked = example_label(node.label, example)
            if marked is not None:
                node.label = marked


def _local_slopes(name: str, zs: list[Value]) -> list[float]:
    """g'(z_k) for each z_k: autograd of a = g(z) on a fresh one-op graph at the same z."""
    fresh = [Value(z.data) for z in zs]
    return [grad(a, [z])[0].data for a, z in zip(activate(name, fresh), fresh)]


def _engine(model: Any, X: np.ndarray, T: np.ndarray, loss: str) -> Run:
    """Build each example's graph and read every number of the walkthrough from the engine's gradients."""
    run = Run(model=model, loss=loss, T=T.T)
    for i, (row, t) in enumerate(zip(X, T)):
        xs = [Value(float(v), label=f"x_{j + 1}") for j, v in enumerate(row)]  # one node per input, fed to every neuron
        trace = model.trace(xs)
        L = example_loss(loss, trace.a[-1], trace.z[-1], t.tolist())
        if len(X) > 1:
            name_example(L, i + 1)
        run.roots.append(L)
        if i == 0:
            run.trace = trace
        zs = [z for layer in trace.z for z in layer]
        hidden_a = [a for layer in trace.a[1:-1] for a in layer]
        grads = iter(g.data for g in grad(L, zs + hidden_a))  # dL/dz: delta; dL/da^[l] = (W^[l+1])^T delta^[l+1]
        run.add_column("delta", [[next(grads) for _ in layer] for layer in trace.z])
        run.add_column("back", [[next(grads) for _ in layer] for layer in trace.a[1:-1]] + [None])
        # g'(z) = da/dz by the engine, on a one-op graph per neuron (the op table's derivative, no graph walk)
        run.add_column("g_prime", [None if layer.activation == "softmax" else _local_slopes(layer.activation, z)
                                   for layer, z in zip(model.layers, trace.z)])
        run.add_column("z", [[v.data for v in layer] for layer in trace.z])
        run.add_column("a", [[float(v.data) for v in layer] for layer in trace.a])
    m = len(run.roots)
    run.cost = run.roots[0] if m == 1 else value_sum(run.roots) * (1.0 / m)  # C = 1/m sum_i L^(i) (note 001)
    weights = [w for layer in model.layers for neuron in layer.neurons for w in neuron.w]
    biases = [neuron.b for layer in model.layers for neuron in layer.neurons]
    grads = iter(g.data for g in grad(run.cost, weights + biases))
    run.dW = [np.array([[next(grads) for _ in n.w] for n in layer.neurons]) for layer in model.layers]
    run.db = [np.array([next(grads) for _ in layer.neurons]) for layer in model.layers]
    run.finish()
    return run

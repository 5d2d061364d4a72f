"""An MLP layer by layer: the engine's delta and weight gradients beside the notes' closed form.

``explain_layers(model, x, target, loss)`` differentiates the model's graph with the engine
(``autograd_lite.grad``) and evaluates the notes' formulas in numpy (``nn.reference``), so a
student sees, layer by layer, that delta^l = (W^{l+1})^T delta^{l+1} * g'(z^l) and
dL/dW^l = delta^l (a^{l-1})^T are what backpropagation computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_lite import grad
from autograd_lite import sum as value_sum

from . import losses, reference
from .activations import check_choice


@dataclass
class LayerCheck:
    """One layer l: delta^l = dL/dz^l and dL/dW^l, dL/db^l from the engine and from the notes' formulas."""

    index: int  # l = 1 .. L
    activation: str
    formula: str  # how the closed form gets delta^l
    delta_engine: Any
    delta_formula: Any
    dW_engine: Any
    dW_formula: Any
    db_engine: Any
    db_formula: Any

    def difference(self) -> float:
        """The largest |engine - closed form| over delta, dW and db of this layer."""
        return max(float(np.max(np.abs(a - b))) for a, b in
                   ((self.delta_engine, self.delta_formula), (self.dW_engine, self.dW_formula),
                    (self.db_engine, self.db_formula)))


@dataclass
class LayerView:
    """``explain_layers``' result: one ``LayerCheck`` per layer, output layer first (backward order)."""

    loss: str
    cost: float  # the closed form's
    engine_cost: float
    layers: list[LayerCheck]

    def to_text(self, precision: int = 6) -> str:
        """Per layer: delta from the engine beside the formula, then dL/dW = delta (a^{l-1})^T.

        >>> import nn; view = nn.explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5])
        >>> print(view.to_text().splitlines()[3])
        layer 2 (linear): delta^2 = (a^2 - t) * g'(z^2)  (L = 1/2 ||a^2 - t||^2, note 004)
        """
        return _layers_text(self, precision)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        worst = max(layer.difference() for layer in self.layers)
        return f"LayerView(loss={self.loss!r}, {len(self.layers)} layers, largest difference {worst:.2g})"

    def _repr_markdown_(self) -> str:
        return "```\n" + self.to_text() + "\n```"


_OUTPUT_DELTA = {  # the notes' delta at the output layer, by loss
    "bce": "delta^{l} = a^{l} - t  (sigmoid + log loss, notes 000/003)",
    "cross_entropy": "delta^{l} = y_hat - y  (softmax + cross-entropy, eq. 19, 22d)",
    "mse": "delta^{l} = (a^{l} - t) * g'(z^{l})  (L = 1/2 ||a^{l} - t||^2, note 004)",
}


def explain_layers(model: Any, x: Any, target: Any, loss: str = "mse") -> LayerView:
    """The engine's delta and weight gradients of an ``nn.MLP`` beside the notes' numpy formulas.

    >>> from nn import MLP; model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    >>> view = explain_layers(model, [1.0, -2.0], [1.0], loss="bce"); view.layers[-1].difference() < 1e-12
    True

    ``loss``: "mse" (L = 1/2 ||a^L - t||^2), "bce" (sigmoid output) or "cross_entropy" (softmax
    output; ``target`` a class index or a one-hot list). One example ``x``; no ``.grad`` changes.
    """
    check_choice(loss, "loss", tuple(reference.LOSSES))
    if not (hasattr(model, "trace") and hasattr(model, "to_numpy") and hasattr(model, "layers")):
        raise TypeError(f"explain_layers: model must be an nn.MLP, got {type(model).__name__}")
    output = model.output_activation
    if output not in reference.LOSSES[loss]:
        raise ValueError(f"explain_layers: loss {loss!r} goes with output activation "
                         f"{' or '.join(reference.LOSSES[loss])}, but the model's is {output!r}")
    trace = model.trace(x)
    a_L = trace.a[-1]
    if loss == "cross_entropy" and np.ndim(target) == 0:
        t = np.eye(len(a_L))[int(target)]
    else:
        t = np.asarray(target, dtype=float).reshape(-1)
        if t.shape != (len(a_L),):
            raise ValueError(f"explain_layers: target must hold {len(a_L)} numbers, got shape {np.shape(target)}")
    # the notes' losses, summed over the outputs, from nn.losses' formulas (PyTorch's means, no 1/2)
    if loss == "mse":  # L = 1/2 ||a^L - t||^2 (note 002)
        L = 0.5 * value_sum(losses.TERMS["mse"](a_L, t.tolist()))
    elif loss == "bce":  # L = -sum [t log a + (1 - t) log(1 - a)] (notes 000)
        L = losses.binary_cross_entropy(a_L, t.tolist()) * len(a_L)
    else:  # L = -sum y_k log y_hat_k (eq. 9) on the softmax layer's probabilities
        L = -value_sum([tk * a.log() for a, tk in zip(a_L, t) if tk != 0.0])
    zs = [z for layer in trace.z for z in layer]
    weights = [w for layer in model.layers for neuron in layer.neurons for w in neuron.w]
    biases = [neuron.b for layer in model.layers for neuron in layer.neurons]
    grads = iter(g.data for g in grad(L, zs + weights + biases))
    delta = [np.array([next(grads) for _ in layer]) for layer in trace.z]
    dW = [np.array([[next(grads) for _ in n.w] for n in layer.neurons]) for layer in model.layers]
    db = [np.array([next(grads) for _ in layer.neurons]) for layer in model.layers]

    x0 = np.array([float(v) for v in trace.a[0]])
    closed = reference.backprop(model.to_numpy(), x0, t, hidden=model.activation, output=output, loss=loss)
    checks = []
    for i in reversed(range(len(model.layers))):
        last = i == len(model.layers) - 1
        formula = _OUTPUT_DELTA[loss] if last else "delta^{l} = (W^{n})^T delta^{n} * g'(z^{l})  (eq. 21c, 22c)"
        checks.append(LayerCheck(
            index=i + 1, activation=output if last else model.activation, formula=formula.format(l=i + 1, n=i + 2),
            delta_engine=delta[i], delta_formula=closed.delta[i], dW_engine=dW[i], dW_formula=closed.dW[i],
            db_engine=db[i], db_formula=closed.db[i]))
    return LayerView(loss=loss, cost=closed.cost, engine_cost=L.data, layers=checks)


def _layers_text(view: LayerView, precision: int) -> str:
    num = lambda x: f"{x + 0.0: .{precision}g}"  # + 0.0 turns -0.0 into 0.0
    width = precision + 8
    out = [f"Backpropagation layer by layer, loss {view.loss}: engine {num(view.engine_cost).strip()}, "
           f"formula {num(view.cost).strip()}",
           "engine: autodiff of the graph; formula: the notes' closed form in numpy", ""]
    for layer in view.layers:
        n = layer.index
        out.append(f"layer {n} ({layer.activation}): {layer.formula}")
        out.append(f"  {'k':>3}  {'delta engine':>{width}}  {'delta formula':>{width}}  {'|difference|':>12}")
        for k, (a, b) in enumerate(zip(layer.delta_engine, layer.delta_formula)):
            out.append(f"  {k + 1:>3}  {num(a):>{width}}  {num(b):>{width}}  {abs(a - b):>12.2g}")
        out.append(f"  dL/dW^{n} = delta^{n} (a^{n - 1})^T  (eq. 21a, 22a), {layer.dW_engine.shape[0]}x"
                   f"{layer.dW_engine.shape[1]}; dL/db^{n} = delta^{n}  (eq. 21b, 22b)")
        rows = layer.dW_engine.shape[0]
        for k in range(min(rows, 4)):
            engine = ", ".join(num(v).strip() for v in layer.dW_engine[k][:4])
            formula = ", ".join(num(v).strip() for v in layer.dW_formula[k][:4])
            more = ", ..." if layer.dW_engine.shape[1] > 4 else ""
            out.append(f"  row {k + 1}: engine [{engine}{more}]  formula [{formula}{more}]")
        if rows > 4:
            out.append(f"  ... {rows - 4} more rows")
        out.append(f"  largest |engine - formula| in delta, dW, db: {layer.difference():.2g}")
        out.append("")
    return "\n".join(out).rstrip()

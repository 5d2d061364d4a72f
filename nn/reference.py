"""The notes' backpropagation, written directly in numpy: the closed form the engine is tested against.

Shapes follow notes 003/004: layer l has W^l of shape (n_l, n_{l-1}) and b^l of shape (n_l,),
so z^l = W^l a^{l-1} + b^l (note 001 writes W^[l] as the n^[l-1] x n^[l] transpose of this).
``layers`` is ``[(W^1, b^1), ..., (W^L, b^L)]``, exactly what ``MLP.to_numpy()`` returns.
``X`` is one example of shape (n_in,) or m examples as COLUMNS, shape (n_in, m) (note 001,
vectorisation). Index i of ``z``, ``delta``, ``dW``, ``db`` is layer i + 1; ``a[0]`` is X.

    >>> import numpy as np
    >>> layers = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2)), (np.array([[1.0, 2.0]]), np.zeros(1))]
    >>> bp = backprop(layers, np.array([1.0, 0.0]), np.array([2.0]), hidden="relu", output="linear", loss="mse")
    >>> bp.cost, bp.delta[1].tolist(), bp.dW[1].tolist()   # note 002: J = 1/2, dJ/dw^2 = [-1, 0]
    (0.5, [-1.0], [[-1.0, 0.0]])

Losses (C is the cost, averaged over the m examples, eq. 9; delta is per example, dL/dz):
- ``"bce"`` with a ``"sigmoid"`` output: L = -sum_k [t log y + (1 - t) log(1 - y)]; delta^L = y - t (notes 000/003).
- ``"cross_entropy"`` with a ``"softmax"`` output: L = -sum_k y~_k log y^_k; delta^L = y^ - y~ (eq. 19, 21d).
  T may be one-hot (same shape as the output) or class indices (shape () or (m,)).
- ``"mse"`` (also named ``"half_squared_error"``) with any other output: L = 1/2 ||y - t||^2 (the notes' 1/2,
  note 002), so C = 1/(2m) sum ||y - t||^2 and delta^L = (y - t) * g'(z^L) (note 004), y - t for a linear output.
- ``"mse_loss"``: PyTorch's (and ``nn.mse_loss``'s) mean over the n_L outputs, L = 1/n_L ||y - t||^2, so
  delta^L = 2/n_L (y - t) * g'(z^L); averaged over the m examples it is ``nn.mse_loss`` of the whole batch.
- ``"bce_with_logits"`` with a ``"linear"`` output (the logit z): L = sum_k [softplus(z) - t z], the log loss of
  y = sigma(z); delta^L = sigma(z) - t (notes 000/003), the sigmoid belonging to the loss, not to the layer.
The activations g and their derivatives g' come from the engine's op table, the one place they are written;
ReLU'(0) is 0 there (note 002 and PyTorch; note 001's Heaviside H(0) = 1 differs only at exactly z = 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_lite import OPS, array_math

from .activations import ACTIVATION_PARAMS, ACTIVATIONS, OUTPUT_ACTIVATIONS, check_choice
from .checks import finite_array

LOSSES: dict[str, tuple[str, ...]] = {
    "bce": ("sigmoid",),
    "cross_entropy": ("softmax",),
    "mse": tuple(name for name in OUTPUT_ACTIVATIONS if name != "softmax"),
    "half_squared_error": tuple(name for name in OUTPUT_ACTIVATIONS if name != "softmax"),
    "mse_loss": tuple(name for name in OUTPUT_ACTIVATIONS if name != "softmax"),
    "bce_with_logits": ("linear",),
}
Layers = Sequence[tuple[np.ndarray, np.ndarray]]


@dataclass
class Backprop:
    """Everything one backward pass of the notes computes; index i of z/delta/dW/db is layer i + 1.

    ``z[i]``, ``a[i + 1]``, ``delta[i]``: shape (n_l,) for one example, (n_l, m) for a batch;
    ``delta[i][:, j]`` is dL/dz of example j (the notes' J_z(C) column, eq. 23c-d), so the
    engine's dC/dz for a batch-averaged cost is ``delta / m``. ``dW[i]`` (n_l, n_{l-1}) and
    ``db[i]`` (n_l,) are the gradients of the averaged cost C (eq. 23a-b). For a hidden layer l = i + 1 the
    two factors of delta^l: ``back[i]`` = (W^{l+1})^T delta^{l+1} and ``g_prime[i]`` = g'(z^l) (the output
    layer's entries are None).
    """

    z: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]
    cost: float
    back: list[np.ndarray | None] = field(default_factory=list)
    g_prime: list[np.ndarray | None] = field(default_factory=list)


# --- g and g' from the op table -----------------------------------------------------------
Elementwise = Callable[..., np.ndarray]


def _elementwise(name: str) -> tuple[Elementwise, Elementwise]:
    """(g, g') for an elementwise activation: the op table's formulas over numpy arrays (``array_math``)."""
    if name == "linear":
        return (lambda z: z.copy()), (lambda z, a: np.ones_like(z))
    op, p = OPS[name], ACTIVATION_PARAMS.get(name)
    g = lambda z: op.forward(array_math, (z,), p)
    g_prime = lambda z, a: np.broadcast_to(op.local(array_math, (z,), a, p)[0], z.shape)
    return g, g_prime


def activation(name: str, z: np.ndarray) -> np.ndarray:
    """a = g(z) elementwise, or the softmax s(z) over each column (notes 001).

    >>> activation("relu", np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    if name == "softmax":
        return np.exp(_log_softmax(z))
    return _elementwise(name)[0](z)


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """g'(z) elementwise (eq. 20), from the op table's local derivative.

    >>> derivative("sigmoid", np.array([0.0])).tolist()   # sigma (1 - sigma) = 1/4
    [0.25]
    """
    g, g_prime = _elementwise(name)
    return g_prime(z, g(z))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # t(z)_k = z_k - log sum_i e^{z_i}, shifted by max(z) so no exponent is positive (notes 001)
    shifted = z - z.max(axis=0, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


# --- input checking --------------------------------------------------------------------------
def _check_layers(layers: Layers, n_in: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if len(layers) == 0:
        raise ValueError("layers must hold at least one (W, b) pair")
    checked = []
    for i, pair in enumerate(layers):
        if len(pair) != 2:
            raise ValueError(f"layers[{i}] must be a (W, b) pair, got {len(pair)} items")
        W, b = finite_array(pair[0], f"layers[{i}]: W"), finite_array(pair[1], f"layers[{i}]: b")
        if W.ndim != 2 or W.shape[1] != n_in:
            raise ValueError(f"layers[{i}]: W must have shape (n_out, {n_in}), got {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"layers[{i}]: b must have shape ({W.shape[0]},), got {b.shape}")
        checked.append((W, b))
        n_in = W.shape[0]
    return checked


def _as_columns(X: Any) -> np.ndarray:
    X = finite_array(X, "X")
    if X.ndim not in (1, 2):
        raise ValueError(f"X must have shape (n_in,) or (n_in, m) with examples as columns, got {X.shape}")
    return X[:, None] if X.ndim == 1 else X


def _targets(T: Any, Y: np.ndarray, loss: str, single: bool) -> np.ndarray:
    """T as an array shaped like the output Y (n_L, m); class indices become one-hot (eq. 4)."""
    T = np.asarray(T)
    if loss == "cross_entropy" and T.ndim == (0 if single else 1):
        if not np.issubdtype(T.dtype, np.integer) or T.min() < 0 or T.max() >= Y.shape[0]:
            raise ValueError(f"class indices must be integers in [0, {Y.shape[0]}), got {T.tolist()}")
        return np.eye(Y.shape[0])[:, np.atleast_1d(T)]  # y~_k = [y = k], one column per example
    given = finite_array(T, "T")
    # one example gives T as (n_L,); a batch with one output unit may give it as (m,)
    flat = given.ndim == 1 and given.size == Y.size and (single or Y.shape[0] == 1)
    T = given.reshape(Y.shape) if flat else given
    if T.shape != Y.shape:
        want = (Y.shape[0],) if single else Y.shape
        raise ValueError(f"T must have the output's shape {want}, got {given.shape}")
    if loss in ("bce", "bce_with_logits") and (T.min() < 0 or T.max() > 1):
        raise ValueError(f"{loss} targets must be in [0, 1]")
    # delta = y^ - y~ (eq. 19) needs each target column to be a distribution; otherwise it is not dL/dz
    if loss == "cross_entropy" and (T.min() < 0 or not np.allclose(T.sum(axis=0), 1.0, rtol=0, atol=1e-12)):
        raise ValueError("cross_entropy targets must be class indices or columns of probabilities that sum to 1 "
                         f"(one-hot, eq. 4); got column sums {T.sum(axis=0).tolist()}")
    return T


# --- the notes' equations ---------------------------------------------------------------------
def forward(layers: Layers, X: Any, hidden: str = "relu", output: str = "sigmoid") -> tuple[list, list]:
    """Forward propagation: returns (z, a) with z[i] = W a[i] + b and a[i + 1] = g(z[i]); a[0] = X.

    >>> z, a = forward([(np.array([[2.0, -1.0]]), np.array([0.5]))], np.array([1.0, 3.0]), output="linear")
    >>> z[0].tolist(), a[1].tolist()
    ([-0.5], [-0.5])
    """
    check_choice(hidden, "hidden", ACTIVATIONS)
    check_choice(output, "output", OUTPUT_ACTIVATIONS)
    A = _as_columns(X)
    layers = _check_layers(layers, A.shape[0])
    z, a = [], [A]
    for i, (W, b) in enumerate(layers):
        z.append(W @ a[-1] + b[:, None])  # z^l = W^l a^{l-1} + b^l (note 004; Z = W A + B, note 001)
        a.append(activation(output if i == len(layers) - 1 else hidden, z[-1]))  # a^l = g(z^l)
    if np.ndim(X) == 1:
        return [v[:, 0] for v in z], [v[:, 0] for v in a]
    return z, a


def backprop(layers: Layers, X: Any, T: Any, hidden: str = "relu", output: str = "sigmoid",
             loss: str = "bce") -> Backprop:
    """The notes' backpropagation: forward, output delta, the delta recursion, then dC/dW and dC/db.

    >>> W = np.array([[0.0]]); bp = backprop([(W, np.zeros(1))], np.array([1.0]), np.array([1.0]))
    >>> bp.delta[0].tolist(), round(bp.cost, 6)    # sigma(0) - t = 0.5 - 1; -log(0.5)
    ([-0.5], 0.693147)
    """
    check_choice(loss, "loss", tuple(LOSSES))
    if output not in LOSSES[loss]:
        raise ValueError(f"loss {loss!r} goes with output {' or '.join(LOSSES[loss])}, got output={output!r}")
    single = np.ndim(X) == 1
    z, a = forward(layers, _as_columns(X), hidden, output)
    layers = [(np.asarray(W, dtype=float), np.asarray(b, dtype=float)) for W, b in layers]
    Y, m = a[-1], a[0].shape[1]
    T = _targets(T, Y, loss, single)

    if loss == "bce":
        # C = -1/m sum [t log y + (1-t) log(1-y)], with log sigma(z) = -softplus(-z): no log(0) (notes 000)
        cost = np.sum(np.logaddexp(0.0, z[-1]) - T * z[-1]) / m
        delta = Y - T  # delta_out = sigma(a_out) - t (notes 000, 003)
    elif loss == "bce_with_logits":
        cost = np.sum(np.logaddexp(0.0, z[-1]) - T * z[-1]) / m  # softplus(z) - t z: the log loss of sigma(z)
        delta = activation("sigmoid", z[-1]) - T  # sigma(z) - t (notes 000, 003)
    elif loss == "cross_entropy":
        cost = -np.sum(T * _log_softmax(z[-1])) / m  # eq. 9, log y^ through the log-sum-exp trick
        delta = Y - T  # eq. 19 / 21d / 23d: y^ - y~
    elif loss == "mse_loss":
        n_out = Y.shape[0]
        cost = np.sum((Y - T) ** 2) / (m * n_out)  # PyTorch: the mean of (y - t)^2 over every element
        delta = 2.0 / n_out * (Y - T) * derivative(output, z[-1])  # dL/dy = 2/n_L (y - t), times g'(z^L)
    else:
        cost = 0.5 * np.sum((Y - T) ** 2) / m  # note 002: J = 1/(2N) sum (t - z)^2
        delta = (Y - T) * derivative(output, z[-1])  # note 004: delta^L = grad_a C * g'(z^L)

    deltas = [delta]
    back: list[np.ndarray | None] = [None]  # the output layer has no (W^{l+1})^T delta^{l+1} nor g'(z^l) factor
    g_prime: list[np.ndarray | None] = [None]
    for i in range(len(layers) - 2, -1, -1):
        W_next = layers[i + 1][0]
        carried, slope = W_next.T @ delta, derivative(hidden, z[i])
        back.insert(0, carried)
        g_prime.insert(0, slope)
        # delta^l = (W^{l+1})^T delta^{l+1} * g'(z^l)  (eq. 21c / 22c / 23c with note 001's W transposed; note 004)
        delta = carried * slope
        deltas.insert(0, delta)

    dW = [d @ a_prev.T / m for d, a_prev in zip(deltas, a[:-1])]  # eq. 23a: 1/m delta^l (A^{l-1})^T
    db = [d.sum(axis=1) / m for d in deltas]  # eq. 23b: 1/m delta^l 1(m)
    if single:
        z, a, deltas = ([v[:, 0] for v in vs] for vs in (z, a, deltas))
        back, g_prime = ([None if v is None else v[:, 0] for v in vs] for vs in (back, g_prime))
    return Backprop(z=z, a=a, delta=deltas, dW=dW, db=db, cost=float(cost), back=back, g_prime=g_prime)


def sgd_step(layers: Layers, bp: Backprop, lr: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """One gradient-descent update (eq. 14-15): W <- W - lr dC/dW, b <- b - lr dC/db; returns new arrays.

    >>> sgd_step([(np.array([[1.0, 0.0]]), np.array([2.0]))], Backprop([], [], [], [np.array([[1.0, 0.0]])],
    ...          [np.array([1.0])], 0.0), 0.5)[0][0].tolist()
    [[0.5, 0.0]]
    """
    return [(np.asarray(W, dtype=float) - lr * dW, np.asarray(b, dtype=float) - lr * db)
            for (W, b), dW, db in zip(layers, bp.dW, bp.db)]

"""One workload, five engines: micrograd's demo network trained by each, from the same weights.

The workload: a 2-W-W-1 ReLU MLP (W = 16 in micrograd's demo), max-margin loss
relu(1 - y s) averaged over the batch plus 1e-4 * sum of squared parameters, one full training
step (forward, backward, SGD update with lr_k = 1 - 0.9 k / steps). Every engine below does
exactly that, starting from the same weights, so their losses agree to rounding.

``ENGINES`` maps a name to ``make(width, X, y, weights, steps) -> step``; ``step(k)`` runs
training step k and returns the loss before the update. Nothing is cached between steps.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
from engine_vs_micrograd import SEED, demo_step

import autograd_lite as ag
import nn

ALPHA = 1e-4  # L2 strength of micrograd's demo
Step = Callable[[int], float]


def initial_weights(width: int) -> list[float]:
    """micrograd's initialisation (U(-1, 1) weights, zero biases) from its seed, in parameter order."""
    random.seed(SEED)
    return [p.data for p in nn.MLP(2, [width, width, 1]).parameters()]


def _labels(y: np.ndarray) -> list[int]:
    return [int(v) for v in y]


def eager(Value: Any, MLP: Any) -> Callable[..., Step]:
    """micrograd's own demo step (``engine_vs_micrograd.demo_step``) on the engine given by its two names."""

    def make(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Step:
        model, step = demo_step(Value, MLP, X.tolist(), _labels(y), width, steps)
        for p, w in zip(model.parameters(), weights, strict=True):
            p.data = w
        return step

    return make


def _demo_tape(width: int, weights: list[float]) -> tuple[Any, list[ag.Value]]:
    """The demo's per-sample loss on a 2-W-W-1 MLP with ``weights``, compiled once: (tape, parameters)."""
    model = nn.MLP(2, [width, width, 1])
    params = model.parameters()
    for p, w in zip(params, weights, strict=True):
        p.data = w

    def loss(x1: ag.Value, x2: ag.Value, t: ag.Value) -> ag.Value:
        # mean over the batch of [relu(1 - t s) + alpha sum p^2] = the demo's data loss + its L2 term
        return (1 + -t * model([x1, x2])).relu() + ALPHA * sum(p * p for p in params)

    return ag.compile(loss, [0.0, 0.0, 1.0], parameters=params), params


def compiled(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Step:
    """The same loss written per sample, compiled once into a tape that runs the whole batch in numpy."""
    tape, params = _demo_tape(width, weights)
    x1, x2, t = X[:, 0].copy(), X[:, 1].copy(), np.asarray(y, dtype=float)

    def step(k: int) -> float:
        value, grads = tape.value_and_grad(x1, x2, t)
        learning_rate = 1.0 - 0.9 * k / steps
        for p, g in zip(params, grads.tolist()):
            p.data -= learning_rate * g
        return value

    return step


def layers_of(width: int, weights: list[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The weights as per-layer (W, b), W of shape (n_out, n_in): z = W a + b (notes 004)."""
    model = nn.MLP(2, [width, width, 1])
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w
    return model.to_numpy()


def closed_form(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Step:
    """The notes' backpropagation written directly in numpy: the floor for this workload."""
    (W1, b1), (W2, b2), (W3, b3) = layers_of(width, weights)
    a0, t, m = X.T.copy(), np.asarray(y, dtype=float), len(y)
    params = [W1, b1, W2, b2, W3, b3]

    def step(k: int) -> float:
        z1 = W1 @ a0 + b1[:, None]  # z^l = W^l a^{l-1} + b^l, a^l = g(z^l) (notes 004)
        a1 = np.maximum(z1, 0.0)
        z2 = W2 @ a1 + b2[:, None]
        a2 = np.maximum(z2, 0.0)
        s = (W3 @ a2)[0] + b3[0]
        margin = 1.0 - t * s
        loss = np.maximum(margin, 0.0).mean() + ALPHA * sum(float((p * p).sum()) for p in params)
        delta3 = (-t * (margin > 0.0) / m)[None]  # dC/ds for the mean max-margin loss
        delta2 = (W3.T @ delta3) * (z2 > 0.0)  # delta^l = (W^{l+1})^T delta^{l+1} * g'(z^l)
        delta1 = (W2.T @ delta2) * (z1 > 0.0)
        grads = [delta1 @ a0.T, delta1.sum(axis=1), delta2 @ a1.T, delta2.sum(axis=1), delta3 @ a2.T,
                 delta3.sum(axis=1)]  # dC/dW = delta a^T, dC/db = delta (summed over the batch)
        learning_rate = 1.0 - 0.9 * k / steps
        for p, g in zip(params, grads):
            p -= learning_rate * (g + 2.0 * ALPHA * p)  # + d(alpha p^2)/dp
        return float(loss)

    return step


def pytorch(torch: Any) -> Callable[..., Step]:
    """The same network as float64 torch tensors on the CPU, autograd by torch, on one thread.

    One thread: on a busy 2-core machine torch's default two spin-waiting threads made single
    steps take up to 70 ms instead of 1 ms; one thread is both steadier and faster here.
    """
    torch.set_num_threads(1)

    def make(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Step:
        params = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
                  for W, b in layers_of(width, weights) for a in (W, b)]
        W1, b1, W2, b2, W3, b3 = params
        x, t = torch.tensor(X, dtype=torch.float64), torch.tensor(np.asarray(y, dtype=float))

        def step(k: int) -> float:
            a1 = torch.relu(x @ W1.T + b1)
            a2 = torch.relu(a1 @ W2.T + b2)
            s = (a2 @ W3.T + b3)[:, 0]
            loss = torch.relu(1.0 - t * s).mean() + ALPHA * sum((p * p).sum() for p in params)
            loss.backward()
            learning_rate = 1.0 - 0.9 * k / steps
            with torch.no_grad():
                for p in params:
                    p -= learning_rate * p.grad
                    p.grad = None
            return loss.item()

        return step

    return make


def compiled_held(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Step:
    """The compiled tape with its parameters held as one vector (``tape.hold_parameters()``): SGD on the vector,
    no ``p.data`` read or written per step (the Values get the numbers when the hold is released)."""
    tape, _ = _demo_tape(width, weights)
    held = tape.hold_parameters()
    x1, x2, t = X[:, 0].copy(), X[:, 1].copy(), np.asarray(y, dtype=float)

    def step(k: int) -> float:
        value, grads = tape.value_and_grad(x1, x2, t)
        held.vector -= (1.0 - 0.9 * k / steps) * grads
        return value

    return step


def jax_jit(jax: Any) -> Callable[..., Step]:
    """The closed form's math as a JAX function, differentiated by ``jax.value_and_grad`` and compiled with
    ``jax.jit`` (float64 on the CPU), the SGD update inside the compiled function."""
    jnp = jax.numpy

    def make(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Step:
        params = [jnp.asarray(a) for W, b in layers_of(width, weights) for a in (W, b)]
        a0, t = jnp.asarray(X.T), jnp.asarray(np.asarray(y, dtype=float))

        def loss_of(params: list) -> Any:
            W1, b1, W2, b2, W3, b3 = params
            a1 = jnp.maximum(W1 @ a0 + b1[:, None], 0.0)
            a2 = jnp.maximum(W2 @ a1 + b2[:, None], 0.0)
            s = (W3 @ a2)[0] + b3[0]
            return jnp.maximum(1.0 - t * s, 0.0).mean() + ALPHA * sum((p * p).sum() for p in params)

        @jax.jit
        def update(params: list, learning_rate: float) -> tuple:
            loss, grads = jax.value_and_grad(loss_of)(params)
            return loss, [p - learning_rate * g for p, g in zip(params, grads)]

        state = {"params": params}

        def step(k: int) -> float:
            loss, state["params"] = update(state["params"], 1.0 - 0.9 * k / steps)
            return float(loss)  # waits for the result

        return step

    return make

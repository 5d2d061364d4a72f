"""A quiz on a small network's backward pass, in the notes' notation: fill in delta^[l] and dC/dW^[l].

    >>> import nn
    >>> model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    >>> q = nn.quiz(model, [1.0, -2.0], [1.0], loss="bce"); [question.title for question in q.questions]
    ['Layer 2: delta^[2] = ∂C/∂z^[2]', 'Layer 2: ∂C/∂W^[2]', 'Layer 1: delta^[1] = ∂C/∂z^[1]', 'Layer 1: ∂C/∂W^[1]']
    >>> q.save("quiz.html")  # doctest: +SKIP

Layer by layer from the output back (the order backpropagation goes), the student types every delta_k^[l] =
∂C/∂z_k^[l], then every ∂C/∂w_jk^[l] = delta_k^[l] a_j^[l-1] (note 001: w_jk^[l] goes from node j of layer l-1 to
node k of layer l, entry (k, j) of the n_l x n_{l-1} matrix W^[l] of notes 003/004). The page is
``autograd_lite.Quiz``'s; each answer is the engine's gradient (``autograd_lite.grad`` on the model's graph),
checked here against the notes' closed form (``nn.reference.backprop``) before the page is made.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from autograd_lite import OPS, Blank, Question, Quiz, grad

from . import reference
from .activations import ACTIVATION_PARAMS
from .layer_view import REFERENCE_NAME, example_loss, loss_name

MAX_WIDTH = 9  # neurons in a layer (inputs too): one-digit indices, and a card that fits on a screen
MAX_WEIGHTS = 64  # weights in all: every one is a box to fill
AGREEMENT = 1e-9  # the engine and the closed form must agree this closely (relative), or no page is made

LOSSES = {  # the loss for one example, and its output delta; the same names as nn.explain_layers
    "half_squared_error": ("C = 1/2 Σ_k (a_k^[L] - t_k)^2 (the notes' squared error, note 002)",
                           "delta_k^[L] = (a_k^[L] - t_k) g'(z_k^[L]) (note 004)"),
    "mse": ("C = 1/n_L Σ_k (a_k^[L] - t_k)^2 (nn.mse_loss, PyTorch's mean over the n_L outputs, no 1/2)",
            "delta_k^[L] = 2/n_L (a_k^[L] - t_k) g'(z_k^[L]) (no 1/2 to cancel the 2)"),
    "bce_with_logits": ("C = Σ_k [softplus(z_k^[L]) - t_k z_k^[L]], the log loss of σ(z^[L]); the sigmoid belongs to "
                        "the loss, the output layer is linear",
                        "delta_k^[L] = σ(z_k^[L]) - t_k (notes 000/003, their a is our z)"),
    "bce": ("C = -Σ_k [t_k log a_k^[L] + (1 - t_k) log(1 - a_k^[L])] (note 000)",
            "delta_k^[L] = a_k^[L] - t_k (sigmoid output, notes 000/003)"),
    "cross_entropy": ("C = -Σ_k t_k log a_k^[L] (eq. 9)", "delta_k^[L] = a_k^[L] - t_k (softmax output, eq. 19)"),
}


def quiz(model: Any, x: Any, target: Any, loss: Any = "half_squared_error", *, title: str = "", tol: float = Quiz.tol,
         abs_tol: float = Quiz.abs_tol, precision: int = 6) -> Quiz:
    """The backpropagation quiz of ``model`` (an ``nn.MLP``) on one example ``x`` with ``target``.

    ``loss`` (the names of ``nn.explain_layers``, or the function): "half_squared_error" (the notes'
    C = 1/2 ||a^[L] - t||^2, note 002; ``nn.half_squared_error``), "mse" (``nn.mse_loss``: PyTorch's mean over the
    outputs, no 1/2, so delta^[L] = 2/n_L (a - t) g'), "bce" (sigmoid output), "bce_with_logits" (linear output,
    delta^[L] = σ(z) - t) or "cross_entropy" (softmax output; ``target`` a class index or one-hot). At most
    ``MAX_WIDTH`` neurons a layer and ``MAX_WEIGHTS`` weights. Returns an ``autograd_lite.Quiz``: ``save(path)``
    writes the page, Jupyter shows it inline.
    """
    loss = loss_name(loss, "quiz")
    if not (hasattr(model, "trace") and hasattr(model, "to_numpy") and hasattr(model, "layers")):
        raise TypeError(f"quiz: model must be an nn.MLP, got {type(model).__name__}")
    if model.output_activation not in reference.LOSSES[REFERENCE_NAME[loss]]:
        allowed = " or ".join(reference.LOSSES[REFERENCE_NAME[loss]])
        raise ValueError(f"quiz: loss {loss!r} goes with output activation {allowed}, "
                         f"but the model's is {model.output_activation!r}")
    layers = model.to_numpy()
    widths = [layers[0][0].shape[1]] + [W.shape[0] for W, _ in layers]
    if max(widths) > MAX_WIDTH or sum(W.size for W, _ in layers) > MAX_WEIGHTS:
        raise ValueError(f"quiz: the network is {'-'.join(map(str, widths))}; a quiz takes at most {MAX_WIDTH} "
                         f"neurons a layer and {MAX_WEIGHTS} weights (every weight is a box to fill)")
    delta, dW, t = _engine(model, x, target, loss)
    closed = reference.backprop(layers, np.asarray(x, dtype=float), _reference_target(t, target, loss),
                                hidden=model.activation, output=model.output_activation,
                                loss=REFERENCE_NAME[loss])
    for layer in range(len(layers)):  # the answers are the engine's; the notes' closed form must give the same
        for ours, theirs in ((delta[layer], closed.delta[layer]), (dW[layer], closed.dW[layer])):
            if not np.allclose(ours, theirs, rtol=AGREEMENT, atol=AGREEMENT):
                raise RuntimeError(f"quiz: the engine and the notes' closed form disagree at layer {layer + 1}: "
                                   f"{ours.tolist()} and {theirs.tolist()}")
    num = lambda v: f"{float(v) + 0.0:.{precision}g}"
    vector = lambda v: "[" + ", ".join(num(e) for e in v) + "]"
    L = len(layers)
    intro = [f"input a^[0] = x = {vector(closed.a[0])}, target t = {vector(t)}", f"loss: {LOSSES[loss][0]}"]
    for layer, (W, b) in enumerate(layers, 1):
        g = model.output_activation if layer == L else model.activation
        intro.append(f"W^[{layer}] = [{', '.join(vector(row) for row in W)}]  ({W.shape[0]} x {W.shape[1]}: "
                     f"row k, column j holds w_jk^[{layer}]), b^[{layer}] = {vector(b)}")
        intro.append(f"z^[{layer}] = W^[{layer}] a^[{layer - 1}] + b^[{layer}] = {vector(closed.z[layer - 1])}, "
                     f"a^[{layer}] = {g}(z^[{layer}]) = {vector(closed.a[layer])}")
    questions = []
    for layer in range(L, 0, -1):
        questions.append(_delta_question(model, layers, closed, delta, t, layer, loss, num, vector))
        questions.append(_weights_question(closed, delta, dW, layer, num, vector))
    name = title or f"Backpropagation quiz: a {'-'.join(map(str, widths))} network"
    return Quiz(name, tuple(questions), tuple(intro), tol=tol, abs_tol=abs_tol, precision=precision)


def _engine(model: Any, x: Any, target: Any, loss: str) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """delta^[l] = dC/dz^[l] and dC/dW^[l] (n_l x n_{l-1}) from the engine, and the target as a vector."""
    trace = model.trace(x)
    a_L = trace.a[-1]
    if loss == "cross_entropy" and np.ndim(target) == 0:
        index = int(target)
        if not 0 <= index < len(a_L):
            raise ValueError(f"quiz: the class index must be from 0 to {len(a_L) - 1}, got {target!r}")
        t = np.eye(len(a_L))[index]
    else:
        t = np.asarray(target, dtype=float).reshape(-1)
        if t.shape != (len(a_L),) or not np.all(np.isfinite(t)):
            raise ValueError(f"quiz: target must hold {len(a_L)} finite numbers, got {target!r:.60}")
    C = example_loss(loss, a_L, trace.z[-1], t.tolist())  # the loss of nn.explain_layers, by the same name
    zs = [z for zs_l in trace.z for z in zs_l]
    weights = [w for each in model.layers for neuron in each.neurons for w in neuron.w]
    grads = iter(g.data for g in grad(C, zs + weights))
    delta = [np.array([next(grads) for _ in zs_l]) for zs_l in trace.z]
    dW = [np.array([[next(grads) for _ in n.w] for n in each.neurons]) for each in model.layers]
    return delta, dW, t


def _reference_target(t: np.ndarray, target: Any, loss: str) -> Any:
    return int(target) if loss == "cross_entropy" and np.ndim(target) == 0 else t


def _g_prime(name: str, z: str) -> str:
    """g'(z) as the op table writes it, with the op's operand renamed to ``z`` (and its constant put in)."""
    if name == "linear":
        return "1"
    op = OPS[name]
    text = re.sub(r"\bu\b", z, op.partial(0, 1))
    if op.param_name:
        text = re.sub(rf"\b{op.param_name}\b", f"{ACTIVATION_PARAMS[name]:g}", text)
    return text


def _delta_question(model: Any, layers: list, closed: Any, delta: list, t: np.ndarray, layer: int, loss: str,
                    num: Any, vector: Any) -> Question:
    L = len(layers)
    z = closed.z[layer - 1]
    blanks = []
    if layer == L:
        given = [LOSSES[loss][1],
                 f"a^[{layer}] = {vector(closed.a[layer])}, t = {vector(t)}, z^[{layer}] = {vector(z)}"]
        squared = loss in ("half_squared_error", "mse")
        slopes = reference.derivative(model.output_activation, z) if squared else None
        two = f"2/{len(z)} · " if loss == "mse" else ""  # nn.mse_loss: dC/da = 2/n_L (a - t)
        for k in range(1, len(z) + 1):
            a, tk = num(closed.a[layer][k - 1]), num(t[k - 1])
            if loss == "bce_with_logits":
                sigma = num(reference.activation("sigmoid", z[k - 1:k])[0])
                hint = f"delta_{k}^[{layer}] = σ(z_{k}^[{layer}]) - t_{k}"
                solution = f"σ({num(z[k - 1])}) - {tk} = {sigma} - {tk}"
            elif slopes is not None:
                g = _g_prime(model.output_activation, f"z_{k}^[{layer}]")
                hint = (f"delta_{k}^[{layer}] = {two}(a_{k}^[{layer}] - t_{k}) g'(z_{k}^[{layer}]), "
                        f"with g'(z_{k}^[{layer}]) = {g}")
                solution = f"{two}({a} - {tk}) · {num(slopes[k - 1])}"
            else:
                hint = f"delta_{k}^[{layer}] = a_{k}^[{layer}] - t_{k}"
                solution = f"{a} - {tk}"
            blanks.append(Blank(f"delta_{k}^[{layer}]", float(delta[layer - 1][k - 1]), hint=hint,
                                solution=solution))
    else:
        W_next = layers[layer][0]  # W^[l+1]: row m, column k holds w_km^[l+1]
        given = ["delta_k^[l] = g'(z_k^[l]) Σ_m w_km^[l+1] delta_m^[l+1] (note 001; (W^[l+1])^T delta^[l+1] "
                 "o g'(z^[l]) in notes 003/004)",
                 f"delta^[{layer + 1}] = {vector(delta[layer])} (the card above), z^[{layer}] = {vector(z)}, "
                 f"g = {model.activation}, g'(z) = {_g_prime(model.activation, 'z')}"]
        slopes = reference.derivative(model.activation, z)  # g'(z^[l]) from the op table (eq. 20)
        for k in range(1, len(z) + 1):
            terms = " + ".join(f"w_{k}{m}^[{layer + 1}] delta_{m}^[{layer + 1}]"
                               for m in range(1, W_next.shape[0] + 1))
            numbers = " + ".join(f"{num(W_next[m - 1, k - 1])} · {num(delta[layer][m - 1])}"
                                 for m in range(1, W_next.shape[0] + 1))
            g = _g_prime(model.activation, f"z_{k}^[{layer}]")
            hint = f"delta_{k}^[{layer}] = g'(z_{k}^[{layer}]) ({terms}), with g'(z_{k}^[{layer}]) = {g}"
            solution = f"{num(slopes[k - 1])} · ({numbers})"
            blanks.append(Blank(f"delta_{k}^[{layer}]", float(delta[layer - 1][k - 1]), hint=hint,
                                solution=solution))
    return Question(f"Layer {layer}: delta^[{layer}] = ∂C/∂z^[{layer}]", tuple(blanks), tuple(given))


def _weights_question(closed: Any, delta: list, dW: list, layer: int, num: Any, vector: Any) -> Question:
    a_prev = closed.a[layer - 1]
    given = [f"∂C/∂w_jk^[{layer}] = delta_k^[{layer}] a_j^[{layer - 1}] (note 001); as a matrix ∂C/∂W^[{layer}] = "
             f"delta^[{layer}] (a^[{layer - 1}])^T (note 004), and ∂C/∂b^[{layer}] = delta^[{layer}]",
             f"delta^[{layer}] = {vector(delta[layer - 1])}, a^[{layer - 1}] = {vector(a_prev)}"]
    blanks = []
    for k in range(1, dW[layer - 1].shape[0] + 1):
        for j in range(1, dW[layer - 1].shape[1] + 1):
            blanks.append(Blank(f"∂C/∂w_{j}{k}^[{layer}]", float(dW[layer - 1][k - 1, j - 1]),
                                hint=f"∂C/∂w_{j}{k}^[{layer}] = delta_{k}^[{layer}] a_{j}^[{layer - 1}]",
                                solution=f"{num(delta[layer - 1][k - 1])} · {num(a_prev[j - 1])}"))
    return Question(f"Layer {layer}: ∂C/∂W^[{layer}]", tuple(blanks), tuple(given))


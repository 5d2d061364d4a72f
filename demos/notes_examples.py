"""The lecture notes' worked examples, step by step, computed twice: by the engine and by the closed form.

    python3 demos/notes_examples.py                       # every example, printed
    python3 demos/notes_examples.py note002-relu          # one example, printed and drawn
    python3 demos/notes_examples.py note002-relu --out pictures

The examples: ``note002-regression`` (note 002's gradient descent for linear regression),
``note002-relu`` (note 002's two-layer ReLU network, x = [1, 0], c = 2), ``note000-sigmoid`` (notes
000/003: a sigmoid output with the log loss gives delta_out = sigma(a_out) - t) and
``note001-softmax`` (note 001: softmax + cross-entropy gives delta^[L] = y-hat - y~, eq. 21d).
With a name, the example is also drawn, in both views: the full scalar graph (``<name>-full``) and
the collapsed one box per layer (``<name>-collapsed``), as .png and .svg in ``--out`` (default
``notes_pictures`` in the current folder); the script prints where.

Each function prints its steps and returns the numbers, so ``tests/test_notes_examples.py`` can
hold them to the values printed in the notes.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd_lite import Value, draw, render


def _fmt(x: object) -> str:
    """Numbers as the notes write them: 3, 0.5, [1, 0], [[-1, 0], [0, 0]] (no -0)."""
    if np.ndim(x):
        return "[" + ", ".join(_fmt(item) for item in np.asarray(x, dtype=float)) + "]"
    return f"{float(x) + 0.0:g}"


def _pictures(name: str, loss: Value, model: Any, out: Path | None) -> list[str]:
    """The full scalar graph and the collapsed view of ``loss``, as PNG and SVG in ``out``; their paths."""
    if out is None:
        return []
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for view, collapse in (("full", False), ("collapsed", True)):
        graph = draw(loss, model=model, collapse=collapse)
        for suffix in ("png", "svg"):
            written.append(str(render(graph, out / f"{name}-{view}.{suffix}")))
    print("  pictures  " + "\n            ".join(written))
    return written


def linear_regression(lr: float = 0.5, out: Path | None = None) -> dict[str, object]:
    """Note 002: one example x = [1, 0], t = 2, w = [1, 0], b = 2; J = 1/(2N) sum (t - z)^2 with N = 1."""
    print("Note 002 - gradient descent for linear regression, one example, J = 1/(2N) sum (t - z)^2")
    neuron = nn.Neuron(2, activation="linear", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.0, 0.0, 2.0
    x, t = [1.0, 0.0], 2.0
    z = neuron(x)
    J = nn.half_squared_error(z, t)  # the notes' 1/2 (t - z)^2 (PyTorch's mse_loss has no 1/2)
    J.backward()
    print(f"  forward   z = w1 x1 + w2 x2 + b = 1*1 + 0*0 + 2 = {_fmt(z.data)}")
    print(f"  cost      J = 1/2 (t - z)^2 = 1/2 (2 - 3)^2 = {_fmt(J.data)}")
    print(f"  backward  dJ/dz = -(t - z) = {_fmt(z.data - t)}   (the note writes (2 - 3) here: a sign slip,")
    print("            its own update below, w1: 1 -> 0.5, needs the +1)")
    grad = [w.grad for w in neuron.w]
    print(f"  engine    dJ/dw = {_fmt(grad)}, dJ/db = {_fmt(neuron.b.grad)}")
    bp = nn.reference.backprop([(np.array([[1.0, 0.0]]), np.array([2.0]))], np.array(x), np.array([t]),
                               hidden="linear", output="linear", loss="mse")
    print(f"  notes     dJ/dw = delta x^T = {_fmt(bp.dW[0][0])}, dJ/db = delta = {_fmt(bp.db[0][0])}")
    pictures = _pictures("note002-regression", J, neuron, out)
    nn.SGD(neuron.parameters(), lr=lr).step()
    w = [p.data for p in neuron.w]
    print(f"  update    w <- w - {lr} dJ/dw = {_fmt(w)}, b <- {_fmt(neuron.b.data)}")
    return {"z": z.data, "J": J.data, "dw": grad, "db": neuron.b.grad, "ref_dw": bp.dW[0][0].tolist(),
            "ref_db": float(bp.db[0][0]), "w": w, "b": neuron.b.data, "pictures": pictures}


def relu_network(lr: float = 1.0, out: Path | None = None) -> dict[str, object]:
    """Note 002: x = [1, 0], W1 = I (no biases), ReLU hidden h, w2 = [1, 2], linear output z, target c = 2."""
    print("Note 002 - two-layer ReLU network with the squared error J = 1/2 (c - z)^2, one example")
    model = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    layers = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2)), (np.array([[1.0, 2.0]]), np.zeros(1))]
    model.from_numpy(layers)
    x, c = [1.0, 0.0], 2.0
    trace = model.trace(x)
    z = trace.a[-1][0]
    J = nn.half_squared_error(z, c)
    J.backward()
    h = [v.data for v in trace.a[1]]
    print(f"  forward   h1 = max(0, 1*1 + 0*0) = {_fmt(h[0])}, h2 = max(0, 0*1 + 1*0) = {_fmt(h[1])}")
    print(f"            z = w2 . h = 1*1 + 2*0 = {_fmt(z.data)}")
    print(f"  cost      J = 1/2 (c - z)^2 = {_fmt(J.data)}")
    bp = nn.reference.backprop(layers, np.array(x), np.array([c]), hidden="relu", output="linear", loss="mse")
    engine_dW2 = [w.grad for w in model.layers[1].neurons[0].w]
    engine_dW1 = [[w.grad for w in n.w] for n in model.layers[0].neurons]
    print(f"  output    delta2 = z - c = {_fmt(bp.delta[1])}; dJ/dw2 = delta2 h^T = {_fmt(bp.dW[1][0])}"
          f"   (engine: {_fmt(engine_dW2)})")
    print(f"  hidden    delta1 = (W2^T delta2) * ReLU'(a1) = [1, 2]*(-1) * [1, 0] = {_fmt(bp.delta[0])}")
    print(f"            dJ/dW1 = delta1 x^T = {_fmt(bp.dW[0])}   (engine: {_fmt(engine_dW1)})")
    pictures = _pictures("note002-relu", J, model, out)
    nn.SGD(model.parameters(), lr=lr).step()
    w2 = [w.data for w in model.layers[1].neurons[0].w]
    print(f"  update    w2 <- w2 - {lr:g} dJ/dw2 = [1, 2] + [1, 0] = {_fmt(w2)}")
    return {"h": h, "z": z.data, "J": J.data, "delta2": bp.delta[1].tolist(), "delta1": bp.delta[0].tolist(),
            "dW2": engine_dW2, "dW1": engine_dW1, "ref_dW2": bp.dW[1].tolist(), "ref_dW1": bp.dW[0].tolist(),
            "w2": w2, "engine_delta1": [v.grad for v in trace.z[0]], "pictures": pictures}


def sigmoid_log_loss(a_out: float = 0.8, out: Path | None = None) -> dict[str, object]:
    """Notes 000 / 003: with a sigmoid output and the log loss, delta_out = dL/da_out = sigma(a_out) - t.

    Note 000 calls the pre-activation a and the activation z: its a_out is our z^[L].
    """
    print("Notes 000/003 - sigmoid output with log loss: delta_out = y - t (note 000's a_out is our z)")
    result: dict[str, object] = {}
    for t in (1.0, 0.0):
        a = Value(a_out)
        y = a.sigmoid()
        loss = nn.binary_cross_entropy(y, t)  # L = -t log y - (1 - t) log(1 - y)
        loss.backward()
        closed = 1.0 / (1.0 + math.exp(-a_out)) - t
        print(f"  t = {t:g}: y = sigma({a_out:g}) = {y.data:.6f}; engine dL/da = {a.grad:.6f}; y - t = {closed:.6f}")
        result[f"t={t:g}"] = (a.grad, closed)
    # note 003 labels the other way round, p(t=0|x) = y, so its delta is sigma(a) - (1 - t)
    a = Value(a_out)
    (-(1.0 - a.sigmoid()).log()).backward()  # L = -(1 - t) log y - t log(1 - y) with t = 1
    print(f"  note 003's labelling (p(t=0|x) = y), t = 1: dL/da = {a.grad:.6f} = sigma(a) - (1 - t)")
    result["note003 t=1"] = a.grad
    # the same delta inside a network: a sigmoid neuron whose z (note 000's a_out) is a_out, t = 1
    neuron = nn.Neuron(2, activation="sigmoid", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = a_out, 0.0, 0.0
    y = neuron([1.0, 0.0])
    loss = nn.binary_cross_entropy(y, 1.0)
    loss.backward()
    z = y.inputs[0]
    print(f"  a neuron: z = {_fmt(z.data)}, y = sigma(z) = {y.data:.6f}, engine dL/dz = {z.grad:.6f} = y - t")
    result["neuron"] = (z.grad, y.data - 1.0)
    result["pictures"] = _pictures("note000-sigmoid", loss, neuron, out)
    return result


SOFTMAX_LAYERS = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2)),
                  (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]), np.zeros(3))]


def softmax_cross_entropy(target: int = 0, out: Path | None = None) -> dict[str, object]:
    """Note 001: a softmax output and the cross-entropy L = -sum_k y~_k log y-hat_k (eq. 9) give
    dL/dz_k^[L] = y-hat_k - y~_k (eq. 19 / 21d); then eqs. 21a-c for the hidden layer. x = [1, 2]."""
    print("Note 001 - softmax + cross-entropy: delta^[L] = y-hat - y~ (eq. 19 / 21d)")
    model = nn.MLP(2, [2, 3], activation="relu", output_activation="softmax", seed=0).from_numpy(SOFTMAX_LAYERS)
    x = [1.0, 2.0]
    trace = model.trace(x)
    y_hat = trace.a[-1]
    loss = -y_hat[target].log()  # eq. 9 with one example: -sum_k y~_k log y-hat_k, y~ one-hot at the target
    loss.backward()
    onehot = [1.0 if k == target else 0.0 for k in range(3)]
    z = [v.data for v in trace.z[-1]]
    print(f"  forward   a^[1] = ReLU(W^[1] x) = {_fmt([v.data for v in trace.a[1]])}, z^[2] = {_fmt(z)}")
    print(f"            y-hat = softmax(z^[2]) = [{', '.join(f'{v.data:.6f}' for v in y_hat)}]")
    print(f"  cost      L = -log y-hat_{target + 1} = {loss.data:.6f}   (class {target + 1}: y~ = {_fmt(onehot)})")
    engine = [v.grad for v in trace.z[-1]]
    closed = [v.data - t for v, t in zip(y_hat, onehot)]
    print(f"  output    engine dL/dz^[2] = [{', '.join(f'{g:.6f}' for g in engine)}]")
    print(f"            y-hat - y~     = [{', '.join(f'{g:.6f}' for g in closed)}]   (eq. 21d)")
    bp = nn.reference.backprop(SOFTMAX_LAYERS, np.array(x), np.array(target), hidden="relu", output="softmax",
                               loss="cross_entropy")
    hidden = [v.grad for v in trace.z[0]]
    print(f"  hidden    delta^[1] = g'(z^[1]) * (W^[2]^T delta^[2]) = {_fmt(np.round(bp.delta[0], 6))}   (eq. 21c; "
          f"note 001's W is the transpose of this W)")
    pictures = _pictures("note001-softmax", loss, model, out)
    return {"y_hat": [v.data for v in y_hat], "loss": loss.data, "delta2": engine, "closed": closed,
            "ref_delta2": bp.delta[1].tolist(), "delta1": hidden, "ref_delta1": bp.delta[0].tolist(),
            "dW1": [[w.grad for w in n.w] for n in model.layers[0].neurons], "ref_dW1": bp.dW[0].tolist(),
            "pictures": pictures}


EXAMPLES: dict[str, Callable[..., dict[str, object]]] = {
    "note002-regression": linear_regression,
    "note002-relu": relu_network,
    "note000-sigmoid": sigmoid_log_loss,
    "note001-softmax": softmax_cross_entropy,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The lecture notes' worked examples, printed (and drawn).")
    parser.add_argument("example", nargs="?", choices=[*EXAMPLES, "all"], default=None,
                        help="one example to print and draw; none: print every example, draw none")
    parser.add_argument("--out", type=Path, default=Path("notes_pictures"),
                        help="folder for the pictures (default: notes_pictures)")
    args = parser.parse_args(argv)
    names = list(EXAMPLES) if args.example in (None, "all") else [args.example]
    for i, name in enumerate(names):
        if i:
            print()
        EXAMPLES[name](out=args.out if args.example else None)


if __name__ == "__main__":
    main(sys.argv[1:])

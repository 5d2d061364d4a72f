"""The lecture notes' worked examples, step by step, computed twice: by the engine and by the closed form.

    python3 demos/notes_examples.py

Each function prints its steps and returns the numbers, so ``tests/test_notes_examples.py`` can
hold them to the values written in the notes.
"""

from __future__ import annotations

import math

import numpy as np

import nn
from autograd_lite import Value


def _fmt(x: object) -> str:
    """Numbers as the notes write them: 3, 0.5, [1, 0], [[-1, 0], [0, 0]] (no -0)."""
    if np.ndim(x):
        return "[" + ", ".join(_fmt(item) for item in np.asarray(x, dtype=float)) + "]"
    return f"{float(x) + 0.0:g}"


def linear_regression(lr: float = 0.5) -> dict[str, object]:
    """Note 002: one example x = [1, 0], t = 2, w = [1, 0], b = 2; J = 1/(2N) sum (t - z)^2 with N = 1."""
    print("Note 002 - gradient descent for linear regression, one example, J = 1/(2N) sum (t - z)^2")
    neuron = nn.Neuron(2, activation="linear", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.0, 0.0, 2.0
    x, t = [1.0, 0.0], 2.0
    z = neuron(x)
    J = 0.5 * nn.mse_loss(z, t)  # the notes' 1/2: PyTorch's mse_loss has none
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
    nn.SGD(neuron.parameters(), lr=lr).step()
    w = [p.data for p in neuron.w]
    print(f"  update    w <- w - {lr} dJ/dw = {_fmt(w)}, b <- {_fmt(neuron.b.data)}")
    return {"z": z.data, "J": J.data, "dw": grad, "db": neuron.b.grad, "ref_dw": bp.dW[0][0].tolist(),
            "ref_db": float(bp.db[0][0]), "w": w, "b": neuron.b.data}


def relu_network(lr: float = 1.0) -> dict[str, object]:
    """Note 002: x = [1, 0], W1 = I (no biases), ReLU hidden h, w2 = [1, 2], linear output z, target c = 2."""
    print("Note 002 - two-layer ReLU network with MSE loss, one example")
    model = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    layers = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2)), (np.array([[1.0, 2.0]]), np.zeros(1))]
    model.from_numpy(layers)
    x, c = [1.0, 0.0], 2.0
    trace = model.trace(x)
    z = trace.a[-1][0]
    J = 0.5 * nn.mse_loss(z, c)
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
    nn.SGD(model.parameters(), lr=lr).step()
    w2 = [w.data for w in model.layers[1].neurons[0].w]
    print(f"  update    w2 <- w2 - {lr:g} dJ/dw2 = [1, 2] + [1, 0] = {_fmt(w2)}")
    return {"h": h, "z": z.data, "J": J.data, "delta2": bp.delta[1].tolist(), "delta1": bp.delta[0].tolist(),
            "dW2": engine_dW2, "dW1": engine_dW1, "ref_dW2": bp.dW[1].tolist(), "ref_dW1": bp.dW[0].tolist(),
            "w2": w2}


def sigmoid_log_loss(a_out: float = 0.8) -> dict[str, object]:
    """Notes 000 / 003: with a sigmoid output and the log loss, delta_out = dL/da_out = sigma(a_out) - t."""
    print("Notes 000/003 - sigmoid output with log loss: delta_out = y - t")
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
    return result


def main() -> None:
    linear_regression()
    print()
    relu_network()
    print()
    sigmoid_log_loss()


if __name__ == "__main__":
    main()

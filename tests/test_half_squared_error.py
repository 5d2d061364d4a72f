"""nn.half_squared_error, the notes' 1/2 (t - y)^2 (notes 002, 004), beside PyTorch's mean (y - t)^2 (mse_loss):
values, gradients, shapes, and the same numbers by name in fit / evaluate, eager and through the compiled tape."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Value


def test_note_002_one_example():
    z = Value(3.0)  # note 002 line 40: z = 1*1 + 0*0 + 2*1 = 3, target t = 2
    J = nn.half_squared_error(z, 2.0)
    J.backward()
    assert J.data == 0.5  # 1/2 (2 - 3)^2
    assert z.grad == 1.0  # dJ/dz = -(t - z) = z - t, no 2
    w = Value(3.0)
    nn.mse_loss(w, 2.0).backward()
    assert w.grad == 2.0  # PyTorch's convention: 2 (y - t)


def test_a_batch_is_averaged_over_examples_and_summed_over_outputs():
    ys = [[Value(1.0), Value(3.0)], [Value(0.0), Value(-1.0)], [Value(2.0), Value(2.0)]]
    ts = np.array([[0.0, 1.0], [0.5, 0.0], [2.0, 4.0]])
    loss = nn.half_squared_error(ys, ts)
    loss.backward()
    Y = np.array([[v.data for v in row] for row in ys])
    assert loss.data == pytest.approx(0.5 * np.sum((ts - Y) ** 2) / 3, rel=1e-15)  # C = 1/(2m) sum ||t - y||^2
    assert np.array([[v.grad for v in row] for row in ys]) == pytest.approx((Y - ts) / 3, rel=1e-15)  # (y - t)/m
    # a flat list is a batch of single outputs, as nn.fit passes them
    flat = [Value(1.0), Value(3.0)]
    nn.half_squared_error(flat, [0.0, 1.0]).backward()
    assert [v.grad for v in flat] == [0.5, 1.0]


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="half_squared_error: input has shape"):
        nn.half_squared_error([Value(1.0)], [1.0, 2.0])
    with pytest.raises(ValueError, match="half_squared_error: input is empty"):
        nn.half_squared_error([], [])


@pytest.mark.parametrize("outputs", [1, 2])
def test_fit_and_evaluate_by_name_eager_and_compiled_agree(outputs):
    X, y = nn.datasets.make_moons(24, noise=0.1, seed=0)
    Y = y.astype(float) if outputs == 1 else np.stack([y, 1 - y], axis=1).astype(float)
    histories, models = [], []
    for compiled in (False, True):
        model = nn.MLP(2, [3, outputs], seed=0)
        histories.append(nn.fit(model, X, Y, loss="half_squared_error", optimizer=nn.SGD(model.parameters(), lr=0.1),
                                epochs=3, batch_size=8, progress=False, compiled=compiled))
        models.append(model)
    assert histories[0].loss == pytest.approx(histories[1].loss, rel=1e-12)
    eager, _ = nn.evaluate(models[0], X, Y, loss="half_squared_error")
    taped, _ = nn.evaluate(models[0], X, Y, loss="half_squared_error", compiled=True)
    outs = nn.predict(models[0], X).reshape(len(X), outputs)
    assert eager == pytest.approx(taped, rel=1e-12)
    assert eager == pytest.approx(0.5 * np.sum((Y.reshape(len(X), outputs) - outs) ** 2) / len(X), rel=1e-12)


def test_its_gradients_are_the_notes_closed_form():
    model = nn.MLP(2, [3, 2], activation="tanh", output_activation="linear", seed=1)
    X = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, 0.0]])
    T = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    loss = nn.half_squared_error([model(list(x)) for x in X], T)
    loss.backward()
    bp = nn.reference.backprop(model.to_numpy(), X.T, T.T, hidden="tanh", output="linear", loss="mse")
    assert loss.data == pytest.approx(bp.cost, rel=1e-13)  # reference "mse" is the notes' 1/2 ||y - t||^2
    for layer, dW in zip(model.layers, bp.dW):
        assert np.array([[w.grad for w in n.w] for n in layer.neurons]) == pytest.approx(dW, rel=1e-12, abs=1e-15)

"""explain_layers: the engine's delta and dW for an nn.MLP agree with the notes' closed form, number by number."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn import explain_layers

HIDDEN = [name for name in nn.ACTIVATIONS]
PAIRS = [("mse", "linear"), ("mse", "tanh"), ("bce", "sigmoid"), ("cross_entropy", "softmax")]


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss, output", PAIRS)
def test_engine_and_closed_form_columns_agree(hidden, loss, output):
    n_out = 3 if loss == "cross_entropy" else 2
    model = nn.MLP(3, [4, 3, n_out], activation=hidden, output_activation=output, seed=7)
    target = 1 if loss == "cross_entropy" else [0.0, 1.0]
    view = explain_layers(model, [0.3, -1.2, 0.8], target, loss=loss)
    assert [layer.index for layer in view.layers] == [3, 2, 1]
    assert view.engine_cost == pytest.approx(view.cost, rel=1e-12)
    for layer in view.layers:
        assert layer.delta_engine.shape == layer.delta_formula.shape
        assert layer.dW_engine.shape == layer.dW_formula.shape
        np.testing.assert_allclose(layer.delta_engine, layer.delta_formula, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(layer.dW_engine, layer.dW_formula, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(layer.db_engine, layer.db_formula, rtol=1e-10, atol=1e-13)
        assert layer.difference() < 1e-10


def test_note_002_worked_example():
    # W1 = I, W2 = [1, 2], x = [1, 0], t = 2, relu then linear, L = 1/2 (y - t)^2: y = 1, delta^2 = -1
    # (loss="mse" is nn.mse_loss, PyTorch's (y - t)^2 without the 1/2; the notes' loss is "half_squared_error")
    model = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    model.from_numpy([(np.eye(2), np.zeros(2)), (np.array([[1.0, 2.0]]), np.zeros(1))])
    view = explain_layers(model, [1.0, 0.0], [2.0], loss="half_squared_error")
    out, hidden = view.layers
    assert view.engine_cost == 0.5
    assert out.delta_engine.tolist() == [-1.0] and out.dW_engine.tolist() == [[-1.0, 0.0]]
    assert hidden.delta_engine.tolist() == [-1.0, 0.0]  # (W^2)^T delta^2 * relu'(z^1) = [-1, -2] * [1, 0]
    assert hidden.dW_engine.tolist() == [[-1.0, 0.0], [0.0, 0.0]]


def test_engine_column_is_what_backward_gives_and_no_grad_changes():
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=3)
    view = explain_layers(model, [0.5, -0.5], [1.0], loss="bce")
    assert all(p.grad == 0.0 for p in model.parameters())
    out = model([0.5, -0.5])
    L = -(out.log())  # t = 1
    L.backward()
    first = view.layers[-1]
    engine = np.array([[w.grad for w in n.w] for n in model.layers[0].neurons])
    np.testing.assert_allclose(first.dW_engine, engine, rtol=1e-12)


def test_text_shows_both_columns_and_the_formulas():
    model = nn.MLP(2, [3, 2], activation="relu", output_activation="softmax", seed=1)
    view = explain_layers(model, [1.0, 2.0], 0, loss="cross_entropy")
    text = view.to_text(precision=6)
    assert "delta^[2] = y^ - y~" in text and "delta^[1] = (W^[2])^T delta^[2] o g'(z^[1])" in text
    assert "dC/dW^[1] = delta^[1] (a^[0])^T" in text
    for layer in view.layers:
        for a, b in zip(layer.delta_engine, layer.delta_formula):
            assert f"{a + 0.0: .6g}".strip() in text and f"{b + 0.0: .6g}".strip() in text
    assert str(view) == view.to_text() and view._repr_markdown_().startswith("## ")


def test_bad_input():
    model = nn.MLP(2, [3, 1], output_activation="linear", seed=0)
    with pytest.raises(ValueError, match="goes with output activation sigmoid"):
        explain_layers(model, [1.0, 2.0], [1.0], loss="bce")
    with pytest.raises(ValueError, match="loss must be one of"):
        explain_layers(model, [1.0, 2.0], [1.0], loss="hinge")
    with pytest.raises(ValueError, match="target must hold 1 numbers"):
        explain_layers(model, [1.0, 2.0], [1.0, 2.0], loss="mse")
    with pytest.raises(TypeError, match="nn.MLP"):
        explain_layers(object(), [1.0], [1.0])
    with pytest.raises(ValueError, match="expected 2 inputs"):
        explain_layers(model, [1.0], [1.0])


def test_a_saturated_sigmoid_with_the_right_label_costs_nothing():
    # a = sigmoid(60) is 1.0 in floating point; with t = 1 the (1 - t) log(1 - a) term has weight 0 and must not
    # be evaluated (log 0): both columns give L = 0 and delta = a - t = 0
    model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    model.from_numpy([(np.eye(2), np.zeros(2)), (np.array([[30.0, 30.0]]), np.zeros(1))])
    view = explain_layers(model, [5.0, 5.0], [1.0], loss="bce")
    assert view.engine_cost == view.cost == 0.0
    assert all(layer.difference() == 0.0 for layer in view.layers)

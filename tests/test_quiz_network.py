"""``nn.quiz``: a small network's delta^[l] and dC/dW^[l] to fill in, in the notes' notation, answered by the engine
and checked against the notes' closed form (``nn.reference``) and a hand-computed network; driven in Chromium."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import console_errors
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import reference
from nn.network_quiz import REFERENCE_NAME

By = pytest.importorskip("selenium.webdriver.common.by").By
Keys = pytest.importorskip("selenium.webdriver.common.keys").Keys

CASES = [  # (widths, hidden, output, loss, x, target)
    ([3, 2], "tanh", "linear", "half_squared_error", [1.0, -2.0], [0.5, -0.5]),
    ([2, 1], "sigmoid", "sigmoid", "bce", [0.5, 1.5], [1.0]),
    ([3, 2], "relu", "softmax", "cross_entropy", [1.0, -0.5], 1),
    ([2, 2, 1], "elu", "sigmoid", "half_squared_error", [-1.0, 2.0], [0.25]),
    ([3, 2], "tanh", "linear", "mse", [1.0, -2.0], [0.5, -0.5]),  # nn.mse_loss: 2/n_L (a - t), as explain_layers
    ([3, 2], "tanh", "linear", "bce_with_logits", [1.0, -2.0], [1.0, 0.0]),
]


def answers(q):
    return {blank.label: blank.answer for question in q.questions for blank in question.blanks}


@pytest.mark.parametrize("widths, hidden, output, loss, x, target", CASES)
def test_every_answer_is_the_notes_closed_form(widths, hidden, output, loss, x, target):
    model = nn.MLP(2, widths, activation=hidden, output_activation=output, seed=3)
    q = nn.quiz(model, x, target, loss=loss)
    closed = reference.backprop(model.to_numpy(), np.array(x), target if np.ndim(target) == 0 else np.array(target),
                                hidden=hidden, output=output, loss=REFERENCE_NAME[loss])
    got = answers(q)
    expected = {}
    for layer, (delta, dW) in enumerate(zip(closed.delta, closed.dW), 1):
        for k in range(dW.shape[0]):
            expected[f"delta_{k + 1}^[{layer}]"] = delta[k]
            for j in range(dW.shape[1]):  # w_jk^[l]: from node j of layer l-1 to node k of layer l = W^[l][k, j]
                expected[f"∂C/∂w_{j + 1}{k + 1}^[{layer}]"] = dW[k, j]
    assert got.keys() == expected.keys()
    for label, value in expected.items():
        assert got[label] == pytest.approx(value, rel=1e-9, abs=1e-12), label
    # backward order: the output layer first, delta before the weights
    L = len(widths)
    assert [question.title for question in q.questions][:2] == [f"Layer {L}: delta^[{L}] = ∂C/∂z^[{L}]",
                                                                 f"Layer {L}: ∂C/∂W^[{L}]"]


def hand_network():
    """Note 002's example: W^[1] = I, b = 0, ReLU; W^[2] = [1 2], linear; x = (1, 0), t = 2, C = 1/2 (y - t)^2."""
    model = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    for neuron, row in zip(model.layers[0].neurons, [[1.0, 0.0], [0.0, 1.0]]):
        for w, v in zip(neuron.w, row):
            w.data = v
        neuron.b.data = 0.0
    for w, v in zip(model.layers[1].neurons[0].w, [1.0, 2.0]):
        w.data = v
    model.layers[1].neurons[0].b.data = 0.0
    return model


def test_a_network_worked_by_hand():
    q = nn.quiz(hand_network(), [1.0, 0.0], [2.0], loss="half_squared_error")
    # y = 1, delta^[2] = y - t = -1; a^[1] = (1, 0), so dC/dw_11^[2] = -1, dC/dw_21^[2] = 0;
    # delta^[1] = (W^[2])^T delta^[2] o relu'(z^[1]) = (-1, -2) o (1, 0) = (-1, 0); dC/dW^[1] = delta^[1] x^T
    assert answers(q) == {"delta_1^[2]": -1.0, "∂C/∂w_11^[2]": -1.0, "∂C/∂w_21^[2]": 0.0,
                          "delta_1^[1]": -1.0, "delta_2^[1]": 0.0,
                          "∂C/∂w_11^[1]": -1.0, "∂C/∂w_21^[1]": 0.0, "∂C/∂w_12^[1]": 0.0, "∂C/∂w_22^[1]": 0.0}
    hidden = q.questions[2].blanks[0]
    assert hidden.hint == ("delta_1^[1] = g'(z_1^[1]) (w_11^[2] delta_1^[2]), with g'(z_1^[1]) = "
                           "1 if z_1^[1] > 0 else 0")
    assert hidden.solution == "1 · (1 · -1)"
    assert q.questions[1].blanks[0].hint == "∂C/∂w_11^[2] = delta_1^[2] a_1^[1]"


def test_only_small_networks_and_matching_losses():
    with pytest.raises(ValueError, match="at most 9 neurons"):
        nn.quiz(nn.MLP(2, [10, 1], seed=0), [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="64 weights"):
        nn.quiz(nn.MLP(8, [8, 8, 1], seed=0), [1.0] * 8, [1.0])
    with pytest.raises(ValueError, match="goes with output activation sigmoid"):
        nn.quiz(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [1.0], loss="bce")
    with pytest.raises(ValueError, match="loss must be one of"):
        nn.quiz(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [1.0], loss="hinge")
    with pytest.raises(ValueError, match="target must hold 1"):
        nn.quiz(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(TypeError, match="nn.MLP"):
        nn.quiz(object(), [1.0], [1.0])


def test_the_network_page_in_chromium(browser, tmp_path):
    model = nn.MLP(2, [3, 2], activation="tanh", output_activation="linear", seed=1)
    q = nn.quiz(model, [1.0, -2.0], [0.5, -0.5])
    path = q.save(tmp_path / "network.html")
    browser.get(path.as_uri())
    blanks = browser.find_elements(By.CSS_SELECTOR, ".blank")
    assert len(blanks) == q.blank_count == 2 + 6 + 3 + 6
    closed = reference.backprop(model.to_numpy(), np.array([1.0, -2.0]), np.array([0.5, -0.5]), hidden="tanh",
                                output="linear", loss="mse")
    # the notes' notation is drawn: delta with a subscript and a layer superscript
    label = blanks[0].find_element(By.TAG_NAME, "label")
    assert label.text.replace("\n", "") == "δ1[2]"
    assert label.get_attribute("innerHTML") == "δ<sub>1</sub><sup>[2]</sup>"
    oracle = [closed.delta[1][0], closed.delta[1][1], *closed.dW[1].ravel(), *closed.delta[0], *closed.dW[0].ravel()]
    boxes = [b.find_element(By.TAG_NAME, "input") for b in blanks]
    boxes[0].send_keys(f"{-oracle[0]:.6g}" + Keys.ENTER)  # the sign is wrong
    assert "wrong" in blanks[0].get_attribute("class")
    boxes[0].clear()
    for box, value in zip(boxes, oracle):
        box.send_keys(f"{value:.6g}" + Keys.ENTER)
    assert all("right" in b.get_attribute("class").split() for b in blanks)
    assert browser.find_element(By.ID, "score").text == f"Right the first time: 16 of {len(blanks)}"
    button = blanks[4].find_element(By.CSS_SELECTOR, "button.show-hint")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)  # not under the sticky header
    button.click()
    hint = blanks[4].find_element(By.CSS_SELECTOR, ".hint")  # W^[2] row by row: entry (k=1, j=3)
    assert hint.is_displayed() and hint.get_attribute("innerHTML") == (
        "Hint: ∂C/∂w<sub>31</sub><sup>[2]</sup> = δ<sub>1</sub><sup>[2]</sup> a<sub>3</sub><sup>[1]</sup>")
    assert console_errors(browser) == []


def test_the_loss_names_mean_what_they_mean_in_explain_layers():
    """Found by the tester: nn.quiz's "mse" was the notes' 1/2 squared error (delta = a - t) while
    nn.explain_layers' and nn.fit's "mse" is nn.mse_loss (delta = 2/n_L (a - t)): one name, two answers."""
    x, t = [1.0, 0.0], [2.0]  # the hand network: y = 1, so a - t = -1
    notes = answers(nn.quiz(hand_network(), x, t))  # the default is the notes' loss
    assert notes == answers(nn.quiz(hand_network(), x, t, loss=nn.half_squared_error))
    assert notes["delta_1^[2]"] == -1.0
    pytorch = nn.quiz(hand_network(), x, t, loss="mse")
    assert answers(pytorch)["delta_1^[2]"] == -2.0  # 2/n_L (y - t) with n_L = 1
    assert answers(pytorch) == answers(nn.quiz(hand_network(), x, t, loss=nn.mse_loss))
    view = nn.explain_layers(hand_network(), x, t, loss="mse")
    assert view.layers[-1].delta_engine.ravel()[0] == pytest.approx(-2.0)
    assert "2/1 · (1 - 2)" in pytorch.questions[0].blanks[0].solution
    logits = nn.quiz(hand_network(), x, [1.0], loss="bce_with_logits")  # sigma(1) - 1
    assert answers(logits)["delta_1^[2]"] == pytest.approx(1 / (1 + np.exp(-1.0)) - 1.0, rel=1e-12)
    assert "σ(1) - 1" in logits.questions[0].blanks[0].solution


OUTPUT_OF = {"half_squared_error": "tanh", "mse": "linear", "bce": "sigmoid", "bce_with_logits": "linear",
             "cross_entropy": "softmax"}


@settings(max_examples=30, deadline=None)
@given(loss=st.sampled_from(sorted(OUTPUT_OF)), by_function=st.booleans(), hidden=st.sampled_from(["relu", "tanh"]),
       widths=st.lists(st.integers(1, 3), min_size=1, max_size=2), n_out=st.integers(1, 2), seed=st.integers(0, 99))
def test_a_loss_means_the_same_in_the_quiz_and_the_walkthrough(loss, by_function, hidden, widths, n_out, seed):
    """One name, one convention: nn.quiz's answers are nn.explain_layers' delta^[l] and dC/dW^[l] for every loss
    name both take (and for the nn.losses function of that name)."""
    n_out = 2 if loss == "cross_entropy" else n_out
    model = nn.MLP(2, [*widths, n_out], activation=hidden, output_activation=OUTPUT_OF[loss], seed=seed)
    x = [1.0, -0.5]
    target = seed % n_out if loss == "cross_entropy" else [0.25 + 0.5 * (k % 2) for k in range(n_out)]
    functions = {"half_squared_error": nn.half_squared_error, "mse": nn.mse_loss, "bce": nn.binary_cross_entropy,
                 "bce_with_logits": nn.binary_cross_entropy_with_logits, "cross_entropy": nn.cross_entropy}
    chosen = functions[loss] if by_function else loss
    got = answers(nn.quiz(model, x, target, loss=chosen))
    view = nn.explain_layers(model, x, target, loss=loss)
    for layer in view.layers:
        for k, delta in enumerate(layer.delta_engine.ravel(), 1):
            assert got[f"delta_{k}^[{layer.index}]"] == pytest.approx(delta, rel=1e-9, abs=1e-12)
        for (k, j), value in np.ndenumerate(layer.dW_engine):
            assert got[f"∂C/∂w_{j + 1}{k + 1}^[{layer.index}]"] == pytest.approx(value, rel=1e-9, abs=1e-12)

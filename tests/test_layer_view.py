"""nn.explain_layers, the layer-by-layer walkthrough: every number it shows against the engine's .backward() on an
independently built loss and against nn.reference; the text and Markdown say the right formulas and numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nn
from autograd_lite import topological_order
from nn import explain_layers
from nn.layer_steps import Term
from nn.layer_text import number, step_text

PAIRS = [("mse", "linear"), ("mse", "tanh"), ("half_squared_error", "linear"), ("half_squared_error", "sigmoid"),
         ("bce", "sigmoid"), ("bce_with_logits", "linear"), ("cross_entropy", "softmax")]
HIDDEN = ["relu", "tanh", "sigmoid", "linear"]


def _data(loss, n_out, m, rng):
    X = rng.normal(0.0, 1.0, size=(m, 3))
    if loss == "cross_entropy":
        return X, rng.integers(0, n_out, size=m)
    if loss in ("bce", "bce_with_logits"):
        return X, rng.uniform(0.0, 1.0, size=(m, n_out))
    return X, rng.normal(0.0, 1.0, size=(m, n_out))


def _independent_cost(model, X, T, loss):
    """C built straight from nn's loss functions on fresh forward passes (not explain_layers' code)."""
    traces = [model.trace(list(x)) for x in X]
    ys = [t.a[-1] for t in traces]
    n_out = len(ys[0])
    if loss == "mse":
        C = nn.mse_loss(ys, T.tolist())
    elif loss == "half_squared_error":
        C = nn.losses.half_squared_error(ys, T.tolist())
    elif loss == "bce":  # the walkthrough sums the log loss over the outputs (note 000): n_out times nn's mean
        C = nn.binary_cross_entropy(ys, T.tolist()) * n_out
    elif loss == "bce_with_logits":
        C = nn.binary_cross_entropy_with_logits(ys, T.tolist()) * n_out
    else:  # nn.cross_entropy takes the logits z^[L], the softmax layer's input
        C = nn.cross_entropy([t.z[-1] for t in traces], [int(k) for k in T])
    return C, traces


@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss, output", PAIRS)
def test_every_number_is_the_engines_and_the_closed_forms(loss, output, hidden, batch):
    rng = np.random.default_rng(len(loss) * 7 + len(hidden) + batch)
    n_out = 1 if loss in ("mse", "bce") and hidden == "relu" else 2
    model = nn.MLP(3, [4, 3, n_out], activation=hidden, output_activation=output, seed=5)
    m = 3 if batch else 1
    X, T = _data(loss, n_out, m, rng)
    x, t = (X, T) if batch else (X[0], T[0])
    view = explain_layers(model, x.tolist(), t.tolist(), loss=loss)
    assert all(p.grad == 0.0 for p in model.parameters())  # the walkthrough leaves .grad alone

    C, traces = _independent_cost(model, X, T, loss)
    C.backward()
    assert view.engine_cost == pytest.approx(C.data, rel=1e-12) and view.cost == pytest.approx(C.data, rel=1e-10)
    layers_np = model.to_numpy()
    T_ref = T.T if batch else T[0]
    if loss == "cross_entropy":
        T_ref = T if batch else int(T[0])
    ref_name = {"mse": "mse_loss"}.get(loss, loss)
    bp = nn.reference.backprop(layers_np, X.T if batch else X[0], T_ref, hidden, output, ref_name)
    shape = (lambda v: v) if batch else (lambda v: v[:, 0])
    for check in view.layers:
        i = check.index - 1
        layer = model.layers[i]
        # dC/dz from .backward() is 1/m of the per-example delta (eq. 23: J_z(C) holds dL^(i)/dz)
        delta = shape(np.array([[z.grad * m for z in tr.z[i]] for tr in traces]).T)
        np.testing.assert_allclose(check.delta_engine, delta, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(check.delta_formula, bp.delta[i], rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(check.delta_engine, check.delta_formula, rtol=1e-9, atol=1e-14)
        dW = np.array([[w.grad for w in n.w] for n in layer.neurons])
        np.testing.assert_allclose(check.dW_engine, dW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(check.dW_formula, dW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(check.db_engine, [n.b.grad for n in layer.neurons], rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(check.db_formula, [n.b.grad for n in layer.neurons], rtol=1e-9, atol=1e-14)
        if check.index < len(model.layers):  # (W^[l+1])^T delta^[l+1] is dL/da^[l]; g'(z) checked through delta
            back = shape(np.array([[a.grad * m for a in tr.a[i + 1]] for tr in traces]).T)
            np.testing.assert_allclose(check.back_engine, back, rtol=1e-9, atol=1e-14)
            np.testing.assert_allclose(check.back_formula, back, rtol=1e-9, atol=1e-14)
            np.testing.assert_allclose(check.back_engine * check.g_prime_engine, check.delta_engine, rtol=1e-12,
                                       atol=1e-15)
        assert check.difference() < 1e-9
    # every matrix of every step: the engine's numbers (shown) equal nn.reference's
    for step in view.steps:
        for term in step.terms:
            np.testing.assert_allclose(term.engine, term.reference, rtol=1e-9, atol=1e-13, err_msg=step.title)


def _numbers_shown(term: Term, precision: int) -> list[str]:
    grid = term.grid()
    return [number(v, precision) for v in grid[:8, :8].ravel()]


@pytest.mark.parametrize("batch", [False, True])
def test_text_shows_every_step_with_its_numbers(batch):
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    X = [[1.0, 2.0], [0.5, -1.0], [0.0, 1.0]] if batch else [1.0, 2.0]
    T = [0.5, 1.0, 2.0] if batch else [0.5]
    view = explain_layers(model, X, T, loss="mse")
    text = view.to_text()
    for i, step in enumerate(view.steps, 1):
        block = "\n".join(step_text(step, i, 4))
        assert block in text
        for term in step.terms:
            for shown in _numbers_shown(term, 4):
                assert shown in block, (step.title, term.label.text, shown)
    assert "nn.mse_loss (PyTorch)" in text and "2/n_L" in text
    assert "note 001's W is the transpose of ours" in text
    if batch:
        assert "Z^[1] = W^[1] A^[0] + b^[1]" in text and "J^[1] = (W^[2])^T J^[2] o g'(Z^[1])" in text
        assert "dC/dW^[1] = 1/m J^[1] (A^[0])^T" in text and "dC/db^[1] = 1/m J^[1] 1(m)" in text
        assert "J^[1] holds dL^(i)/dz^[1] per example" in text and "eq. 23" in text
    else:
        assert "z^[1] = W^[1] a^[0] + b^[1]" in text and "a^[1] = tanh(z^[1])" in text
        assert "delta^[1] = (W^[2])^T delta^[2] o g'(z^[1])" in text and "g'(z^[1]) = 1 - tanh(z^[1])^2" in text
        assert "dL/da^[1] = (W^[2])^T delta^[2]" in text
        assert "dC/dW^[1] = delta^[1] (a^[0])^T" in text and "dC/db^[1] = delta^[1]" in text
        assert "delta^[2] = 2/n_L (a^[2] - t) o g'(z^[2])" in text
    assert str(view) == view.to_text()


@pytest.mark.parametrize("loss, output, formula", [
    ("half_squared_error", "linear", "delta^[2] = (a^[2] - t) o g'(z^[2])"),
    ("bce", "sigmoid", "delta^[2] = a^[2] - t = sigma(z^[2]) - t"),
    ("bce_with_logits", "linear", "delta^[2] = sigma(z^[2]) - t"),
    ("cross_entropy", "softmax", "delta^[2] = y^ - y~"),
])
def test_each_loss_names_its_output_delta(loss, output, formula):
    model = nn.MLP(2, [3, 2], activation="relu", output_activation=output, seed=1)
    target = 1 if loss == "cross_entropy" else [0.0, 1.0]
    text = explain_layers(model, [1.0, 2.0], target, loss=loss).to_text()
    assert formula in text
    if loss == "bce_with_logits":
        assert "the sigmoid of the log loss belongs to the loss, not to this layer" in text
    if loss == "cross_entropy":
        assert "eq. 21d / 22d" in text


def test_note_002_worked_example_in_both_squared_errors():
    # W1 = I, W2 = [1, 2], x = [1, 0], t = 2, relu then linear: y = 1; the notes' 1/2 (t - y)^2 gives delta^2 = -1
    model = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    model.from_numpy([(np.eye(2), np.zeros(2)), (np.array([[1.0, 2.0]]), np.zeros(1))])
    half = explain_layers(model, [1.0, 0.0], [2.0], loss="half_squared_error")
    out, hidden = half.layers
    assert half.engine_cost == 0.5
    assert out.delta_engine.tolist() == [-1.0] and out.dW_engine.tolist() == [[-1.0, 0.0]]
    assert hidden.back_engine.tolist() == [-1.0, -2.0] and hidden.g_prime_engine.tolist() == [1.0, 0.0]
    assert hidden.delta_engine.tolist() == [-1.0, 0.0] and hidden.dW_engine.tolist() == [[-1.0, 0.0], [0.0, 0.0]]
    text = half.to_text()
    assert "[ -1  -2 ]" not in text and "[ -1 ]" in text
    mse = explain_layers(model, [1.0, 0.0], [2.0], loss=nn.mse_loss)  # PyTorch's (y - t)^2: everything doubles
    assert mse.engine_cost == 1.0 and mse.layers[0].delta_engine.tolist() == [-2.0]
    assert explain_layers(model, [1.0, 0.0], [2.0], loss=nn.losses.half_squared_error).loss == "half_squared_error"


def test_markdown_is_latex_with_the_numbers():
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=2)
    view = explain_layers(model, [[1.0, 2.0], [0.0, -1.0]], [1.0, 0.0], loss="bce")
    md = view.to_markdown()
    assert md.count("$$") == 2 * len(view.steps) and md.count("### Step") == len(view.steps)
    assert r"\begin{bmatrix}" in md and r"\circ" in md and r"\mathcal{J}_{z^{[1]}}(\mathcal{C})" in md
    assert r"\frac{1}{m}" in md and r"(W^{[2]})^{\mathsf{T}} \mathcal{J}_{z^{[2]}}" in md
    for check in view.layers:
        for v in np.ravel(check.dW_engine):
            assert number(v, 4) in md
    assert view._repr_markdown_() == md


def test_big_layers_are_elided_with_their_shape():
    model = nn.MLP(10, [9, 1], activation="tanh", seed=0)
    view = explain_layers(model, list(np.linspace(-1, 1, 10)), [0.0], loss="half_squared_error")
    text, md = view.to_text(), view.to_markdown()
    assert "(W^[1] is 9x10, first 8 rows and columns shown)" in text
    assert "(dC/dW^[1] is 9x10, first 8 rows and columns shown)" in text
    assert r"\cdots" in md and r"\vdots" in md
    W = model.to_numpy()[0][0]
    assert number(W[7, 7], 4) in text and number(W[8, 9], 4) not in text.split("Step 2.")[0]


def test_bad_input_and_bounds():
    model = nn.MLP(2, [3, 1], output_activation="linear", seed=0)
    with pytest.raises(ValueError, match="goes with output activation sigmoid"):
        explain_layers(model, [1.0, 2.0], [1.0], loss="bce")
    with pytest.raises(ValueError, match="loss must be one of"):
        explain_layers(model, [1.0, 2.0], [1.0], loss="hinge")
    with pytest.raises(ValueError, match="target must hold 1 numbers"):
        explain_layers(model, [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"target must have shape \(2, 1\)"):
        explain_layers(model, [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="nn.MLP"):
        explain_layers(object(), [1.0], [1.0])
    with pytest.raises(ValueError, match="expected 2 inputs"):
        explain_layers(model, [1.0], [1.0])
    with pytest.raises(ValueError, match="more than 32"):
        explain_layers(model, np.zeros((33, 2)), np.zeros(33))
    with pytest.raises(ValueError, match="at most 8 layers"):
        explain_layers(nn.MLP(2, [2] * 9, seed=0), [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="finite"):
        explain_layers(model, [float("nan"), 1.0], [1.0])


# --- found by the tester -----------------------------------------------------------------------------------------
def _two_three_one():
    return nn.MLP(2, [3, 1], activation="tanh", seed=0)


def test_one_output_takes_a_plain_number_as_its_target():
    """Note 002 writes t = 2, not t = [2]: a scalar target of a one-output network is that number."""
    plain = explain_layers(_two_three_one(), [1.0, 2.0], 0.5, loss="half_squared_error")
    listed = explain_layers(_two_three_one(), [1.0, 2.0], [0.5], loss="half_squared_error")
    for a, b in zip(plain.layers, listed.layers):
        np.testing.assert_array_equal(a.delta_engine, b.delta_engine)
    y = plain.model.trace([1.0, 2.0]).a[-1][0].data
    assert plain.layers[0].index == 2 and plain.layers[0].delta_engine.ravel()[0] == pytest.approx(y - 0.5)
    with pytest.raises(ValueError, match="target must hold 3 numbers"):  # several outputs still need them all
        explain_layers(nn.MLP(2, [3], seed=0), [1.0, 2.0], 0.5)


@pytest.mark.parametrize("x, message", [([True, False], "of booleans"), ([[True, False]], "of booleans"),
                                        ("12", "list of numbers"), ([[1.0, 2.0], [1.0]], "list of numbers")])
def test_inputs_that_are_not_numbers_are_named(x, message):
    with pytest.raises(ValueError, match=message):
        explain_layers(_two_three_one(), x, [0.5])


def test_a_class_index_that_is_not_whole_is_named():
    model = nn.MLP(2, [3, 3], output_activation="softmax", seed=0)
    with pytest.raises(ValueError, match="class index must be a whole number"):
        explain_layers(model, [1.0, 2.0], 1.5, loss="cross_entropy")
    with pytest.raises(ValueError, match="class index must be a whole number"):
        explain_layers(model, [[1.0, 2.0], [0.0, 1.0]], [0.5, 2.0], loss="cross_entropy")
    with pytest.raises(ValueError, match="booleans"):
        explain_layers(_two_three_one(), [1.0, 2.0], [True])


def test_the_back_step_names_its_sum_as_note_001_does():
    """Note 001 eq. 21c sums dL/dz_j^[l+1] w_kj^[l+1] (w_kj: from node k of layer l to node j of layer l+1); the
    walkthrough said "W_jk", a matrix entry a student holding note 001 reads as the weight from j to k."""
    view = explain_layers(nn.MLP(2, [3, 2], activation="tanh", seed=0), [1.0, 2.0], [0.5, -0.5])
    text = view.to_text()
    assert "entry k sums w_kj^[2] delta_j^[2] over the 2 neurons j of layer 2" in text
    assert "w_kj^[2] (from node k to node j) being entry (j, k) of W^[2]" in text
    assert "W_jk" not in text
    model = view.model
    W2 = model.to_numpy()[1][0]
    by_index = {layer.index: layer for layer in view.layers}
    delta2 = by_index[2].delta_engine.ravel()
    back = by_index[1].back_engine.ravel()
    for k in range(3):  # entry k = sum_j w_kj^[2] delta_j^[2], w_kj^[2] = W^[2][j, k]
        assert back[k] == pytest.approx(sum(W2[j, k] * delta2[j] for j in range(2)), rel=1e-12)


# --- a batch's examples are named as note 001 names them: x^(i), z^[l](i) --------------------------------------
def test_a_batch_names_each_examples_nodes_with_its_example_index():
    model = nn.MLP(2, [2, 1], seed=0)
    X, T = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([0.5, 1.0])
    view = explain_layers(model, X, T, loss="mse")
    by_label = {v.label: v for v in topological_order(view.root)}  # the first example's graph, drawn on the page
    assert {"x_1^(1)", "x_2^(1)", "z_1^[1](1)", "a_2^[1](1)", "yhat_1^(1)", "Σ_j w_j1^[1] x_j^(1)",
            "Σ_j w_j1^[2] a_j^[1](1)"} <= set(by_label)
    assert by_label["x_2^(1)"].data == 2.0 and by_label["z_1^[1](1)"].data == pytest.approx(
        model.to_numpy()[0][0][0] @ X[0], abs=1e-15)
    assert not any(" (" in label for label in by_label)  # no duplicate-name suffix anywhere
    assert {p.label for p in model.parameters()} == {v.label for v in by_label.values() if v.label.startswith(("w_", "b_"))}
    # the matrices' entries are named per column: column i is example i
    A0 = next(t for t in view.steps[0].terms if t.label.text.startswith("A^[0]"))
    assert [A0.entry_name(0, i).text for i in range(2)] == ["x_1^(1)", "x_1^(2)"]
    assert A0.entry_name(1, 1).latex == "x_{2}^{(2)}" and A0.entry_name(1, 1).html == "x<sub>2</sub><sup>(2)</sup>"
    Z1 = view.steps[0].lhs
    assert Z1.entry_name(1, 1).latex == "z_{2}^{[1](2)}"


def test_one_example_has_no_example_index_and_a_model_call_is_unchanged():
    model = nn.MLP(2, [2, 1], seed=0)
    view = explain_layers(model, [1.0, 2.0], [0.5], loss="mse")
    labels = {v.label for v in topological_order(view.root)}
    assert {"x_1", "z_1^[1]", "yhat_1"} <= labels and not any("(" in label for label in labels)
    assert view.steps[0].lhs.entry_name(0, 0).text == "z_1^[1]"
    explain_layers(model, [[1.0, 2.0], [0.5, -1.0]], [0.5, 1.0], loss="mse")
    assert {v.label for v in topological_order(model([1.0, 2.0]))} >= {"x_1", "z_1^[1]", "yhat_1"}  # nothing kept


def test_the_batch_text_a_student_reads_has_no_duplicate_suffix():
    from autograd_lite import explain

    view = explain_layers(nn.MLP(2, [2, 1], seed=0), [[1.0, 2.0], [0.5, -1.0]], [0.5, 1.0], loss="mse")
    text = explain(view.root).to_text()
    assert "dot(w₁₁^[1], w₂₁^[1], x₁^(1), x₂^(1))" in text and "relu(z₁^[1](1))" in text
    assert "(2)" not in text and not re.search(r" \(\d+\)", text)  # neither example 2 nor a suffix "x₁ (2)"

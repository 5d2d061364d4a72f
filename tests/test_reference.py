"""The engine against the notes' closed-form backpropagation (nn.reference), and the reference against itself.

For every hidden activation x every (output activation, loss) pair the notes cover x several
shapes, the engine's gradient of every weight and bias equals the closed form dC/dW = delta a^T,
dC/db = delta (eq. 23a-b), and the engine's dL/dz at every pre-activation equals delta.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import reference

# (reference output, reference loss, engine variant)
PAIRS = [
    ("sigmoid", "bce", "bce"),  # notes 000/003: delta = y - t
    ("sigmoid", "bce", "bce_with_logits"),  # same maths, the sigmoid folded into the loss
    ("softmax", "cross_entropy", "cross_entropy"),  # eq. 19/21d: y^ - y~, logits into cross_entropy
    ("softmax", "cross_entropy", "softmax_layer"),  # softmax output layer, then -log p_class
    ("linear", "mse", "mse"),  # note 002: y - t
    ("sigmoid", "mse", "mse"),  # note 002's sigmoid unit with MSE: (y - t) sigma'(z)
    ("tanh", "mse", "mse"),
]
# (n_in, hidden widths, n_out, batch m): 1 to 5 hidden layers, widths 1 to 16, batch 1 and 32
SHAPES = [
    (2, [1], 1, 1),
    (3, [4], 2, 32),
    (4, [16, 16], 3, 1),
    (2, [5, 1, 3, 2, 4], 2, 32),
]


def _engine_model(n_in, widths, n_out, hidden, output, variant, seed):
    engine_output = {"bce_with_logits": "linear", "cross_entropy": "linear", "softmax_layer": "softmax"}.get(
        variant, output)
    model = nn.MLP(n_in, [*widths, n_out], activation=hidden, output_activation=engine_output, seed=seed)
    rng = np.random.default_rng(seed)
    # random biases too, so dC/db is exercised (the init sets them to 0)
    model.from_numpy([(W, rng.normal(0.0, 0.5, size=b.shape)) for W, b in model.to_numpy()])
    return model


def _engine_cost(outputs, T, variant, n_out):
    """The engine's cost, scaled to the reference's conventions (sum over outputs, the notes' 1/2 for MSE)."""
    targets = T[0].tolist() if n_out == 1 else T.T.tolist()  # shaped like outputs: (m,) or (m, n_out)
    if variant == "bce":
        return nn.binary_cross_entropy(outputs, targets) * n_out
    if variant == "bce_with_logits":
        return nn.binary_cross_entropy_with_logits(outputs, targets) * n_out
    if variant == "mse":
        return nn.mse_loss(outputs, targets) * (n_out / 2)
    if variant == "cross_entropy":
        return nn.cross_entropy(outputs, T.tolist())
    # softmax_layer: the model outputs probabilities; C = -1/m sum log p_class (eq. 9)
    return -sum(row[k].log() for row, k in zip(outputs, T.tolist())) * (1.0 / len(outputs))


def _targets(loss, n_out, m, rng):
    if loss == "cross_entropy":
        return rng.integers(0, n_out, size=m)
    if loss == "bce":
        return rng.integers(0, 2, size=(n_out, m)).astype(float)
    return rng.normal(0.0, 1.0, size=(n_out, m))


def _check_against_reference(hidden, output, loss, variant, n_in, widths, n_out, m, seed):
    """Build the engine's model and cost, backpropagate, and hold every gradient and delta to nn.reference."""
    rng = np.random.default_rng(seed)
    model = _engine_model(n_in, widths, n_out, hidden, output, variant, seed)
    X = rng.normal(0.0, 1.0, size=(n_in, m))
    T = _targets(loss, n_out, m, rng)

    traces = [model.trace(X[:, j]) for j in range(m)]
    outputs = [t.a[-1] for t in traces]
    if loss != "cross_entropy" and n_out == 1:
        outputs = [row[0] for row in outputs]  # a batch of single outputs is a list of Values, as MLP returns
    cost = _engine_cost(outputs, T, variant, n_out)
    model.zero_grad()
    cost.backward()

    if m == 1:  # one example: the notes' vectors, X of shape (n_in,)
        bp = reference.backprop(model.to_numpy(), X[:, 0], T[..., 0] if loss != "cross_entropy" else int(T[0]),
                                hidden=hidden, output=output, loss=loss)
        deltas, zs = [d[:, None] for d in bp.delta], [z[:, None] for z in bp.z]
    else:
        bp = reference.backprop(model.to_numpy(), X, T, hidden=hidden, output=output, loss=loss)
        deltas, zs = bp.delta, bp.z

    assert cost.data == pytest.approx(bp.cost, rel=1e-10, abs=1e-12)
    for i, layer in enumerate(model.layers):
        dW = np.array([[w.grad for w in n.w] for n in layer.neurons])
        db = np.array([n.b.grad for n in layer.neurons])
        np.testing.assert_allclose(dW, bp.dW[i], rtol=1e-10, atol=1e-10, err_msg=f"dC/dW of layer {i + 1}")
        np.testing.assert_allclose(db, bp.db[i], rtol=1e-10, atol=1e-10, err_msg=f"dC/db of layer {i + 1}")
        # the engine's dC/dz of example j is delta[:, j] / m (the cost is an average, eq. 23)
        dz = np.array([[t.z[i][k].grad for t in traces] for k in range(layer.nout)]) * m
        np.testing.assert_allclose(dz, deltas[i], rtol=1e-10, atol=1e-10, err_msg=f"delta of layer {i + 1}")
        z = np.array([[v.data for v in t.z[i]] for t in traces]).T
        np.testing.assert_allclose(z, zs[i], rtol=1e-12, atol=1e-12, err_msg=f"z of layer {i + 1}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}-{'x'.join(map(str, s[1]))}-{s[2]}-m{s[3]}")
@pytest.mark.parametrize("output, loss, variant", PAIRS, ids=[p[2] + "-" + p[0] for p in PAIRS])
@pytest.mark.parametrize("hidden", nn.ACTIVATIONS)
def test_engine_gradients_and_deltas_equal_the_closed_form(hidden, output, loss, variant, shape):
    seed = zlib.crc32(f"{hidden}-{variant}-{shape}".encode())  # stable across runs (hash() is salted)
    _check_against_reference(hidden, output, loss, variant, *shape, seed)


@settings(max_examples=40, deadline=None)
@given(hidden=st.sampled_from(nn.ACTIVATIONS), pair=st.sampled_from(PAIRS), n_in=st.integers(1, 4),
       widths=st.lists(st.integers(1, 5), min_size=1, max_size=4), n_out=st.integers(1, 4), m=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1))
def test_random_architectures_agree_with_the_closed_form(hidden, pair, n_in, widths, n_out, m, seed):
    _check_against_reference(hidden, *pair, n_in, widths, n_out, m, seed)


# --- the reference checked on its own: finite differences of its own cost -----------------
@pytest.mark.parametrize("hidden", nn.ACTIVATIONS)
@pytest.mark.parametrize("output, loss", [("sigmoid", "bce"), ("softmax", "cross_entropy"), ("linear", "mse"),
                                          ("tanh", "mse")])
def test_reference_gradients_match_finite_differences_of_its_cost(hidden, output, loss):
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3)), (rng.normal(size=(2, 3)), rng.normal(size=2))]
    X = rng.normal(size=(2, 5))
    T = rng.integers(0, 2, size=5) if loss == "cross_entropy" else rng.integers(0, 2, size=(2, 5)).astype(float)
    bp = reference.backprop(layers, X, T, hidden, output, loss)
    h = 1e-6
    for i, (W, b) in enumerate(layers):
        for arr, grad in ((W, bp.dW[i]), (b, bp.db[i])):
            for index in np.ndindex(arr.shape):
                saved = arr[index]
                arr[index] = saved + h
                up = reference.backprop(layers, X, T, hidden, output, loss).cost
                arr[index] = saved - h
                down = reference.backprop(layers, X, T, hidden, output, loss).cost
                arr[index] = saved
                assert grad[index] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", nn.ACTIVATIONS)
def test_activation_derivatives_match_finite_differences(name, fd):
    z = np.array([-2.5, -0.7, -1e-3, 1e-3, 0.4, 3.0])
    g_prime = reference.derivative(name, z)
    for i in range(len(z)):
        numeric = fd(lambda v: float(reference.activation(name, np.array(v))[i]), z.tolist(), i)
        assert g_prime[i] == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_softmax_is_stable_and_normalised():
    a = reference.activation("softmax", np.array([[1000.0, -3.0], [-1000.0, -3.0], [0.0, -3.0]]))
    np.testing.assert_allclose(a, [[1.0, 1 / 3], [0.0, 1 / 3], [0.0, 1 / 3]])
    bp = reference.backprop([(np.eye(3), np.zeros(3))], np.array([1000.0, -1000.0, 0.0]), 1,
                            hidden="relu", output="softmax", loss="cross_entropy")
    assert bp.cost == pytest.approx(2000.0) and np.all(np.isfinite(bp.dW[0]))


def test_single_example_shapes_and_a0_is_x():
    layers = [(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), np.zeros(1))]
    bp = reference.backprop(layers, np.array([1.0, 2.0]), np.array([1.0]), "tanh", "sigmoid", "bce")
    assert [v.shape for v in bp.z] == [(3,), (1,)] and [v.shape for v in bp.a] == [(2,), (3,), (1,)]
    assert [v.shape for v in bp.delta] == [(3,), (1,)]
    assert [v.shape for v in bp.dW] == [(3, 2), (1, 3)] and [v.shape for v in bp.db] == [(3,), (1,)]
    assert bp.a[0].tolist() == [1.0, 2.0]
    z, a = reference.forward(layers, np.array([1.0, 2.0]), "tanh", "sigmoid")
    assert [v.tolist() for v in z] == [v.tolist() for v in bp.z]
    # batch with one output unit: T may be (m,)
    bp2 = reference.backprop(layers, np.ones((2, 4)), np.ones(4), "tanh", "sigmoid", "bce")
    assert bp2.delta[-1].shape == (1, 4)


@pytest.mark.parametrize("call, message", [
    (lambda: reference.backprop([(np.ones((1, 2)), np.zeros(1))], np.ones(2), [1.0], output="linear", loss="bce"),
     "loss 'bce' goes with output sigmoid"),
    (lambda: reference.backprop([(np.ones((1, 2)), np.zeros(1))], np.ones(2), [1.0], loss="hinge"), "loss must be"),
    (lambda: reference.backprop([(np.ones((1, 3)), np.zeros(1))], np.ones(2), [1.0]), r"shape \(n_out, 2\)"),
    (lambda: reference.backprop([(np.ones((1, 2)), np.zeros(2))], np.ones(2), [1.0]), r"b must have shape \(1,\)"),
    (lambda: reference.backprop([(np.ones((1, 2)), np.zeros(1))], np.ones(2), [1.0, 0.0]), "T must have"),
    (lambda: reference.backprop([(np.ones((1, 2)), np.zeros(1))], np.ones(2), [2.0]), r"in \[0, 1\]"),
    (lambda: reference.backprop([(np.ones((3, 2)), np.zeros(3))], np.ones((2, 2)), [0, 3], output="softmax",
                                loss="cross_entropy"), "class indices"),
    (lambda: reference.backprop([(np.ones((3, 2)), np.zeros(3))], np.ones(2), [1.0, 1.0, 0.0], output="softmax",
                                loss="cross_entropy"), "sum to 1"),  # not one-hot: y^ - y~ would not be dL/dz
    (lambda: reference.backprop([(np.ones((2, 2)), np.zeros(2))], np.ones((2, 2)), [[1.5, 0.0], [-0.5, 1.0]],
                                output="softmax", loss="cross_entropy"), "sum to 1"),
    (lambda: reference.forward([(np.ones((1, 2)), np.zeros(1))], np.ones((2, 2, 2))), "X must have shape"),
    (lambda: reference.forward([(np.ones((1, 2)), np.zeros(1))], np.ones(2), hidden="softmax"), "hidden must be"),
    (lambda: reference.forward([(np.ones((1, 2)), np.zeros(1))], [np.nan, 1.0]), "X must be finite"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sgd_step_is_eq_14_15():
    layers = [(np.array([[1.0, -1.0]]), np.array([0.5]))]
    bp = reference.backprop(layers, np.array([1.0, 2.0]), np.array([0.0]), "relu", "linear", "mse")
    new = reference.sgd_step(layers, bp, 0.1)
    np.testing.assert_allclose(new[0][0], layers[0][0] - 0.1 * bp.dW[0])
    np.testing.assert_allclose(new[0][1], layers[0][1] - 0.1 * bp.db[0])

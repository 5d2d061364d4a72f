"""nn.fit(compiled=True) trains exactly as eager fit does: same losses, accuracies and weights, to rounding."""

from __future__ import annotations

import numpy as np
import pytest

import nn

CASES = [  # (loss, data, model, optimizer)
    ("hinge", lambda: _moons(pm=True), lambda: nn.MLP(2, [8, 8, 1], seed=1), "sgd"),
    ("bce_with_logits", lambda: _moons(), lambda: nn.MLP(2, [6, 1], activation="tanh", seed=2), "adam"),
    ("cross_entropy", lambda: nn.datasets.make_blobs(45, centers=3, seed=3),
     lambda: nn.MLP(2, [5, 3], activation="elu", seed=3), "adam"),
    ("mse", lambda: _moons(), lambda: nn.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=4),
     "sgd"),
]


def _moons(pm: bool = False):
    X, y = nn.datasets.make_moons(40, noise=0.1, seed=0)
    return X, (2 * y - 1 if pm else y)


def _train(loss, data, make_model, optimizer, compiled):
    X, y = data()
    model = make_model()
    opt = nn.SGD(model.parameters(), lr=0.1) if optimizer == "sgd" else nn.Adam(model.parameters(), lr=0.02)
    history = nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=6, batch_size=16, seed=5, progress=False,
                     compiled=compiled)
    return history, np.array([p.data for p in model.parameters()])


@pytest.mark.parametrize("loss, data, make_model, optimizer", CASES, ids=[c[0] for c in CASES])
def test_compiled_fit_matches_eager_fit(loss, data, make_model, optimizer):
    eager, w_eager = _train(loss, data, make_model, optimizer, compiled=False)
    fast, w_fast = _train(loss, data, make_model, optimizer, compiled=True)
    np.testing.assert_allclose(fast.loss, eager.loss, rtol=1e-12, atol=1e-12)
    assert fast.accuracy == eager.accuracy
    np.testing.assert_allclose(w_fast, w_eager, rtol=1e-10, atol=1e-12)


def test_multi_output_regression_compiles():
    X, _ = nn.datasets.make_moons(20, seed=1)
    Y = np.stack([X[:, 0] * 0.5, X[:, 1] - 0.2], axis=1)
    histories = []
    for compiled in (False, True):
        model = nn.MLP(2, [4, 2], activation="tanh", seed=0)
        histories.append(nn.fit(model, X, Y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3,
                                batch_size=8, progress=False, compiled=compiled).loss)
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-12)


def test_compiled_fit_refuses_losses_a_tape_cannot_replay():
    X, y = nn.datasets.make_moons(10, seed=0)
    model = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    with pytest.raises(ValueError, match="bce_with_logits"):
        nn.fit(model, X, y, loss="bce", epochs=1, progress=False, compiled=True)
    with pytest.raises(ValueError, match="compiled=True supports"):
        nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, loss=lambda out, t: out[0], epochs=1, progress=False, compiled=True)


def test_compiled_fit_checks_class_indices():
    X, y = nn.datasets.make_blobs(12, centers=3, seed=0)
    with pytest.raises(ValueError, match=r"0\.\.1"):
        nn.fit(nn.MLP(2, [2], seed=0), X, y, loss="cross_entropy", epochs=1, progress=False, compiled=True)

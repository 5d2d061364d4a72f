"""nn.fit(compiled=True) with SGD / Adam steps the tape's held parameter vector: exactly the per-Value steps.

The reference is the same optimizer as a subclass with its own ``step`` (no vector form), which fit runs the
per-Value way: ``optimizer.zero_grad(); tape.backward(...); optimizer.step()``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Value
from nn.train import _vector_rule


class PerValueSGD(nn.SGD):
    def step(self) -> None:
        super().step()


class PerValueAdam(nn.Adam):
    def step(self) -> None:
        super().step()


OPTIMIZERS = {  # name -> (vector form, per-Value form, keyword arguments)
    "sgd": (nn.SGD, PerValueSGD, {"lr": 0.1}),
    "sgd momentum": (nn.SGD, PerValueSGD, {"lr": 0.05, "momentum": 0.9}),
    "sgd momentum+wd": (nn.SGD, PerValueSGD, {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
    "adam": (nn.Adam, PerValueAdam, {"lr": 0.02}),
    "adam wd betas": (nn.Adam, PerValueAdam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05}),
}


def _fit(optimizer_class, kwargs, *, epochs=5, record=False, reorder=False, loss="bce_with_logits"):
    X, y = nn.datasets.make_moons(48, noise=0.1, seed=1)
    model = nn.MLP(2, [6, 5, 1], seed=2)
    params = model.parameters()
    opt = optimizer_class(params[::-1] if reorder else params, **kwargs)
    history = nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=epochs, batch_size=10, seed=4, progress=False,
                     compiled=True, record=record)
    return model, opt, history


def _state(opt):
    if isinstance(opt, nn.Adam):
        return opt.t, opt._m, opt._v
    return (opt._buffers,)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("reorder", [False, True], ids=["tape order", "reversed"])
def test_vector_steps_equal_the_per_value_steps(name, reorder, monkeypatch):
    vector_class, value_class, kwargs = OPTIMIZERS[name]
    calls = []
    step = nn.optim.VectorRule.step
    monkeypatch.setattr(nn.optim.VectorRule, "step", lambda self, v, g: calls.append(1) or step(self, v, g))
    m1, opt1, h1 = _fit(vector_class, kwargs, reorder=reorder)
    assert len(calls) == 5 * 5  # 5 epochs of 48 rows in batches of 10: every step ran on the vector
    m2, opt2, h2 = _fit(value_class, kwargs, reorder=reorder)
    w1 = np.array([p.data for p in m1.parameters()])
    w2 = np.array([p.data for p in m2.parameters()])
    assert np.abs(w1 - w2).max() <= 1e-12
    assert not np.array_equal(w1, np.array([p.data for p in nn.MLP(2, [6, 5, 1], seed=2).parameters()]))  # trained
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=0, atol=1e-12)
    assert h1.accuracy == h2.accuracy
    # the optimizer's state and each .grad (the last batch's gradient) are left as the per-Value steps leave them
    for a, b in zip(_state(opt1), _state(opt2)):
        if a is b or a == [None] * len(a):  # plain SGD keeps no buffers
            assert b == a
        else:
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose([p.grad for p in m1.parameters()], [p.grad for p in m2.parameters()],
                               rtol=0, atol=1e-12)


def test_a_second_fit_continues_from_the_optimizer_state():
    for cls in (nn.Adam, PerValueAdam):
        X, y = nn.datasets.make_moons(30, seed=0)
        model = nn.MLP(2, [4, 1], seed=0)
        opt = cls(model.parameters(), lr=0.05)
        for _ in range(2):
            nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=2, batch_size=8, progress=False,
                   compiled=True)
        if cls is nn.Adam:
            vector = np.array([p.data for p in model.parameters()])
            assert opt.t == 2 * 2 * 4
    np.testing.assert_allclose(vector, [p.data for p in model.parameters()], rtol=0, atol=1e-12)


def test_which_optimizers_get_the_vector_path():
    model = nn.MLP(2, [3, 1], seed=0)
    tape = nn.train._compile_step(model, "mse", np.zeros(2), np.zeros(1))
    params = model.parameters()
    assert _vector_rule(nn.SGD(params, lr=0.1), tape).positions is None
    assert _vector_rule(nn.Adam(params[::-1]), tape).positions.tolist() == list(range(len(params)))[::-1]
    assert _vector_rule(PerValueSGD(params, lr=0.1), tape) is None  # its own step: the Values are stepped
    assert _vector_rule(nn.SGD(params[:-1], lr=0.1), tape) is None  # not every parameter: the Values
    assert _vector_rule(nn.SGD([*params, Value(1.0)], lr=0.1), tape) is None  # one the tape does not have
    half_started = nn.SGD(params, lr=0.1, momentum=0.9)
    half_started._buffers[0] = 0.5  # momentum state for some parameters only: the Values are stepped
    assert _vector_rule(half_started, tape) is None


def test_a_subset_optimizer_trains_the_same_as_eager():
    X, y = nn.datasets.make_moons(30, seed=0)
    out = []
    for compiled in (False, True):
        model = nn.MLP(2, [4, 1], seed=0)
        nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters()[:6], lr=0.1), epochs=3,
               batch_size=8, progress=False, compiled=compiled)
        out.append([p.data for p in model.parameters()])
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd momentum", "adam"])
def test_snapshots_see_the_held_weights(name):
    vector_class, value_class, kwargs = OPTIMIZERS[name]
    _, _, h1 = _fit(vector_class, kwargs, epochs=4, record=True)
    _, _, h2 = _fit(value_class, kwargs, epochs=4, record=True)
    first = h1.recording.snapshots
    assert [s.epoch for s in first] == [0, 1, 2, 3, 4]
    assert not np.array_equal(first[1].weights[0][0], first[0].weights[0][0])  # moved between snapshots
    for a, b in zip(first, h2.recording.snapshots):
        for (Wa, ba), (Wb, bb) in zip(a.weights, b.weights):
            np.testing.assert_allclose(Wa, Wb, rtol=0, atol=1e-12)
            np.testing.assert_allclose(ba, bb, rtol=0, atol=1e-12)


def test_values_are_written_back_when_fit_raises():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)) * 100, rng.integers(0, 2, size=40) * 100.0
    left = []
    for cls in (nn.SGD, PerValueSGD):
        model = nn.MLP(2, [4, 1], seed=0)
        with pytest.raises(OverflowError):
            nn.fit(model, X, y, loss="mse", optimizer=cls(model.parameters(), lr=10.0), epochs=6, progress=False,
                   compiled=True)
        left.append([p.data for p in model.parameters()])
    assert left[0] != [p.data for p in nn.MLP(2, [4, 1], seed=0).parameters()]  # steps were taken, then written
    np.testing.assert_array_equal(left[0], left[1])
    model.parameters()[0].data = 1.0  # not held any more: setting a Value is allowed


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(OPTIMIZERS)), st.integers(0, 2**32 - 1))
def test_vector_rule_equals_the_optimizer_on_random_gradients(name, seed):
    vector_class, _, kwargs = OPTIMIZERS[name]
    rng = np.random.default_rng(seed)
    start, grads = rng.normal(size=7), rng.normal(size=(6, 7)) * 3
    params = [Value(float(x)) for x in start]
    order = rng.permutation(7)
    by_value = vector_class(params, **kwargs)
    by_vector = vector_class([Value(0.0) for _ in range(7)], **kwargs)
    rule = by_vector.vector_rule(order)  # the optimizer's i-th parameter at order[i] of the vector
    vector = np.empty(7)
    vector[order] = start
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = float(gi)
        by_value.step()
        full = np.empty(7)
        full[order] = g
        rule.step(vector, full)
    assert np.abs(vector[order] - [p.data for p in params]).max() <= 1e-12

"""Layer lowering in the compiled tape: layers run as matrix products, with the eager engine's gradients to 1e-12,
the interpreter as the fallback, fresh weights at every call, and buffers reused per batch size."""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value

RTOL = ATOL = 1e-12


def mlp(sizes, activation="relu", seed=0, bias=True, param=None):
    """A micrograd-style MLP made of ``ag.dot``: z = w . a + b per neuron, the activation on every layer but the last."""
    r = random.Random(seed)
    layers = [[([Value(r.uniform(-1, 1)) for _ in range(n)], Value(r.uniform(-0.5, 0.5)) if bias else None)
               for _ in range(m)] for n, m in zip(sizes, sizes[1:])]
    params = [p for layer in layers for w, b in layer for p in (*w, *([b] if b is not None else []))]

    def act(z):
        return getattr(z, activation)(*([param] if param is not None else []))

    def model(xs):
        a = list(xs)
        for i, layer in enumerate(layers):
            z = [ag.dot(w, a) + b if b is not None else ag.dot(w, a) for w, b in layer]
            a = z if i == len(layers) - 1 else [act(v) for v in z]
        return a

    return model, params


def eager(fn, params, batch, reduction="mean"):
    """The reference: sample by sample with the engine, reduced, differentiated with ag.grad."""
    outs = [fn(*[Value(float(col[b])) for col in batch]) for b in range(len(batch[0]))]
    total = ag.sum(outs) * (1.0 / len(outs) if reduction == "mean" else 1.0)
    return total.data, np.array([g.data for g in ag.grad(total, params)]), np.array([o.data for o in outs])


def check(tape, fn, params, batch, reduction="mean"):
    loss, grads = tape.value_and_grad(*batch)
    want_loss, want_grads, want_outs = eager(fn, params, batch, reduction)
    np.testing.assert_allclose(loss, want_loss, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads, want_grads, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(tape(*batch), want_outs, rtol=RTOL, atol=ATOL)


def data(n_in, B, seed=1, classes=None):
    rng = np.random.default_rng(seed)
    cols = [rng.normal(size=B) for _ in range(n_in)]
    target = rng.integers(0, classes, B).astype(float) if classes else np.sign(rng.normal(size=B))
    return cols + [target]


def max_margin(model, params, n_in, alpha=1e-4):
    def loss(*args):
        *xs, t = args
        return (1 + -t * model(xs)[0]).relu() + alpha * sum(p * p for p in params)
    return loss


@pytest.mark.parametrize("sizes", [[2, 16, 16, 1], [3, 5, 1], [1, 4, 4, 4, 1], [2, 1]])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu"])
def test_mlp_max_margin_matches_eager_and_every_layer_is_lowered(sizes, activation):
    model, params = mlp(sizes, activation)
    loss = max_margin(model, params, sizes[0])
    tape = ag.compile(loss, [0.0] * (sizes[0] + 1), parameters=params)
    assert [(layer.k, layer.n) for layer in tape.layers] == list(zip(sizes[1:], sizes))
    assert [layer.act.name if layer.act else None for layer in tape.layers] == [activation] * (len(sizes) - 2) + [None]
    assert "layers lowered" in repr(tape)
    check(tape, loss, params, data(sizes[0], 23))


def test_mse_and_softmax_cross_entropy_losses_match_eager():
    model, params = mlp([3, 8, 4], "tanh", seed=3)

    def cross_entropy(x1, x2, x3, t):  # -z_t + logsumexp(z); t selects the class without reading its number
        z = model([x1, x2, x3])
        picked = ag.sum([zk * (1 - (t - k) ** 2).relu() for k, zk in enumerate(z)])  # 1 when t == k (integers)
        return ag.logsumexp(z) - picked

    def mse(x1, x2, x3, t):
        return ag.sum([(zk - t) ** 2 for zk in model([x1, x2, x3])]) * 0.5

    batch = data(3, 17, classes=4)
    for loss in (cross_entropy, mse):
        tape = ag.compile(loss, [0.0, 0.0, 0.0, 0.0], parameters=params)
        assert len(tape.layers) == 2
        check(tape, loss, params, batch)
        check(ag.compile(loss, [0.0] * 4, parameters=params, reduction="sum"), loss, params, batch, "sum")


def test_layers_without_bias_and_linear_outputs_are_lowered_too():
    model, params = mlp([2, 6, 6, 2], "relu", bias=False)
    loss = lambda a, b, t: (model([a, b])[0] - t) ** 2 + model([a, b])[1]  # noqa: E731
    tape = ag.compile(loss, [0.0, 0.0, 0.0], parameters=params)
    assert tape.layers and all(layer.b is None for layer in tape.layers)
    check(tape, loss, params, data(2, 9))


def test_a_graph_that_only_partly_matches_runs_the_rest_with_the_interpreter():
    """A layer; a neuron whose weight is computed (w * 2, not a leaf); a skip connection; a neuron with a
    weight used twice: the first is lowered, the others are not, and everything matches eager."""
    model, params = mlp([2, 5, 1], "relu", seed=7)
    w = [Value(0.3), Value(-0.7)]
    shared = Value(0.9)

    def loss(a, b, t):
        h = model([a, b])[0]
        odd = ag.dot([w[0] * 2.0, w[1]], [a, b])  # a computed weight: not a layer
        twice = ag.dot([shared, shared], [a, h])  # one leaf twice in one neuron: not lowered
        return (h + odd.tanh() + twice * a - t) ** 2

    all_params = params + w + [shared]
    tape = ag.compile(loss, [0.0, 0.0, 0.0], parameters=all_params)
    assert [(layer.k, layer.n) for layer in tape.layers] == [(5, 2), (1, 5)]
    check(tape, loss, all_params, data(2, 13))


def test_a_graph_without_layers_is_not_lowered_and_still_matches():
    a, b = Value(0.5), Value(-1.5)
    fn = lambda x, y: (a * x + b * y).tanh() * x  # noqa: E731
    tape = ag.compile(fn, [0.0, 0.0], parameters=[a, b])
    assert tape.layers == () and "layers lowered" not in repr(tape)
    check(tape, fn, [a, b], data(1, 7))


def test_an_output_inside_a_neuron_is_kept_and_aux_matches():
    model, params = mlp([2, 4, 1], "tanh")

    def fn(a, b, t):
        s = model([a, b])[0]
        return (s - t) ** 2, s

    tape = ag.compile(fn, [0.0, 0.0, 0.0], parameters=params, has_aux=True)
    batch = data(2, 8)
    (loss, aux), grads = tape.value_and_grad(*batch)
    want = [model([Value(batch[0][i]), Value(batch[1][i])])[0].data for i in range(8)]
    np.testing.assert_allclose(aux, want, rtol=RTOL, atol=ATOL)
    values, aux_only = tape(*batch)
    np.testing.assert_allclose(aux_only, want, rtol=RTOL, atol=ATOL)
    check_loss, check_grads, _ = eager(lambda a, b, t: fn(a, b, t)[0], params, batch)
    np.testing.assert_allclose(grads, check_grads, rtol=RTOL, atol=ATOL)


def test_changing_p_data_between_calls_is_seen_never_stale():
    """micrograd's demo loop (p.data -= lr * grad by hand) and loading weights: each call uses the new numbers."""
    model, params = mlp([2, 8, 8, 1], "relu", seed=5)
    loss = max_margin(model, params, 2)
    tape = ag.compile(loss, [0.0, 0.0, 0.0], parameters=params)
    batch = data(2, 20)
    for _ in range(3):  # manual SGD, as the demo
        _, grads = tape.value_and_grad(*batch)
        for p, g in zip(params, grads.tolist()):
            p.data -= 0.5 * g
        check(tape, loss, params, batch)
    rng = np.random.default_rng(9)
    for p in params:  # loading other weights
        p.data = float(rng.normal())
    check(tape, loss, params, batch)


def test_held_parameters_train_in_place_and_refuse_a_value_changed_meanwhile():
    model, params = mlp([2, 6, 1], "tanh", seed=2)
    loss = max_margin(model, params, 2)
    tape = ag.compile(loss, [0.0, 0.0, 0.0], parameters=params)
    batch = data(2, 30)
    twin = ag.compile(loss, [0.0, 0.0, 0.0], parameters=params)
    start = [p.data for p in params]
    expected = np.array(start)
    for _ in range(5):  # the same SGD on a plain vector, reading the Values each call
        for p, x in zip(params, expected.tolist()):
            p.data = x
        expected = expected - 0.3 * twin.value_and_grad(*batch)[1]
    for p, x in zip(params, start):
        p.data = x
    with tape.hold_parameters() as held:
        for _ in range(5):
            held.vector -= 0.3 * tape.value_and_grad(*batch)[1]
        assert [p.data for p in params] == start  # not written until asked
        held.sync()
        np.testing.assert_allclose([p.data for p in params], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose([p.data for p in params], expected, rtol=1e-12, atol=1e-12)
    check(tape, loss, params, batch)  # released: reads p.data again
    held = tape.hold_parameters()
    with pytest.raises(RuntimeError, match="held already"):
        tape.hold_parameters()
    params[3].data = 123.0
    with pytest.raises(RuntimeError, match="was set to 123.0 while the tape held"):
        held.release()
    assert tape.hold_parameters().active  # the failed release still let go


def test_buffers_are_reused_per_batch_size_and_a_few_sizes_are_kept():
    model, params = mlp([2, 4, 1], "relu")
    loss = max_margin(model, params, 2)
    tape = ag.compile(loss, [0.0, 0.0, 0.0], parameters=params)
    for B in (5, 7, 5):
        check(tape, loss, params, data(2, B, seed=B))
    ws = tape._workspace  # noqa: SLF001 - the buffers are what this test is about
    buffer = ws.batches[5].V
    tape.value_and_grad(*data(2, 5, seed=11))
    assert ws.batches[5].V is buffer  # reused, not reallocated
    for B in (1, 2, 3, 4, 6):
        check(tape, loss, params, data(2, B, seed=B))
    assert len(ws.batches) == 4 and 5 not in ws.batches  # bounded: the oldest size was dropped


def test_errors_in_a_lowered_graph_read_as_the_interpreters():
    """A failing call is rerun by the interpreter, which names the op, the sample and the label."""
    model, params = mlp([1, 3, 1], "relu", seed=4)
    fn = lambda x: model([x])[0].log()  # noqa: E731 - negative outputs for some samples
    tape = ag.compile(fn, [0.0], parameters=params)
    plain = ag.compile(fn, [0.0], parameters=params)
    plain._plan = None  # noqa: SLF001 - the interpreter alone, for the expected message
    x = np.linspace(-3, 3, 11)
    with pytest.raises(ValueError) as lowered_error:
        tape.value_and_grad(x)
    with pytest.raises(ValueError) as interpreted:
        plain.value_and_grad(x)
    assert str(lowered_error.value) == str(interpreted.value)
    assert "sample" in str(lowered_error.value) and "log" in str(lowered_error.value)
    for p in params:
        p.data = 1e200  # overflow inside the matrix product: inf, then inf - inf
    fn2 = lambda x: (model([x])[0] - model([x])[0] * 2.0) ** 2  # noqa: E731
    with pytest.raises(OverflowError, match="sample 0"):
        ag.compile(fn2, [0.0], parameters=params).value_and_grad(np.ones(3))


def test_two_threads_at_once_get_their_own_right_answers():
    model, params = mlp([2, 8, 1], "tanh", seed=6)
    loss = max_margin(model, params, 2)
    tape = ag.compile(loss, [0.0, 0.0, 0.0], parameters=params)
    batches = [data(2, B, seed=B) for B in (10, 20, 30, 40)]
    wanted = [eager(loss, params, b)[:2] for b in batches]
    failures = []

    def work(i):
        for _ in range(20):
            got = tape.value_and_grad(*batches[i])
            if not (np.isclose(got[0], wanted[i][0], rtol=1e-12) and np.allclose(got[1], wanted[i][1], rtol=1e-12,
                                                                                 atol=1e-12)):
                failures.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


@st.composite
def networks(draw):
    n_in = draw(st.integers(1, 3))
    sizes = [n_in] + draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    activation = draw(st.sampled_from(["relu", "tanh", "sigmoid", "softplus"]))
    tail = draw(st.sampled_from(["square", "margin", "logsumexp", "skip"]))
    return sizes, activation, tail, draw(st.integers(0, 10_000)), draw(st.sampled_from(["mean", "sum"]))


@settings(max_examples=30, deadline=None)
@given(networks())
def test_random_networks_match_the_eager_engine(net):
    sizes, activation, tail, seed, reduction = net
    model, params = mlp(sizes, activation, seed=seed)

    def fn(*args):
        *xs, t = args
        out = model(xs)
        if tail == "square":
            return ag.sum([(o - t) ** 2 for o in out])
        if tail == "margin":
            return (1 - t * out[0]).relu() + 0.01 * ag.sum([p * p for p in params])
        if tail == "logsumexp":
            return ag.logsumexp(out) - out[0] * t
        return (out[-1] + xs[0] * params[0]).tanh() * t  # a skip connection reading an input and a weight

    tape = ag.compile(fn, [0.0] * (sizes[0] + 1), parameters=params, reduction=reduction)
    assert len(tape.layers) == len(sizes) - 1
    check(tape, fn, params, data(sizes[0], 1 + seed % 9, seed=seed), reduction)


def test_held_parameters_also_drive_a_tape_without_layers_and_its_error_path():
    """The interpreter (no layers; or rerunning a failed call) reads the held vector too, not the Values."""
    a, b = Value(0.5), Value(2.0)
    fn = lambda x: (a * x + b).log()  # noqa: E731
    tape = ag.compile(fn, [1.0], parameters=[a, b])
    assert tape.layers == ()
    x = np.array([1.0, 2.0, 3.0])
    with tape.hold_parameters() as held:
        held.vector[:] = [1.0, 1.0]
        loss, grads = tape.value_and_grad(x)
        np.testing.assert_allclose(loss, np.mean(np.log(x + 1.0)), rtol=1e-12)
        np.testing.assert_allclose(grads, [np.mean(x / (x + 1.0)), np.mean(1.0 / (x + 1.0))], rtol=1e-12)
        held.vector[:] = [-1.0, 0.0]  # log of a non-positive number at every sample
        with pytest.raises(ValueError, match="sample 0.*log"):
            tape.value_and_grad(x)
        held.vector[:] = [1.0, 1.0]
    assert (a.data, b.data) == (1.0, 1.0)


def test_a_held_vector_can_be_replaced_by_one_of_its_shape_and_nothing_else():
    model, params = mlp([2, 3, 1], "tanh", seed=4)
    fn = max_margin(model, params, 2)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    batch = data(2, 9, seed=5)
    with tape.hold_parameters() as held:
        start = held.vector.copy()
        loss, grads = tape.value_and_grad(*batch)
        held.vector = held.vector - 0.5 * grads  # rebinding works as well as held.vector -= ...
        moved = held.vector.copy()
        assert tape.value_and_grad(*batch)[0] < loss
        for bad in (np.zeros(len(params) + 1), 0.5, np.zeros((len(params), 1)), np.array(["a"] * len(params))):
            with pytest.raises(ValueError, match=rf"held.vector must be {len(params)} real numbers"):
                held.vector = bad
        with pytest.raises(ValueError, match="held.vector must be finite numbers; got nan at position 2"):
            held.vector = np.where(np.arange(len(params)) == 2, np.nan, moved)
        np.testing.assert_array_equal(held.vector, moved)  # a refused vector changed nothing
        held.vector = [int(v) for v in start * 0]  # ints are numbers: made floats
        assert held.vector.dtype == np.float64
    assert [p.data for p in params] == [0.0] * len(params)

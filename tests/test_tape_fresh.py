"""A lowered layer's backward writes its [dW db] and dA products instead of adding them when nothing has added
to those gradient rows before it in the call (``layer_replay._fresh_rows``); when something has (a skip
connection, a weight used again later, the seeded output), it adds. Either way: the eager engine's gradients."""

from __future__ import annotations

import numpy as np
from test_tape_lowering import check, data, max_margin, mlp

import autograd_lite as ag
from autograd_lite.compiled import layer_replay


def _fresh(tape):
    return layer_replay._fresh_rows(tape._plan.steps, tape._workspace.seed)[0]


def test_a_plain_mlp_writes_every_layer_gradient_and_matches_eager():
    model, params = mlp([2, 6, 5, 1], seed=7)
    fn = max_margin(model, params, 2)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    batch = data(2, 23, seed=8)
    check(tape, fn, params, batch)
    assert _fresh(tape) == {0: (True, True), 1: (True, True), 2: (True, True)}
    check(tape, fn, params, data(2, 23, seed=9))  # a second call: the written rows were zeroed again


def test_a_skip_connection_adds_to_the_hidden_gradient_rows():
    r = np.random.default_rng(12)
    w1 = [[ag.Value(float(v)) for v in r.normal(size=2)] for _ in range(4)]
    b1 = [ag.Value(float(v)) for v in r.normal(size=4)]
    w2 = [ag.Value(float(v)) for v in r.normal(size=4)]
    b2 = ag.Value(0.1)
    ps = [p for w, b in zip(w1, b1) for p in (*w, b)] + [*w2, b2]

    def fn(x1, x2, t):
        h = [(ag.dot(w, [x1, x2]) + b).tanh() for w, b in zip(w1, b1)]
        out = ag.dot(w2, h) + b2
        return (out - t) ** 2 + 0.5 * h[0] * h[1] + ag.sum([p * p for p in ps]) * 1e-3  # h read again: a skip

    tape = ag.compile(fn, [0.0, 0.0, 0.0], parameters=ps)
    batch = data(2, 17, seed=13)
    check(tape, fn, ps, batch)
    # h's gradient rows got the skip's contribution first: added to (a layer left out is added to as well)
    assert _fresh(tape).get(tape.layers[1].index, (False, False))[1] is False
    check(tape, fn, ps, data(2, 17, seed=14))


def test_the_seeded_row_and_rows_written_later_are_never_overwritten():
    model, params = mlp([2, 3, 1], seed=21)
    fn = max_margin(model, params, 2)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    check(tape, fn, params, data(2, 9, seed=22))
    steps = tape._plan.steps
    last, first = tape.layers[-1], tape.layers[0]
    a_row = last.a.start if type(last.a) is slice else int(last.a[0])
    assert layer_replay._fresh_rows(steps, (True, a_row))[0][last.index][1] is False
    w_row = int(first.W.rows.ravel()[0])
    assert layer_replay._fresh_rows(steps, (False, w_row))[0][first.index][0] is False
    assert layer_replay._fresh_rows(steps, None) == ({}, {})


def test_writing_and_adding_give_the_same_numbers(monkeypatch):
    model, params = mlp([2, 8, 8, 1], activation="leaky_relu", seed=31)
    fn = max_margin(model, params, 2)
    batch = data(2, 40, seed=32)
    written = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params).value_and_grad(*batch)
    real = layer_replay._fresh_rows
    monkeypatch.setattr(layer_replay, "_fresh_rows", lambda steps, seed: ({}, real(steps, seed)[1]))
    added = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params).value_and_grad(*batch)
    assert written[0] == added[0]
    np.testing.assert_array_equal(written[1], added[1])


def test_the_rows_left_unzeroed_are_overwritten_every_call():
    """GV filled with NaN before each call (as if a call had failed halfway): the rows a call does not zero are
    written by their layer's backward before anything reads them, so the gradients are still eager's."""
    model, params = mlp([2, 6, 6, 1], seed=41)
    fn = max_margin(model, params, 2)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    batch = data(2, 19, seed=42)
    check(tape, fn, params, batch)
    bufs = tape._workspace.batch(19)
    assert [(s.start, s.stop) for s in bufs.written] == [(tape.layers[1].a.start, tape.layers[1].a.stop),
                                                          (tape.layers[2].a.start, tape.layers[2].a.stop)]
    assert sum(len(rows) for rows in bufs.zeroed) + 12 == len(bufs.GV)  # every other row is zeroed
    want = tape.value_and_grad(*batch)
    bufs.GV.fill(np.nan)
    found = tape._lowered(batch, grad=True)  # the lowered plan itself (None would mean: the interpreter ran)
    assert found is not None and found[0] == want[0]
    np.testing.assert_array_equal(found[1], want[1])
    bufs.GV.fill(np.nan)
    check(tape, fn, params, batch)

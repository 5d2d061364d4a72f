"""Attacks on today's speed paths: ``matvec`` / ``dot`` (one checked fast path, one slow path for numbers and bad
operands), small ints made constants without the slow path, and the compiled tape's written (not added) gradient
rows, np.dot into output buffers, the held vector copied in one assignment and the cached seed / output rows.

The reference is always the eager engine (sample by sample, ``ag.grad``) or plain float arithmetic: random graphs
(an ``nn.MLP`` traced with its hidden activations, then a random elementwise tail of +, -, *, relu, tanh, x * x,
parameters times batch nodes, outputs read twice, the model called twice, aux outputs) over several calls that
alternate batch sizes, hold and release the parameters, change ``p.data`` by hand and poison the buffers with NaN.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_tape_lowering import data, eager, mlp

import autograd_lite as ag
import nn
from autograd_lite import Value, dot, matvec
from autograd_lite.compiled import layer_replay

TOL = 1e-12


# --- matvec / dot: every kind of operand ----------------------------------------------------------------------
class Scaled(Value):
    """A subclass of Value: still a Value (the fast path reads its slot)."""

    __slots__ = ()


class HasData:
    """Not a Value, but has a ``.data`` attribute: must be refused, never read."""

    data = 5.0


def _reference(W, x):
    return [math.fsum(float(w) * float(v) for w, v in zip(row, x)) for row in W]


OPERAND_KINDS = {
    "float": float,
    "int": lambda v: int(v),
    "bool": lambda v: bool(v),
    "np.float64": np.float64,
    "np.int64": lambda v: np.int64(int(v)),
    "np.bool_": lambda v: np.bool_(bool(v)),
    "Value": Value,
    "Value subclass": Scaled,
}


@pytest.mark.parametrize("kind", OPERAND_KINDS)
@pytest.mark.parametrize("where", ["rows", "x"])
def test_matvec_takes_every_real_operand_kind_in_rows_or_x_with_the_right_data_and_gradients(kind, where):
    make = OPERAND_KINDS[kind]
    W_num = [[2.0, -1.0, 0.0], [1.0, 1.0, 3.0]]
    x_num = [3.0, 1.0, -2.0]
    if where == "rows":
        W, x = [[make(w) for w in row] for row in W_num], [Value(v) for v in x_num]
    else:
        W, x = [[Value(w) for w in row] for row in W_num], [make(v) for v in x_num]
    W_eff = [[float(w.data if isinstance(w, Value) else w) for w in row] for row in W]  # what each converts to
    x_eff = [float(v.data if isinstance(v, Value) else v) for v in x]
    out = matvec(W, x)
    assert [v.data for v in out] == _reference(W_eff, x_eff)
    (out[0] * 1.0 + out[1] * 10.0).backward()  # dC/dx_j = W_0j + 10 W_1j, dC/dW_kj = c_k x_j
    values_x = [v for v in x if isinstance(v, Value)]
    values_W = [w for row in W for w in row if isinstance(w, Value)]
    assert len(values_x) + len(values_W) >= 3
    if values_x:
        assert [v.grad for v in values_x] == [W_eff[0][j] + 10.0 * W_eff[1][j] for j in range(3)]
    if values_W:
        assert [w.grad for w in values_W] == [c * xj for c in (1.0, 10.0) for xj in x_eff]


def test_matvec_takes_generators_iterators_and_numpy_arrays_and_reads_x_once():
    w_rows = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]
    x_vals = [Value(3.0), Value(4.0)]
    reads = []

    def x_gen():
        for v in x_vals:
            reads.append(v)
            yield v

    out = matvec((iter(r) for r in w_rows), x_gen())  # generator of iterators, x a generator: read once
    assert [v.data for v in out] == [11.0, -1.0]
    assert len(reads) == 2
    assert [v.data for v in matvec(np.array([[1.0, 2.0], [3.0, 4.0]]), x_vals)] == [11.0, 25.0]
    assert [v.data for v in matvec([x_vals], np.array([0.5, -1.0]))] == [-2.5]
    x_obj = np.array(x_vals, dtype=object)  # an object array of Values is a sequence of Values
    assert [v.data for v in matvec(w_rows, x_obj)] == [11.0, -1.0]


def test_matvec_with_an_operand_used_in_several_places_adds_every_path():
    a, b = Value(3.0), Value(-2.0)
    out = matvec([[a, b], [b, a], [a, a]], [a, b])  # a*a + b*b, b*a + a*b, a*a + a*b
    assert [v.data for v in out] == [13.0, -12.0, 3.0]
    ag.sum(out).backward()  # d/da = 2a + 2b + 2a + b, d/db = 2b + 2a + a
    assert (a.grad, b.grad) == (2 * 3.0 + 2 * -2.0 + 2 * 3.0 + -2.0, 2 * -2.0 + 2 * 3.0 + 3.0)


@pytest.mark.parametrize("bad, where, position", [
    (HasData(), "inputs", 1), ("1.0", "inputs", 1), (None, "inputs", 1), (np.array([1.0, 2.0]), "inputs", 1),
    (1 + 2j, "inputs", 1), (HasData(), "weights", 0), ([Value(1.0)], "weights", 0),
])
def test_matvec_and_dot_refuse_non_numbers_by_position_never_read_their_data(bad, where, position):
    good = [Value(1.0), Value(2.0)]
    if where == "inputs":
        W, x = [good, good], [Value(1.0), bad]
    else:
        W, x = [good, [bad, Value(1.0)]], good
    message = rf"dot \({where}\): item {position} must be a Value or a real number"
    with pytest.raises(TypeError, match=message):
        matvec(W, x)
    with pytest.raises(TypeError, match=message):
        dot(W[-1], x)


def test_matvec_refuses_mismatched_lengths_and_empty_rows_against_a_nonempty_x():
    x = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match="got 1 weights but 2 inputs"):
        matvec([[Value(1.0), Value(1.0)], [Value(1.0)]], x)  # the second row only
    with pytest.raises(ValueError, match="got 0 weights but 2 inputs"):
        matvec([[]], x)
    with pytest.raises(ValueError, match="got 2 weights but 0 inputs"):
        matvec([x], [])
    with pytest.raises(ValueError, match="got 3 weights but 2 inputs"):
        matvec([[1.0, 2.0, 3.0]], [1.0, 2.0])  # the slow path (numbers) checks too
    with pytest.raises(ValueError, match="finite"):
        matvec([x], [float("nan"), 1.0])
    with pytest.raises(ValueError, match="too large for a float"):
        matvec([x], [10**400, 1])


def test_matvec_given_one_flat_row_instead_of_a_list_of_rows_says_so():
    w, x = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]
    with pytest.raises(TypeError, match="matvec"):
        matvec(w, x)

def test_matvec_under_no_grad_computes_without_recording():
    W = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
    x = [Value(1.0), 2]
    with ag.no_grad():
        out = matvec(W, x) + matvec(W, [Value(1.0), Value(2.0)])
    assert [(v.data, v.op, v.inputs) for v in out] == [(5.0, "", ()), (11.0, "", ())] * 2


def test_matvec_while_compile_traces_matches_eager_with_numbers_in_rows_and_x():
    W = [[Value(0.3), Value(-0.2)], [Value(0.7), Value(0.1)]]
    c = Value(1.5)  # a captured non-parameter
    params = [w for row in W for w in row]

    def fn(x, y):
        h = matvec(W, [x, y])  # the fast path (all Values)
        z = matvec([[h[0], 2], [0.5, h[1]]], [x, 1.0])  # numbers in rows and x: the slow path
        return (z[0] * z[1] + c * h[1]).tanh()

    tape = ag.compile(fn, [0.0, 0.0], parameters=params)
    batch = [np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.25, -0.5])]
    loss, grads = tape.value_and_grad(*batch)
    want_loss, want_grads, _ = eager(fn, params, batch)
    np.testing.assert_allclose(loss, want_loss, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(grads, want_grads, rtol=TOL, atol=TOL)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-10, 10), min_size=2, max_size=2), min_size=1, max_size=4),
       st.lists(st.sampled_from(list(OPERAND_KINDS)), min_size=2, max_size=2),
       st.lists(st.floats(-10, 10), min_size=2, max_size=2))
def test_matvec_equals_the_chain_rule_by_hand_for_mixed_operands(W_num, x_kinds, x_num):
    W = [[Value(w) for w in row] for row in W_num]
    x = [OPERAND_KINDS[k](v) for k, v in zip(x_kinds, x_num)]
    x_float = [float(v.data) if isinstance(v, Value) else float(v) for v in x]
    out = matvec(W, x)
    for v, row in zip(out, W_num):
        assert math.isclose(v.data, math.fsum(w * xj for w, xj in zip(row, x_float)), rel_tol=1e-12, abs_tol=1e-12)
    ag.sum([v * (k + 1.0) for k, v in enumerate(out)]).backward()
    for k, row in enumerate(W):
        assert [w.grad for w in row] == [(k + 1.0) * xj for xj in x_float]
    for j, v in enumerate(x):
        if isinstance(v, Value):
            assert math.isclose(v.grad, sum((k + 1.0) * W_num[k][j] for k in range(len(W))), rel_tol=1e-12,
                                abs_tol=1e-12)


# --- ints, bools and -0 as operands of + - * / ---------------------------------------------------------------
BIG = 2**53
INTS = st.one_of(st.integers(-(2**60), 2**60), st.sampled_from(
    [0, 1, -1, BIG - 1, -(BIG - 1), BIG, -BIG, BIG + 1, -(BIG + 1), 2**63, -(2**63), 2**1023, True, False]))
OPS = {
    "+": (lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "-": (lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "*": (lambda a, b: a * b, lambda a, b: (b, a)),
    "/": (lambda a, b: a / b, lambda a, b: (1.0 / b, -a / (b * b))),
}


@settings(max_examples=40, deadline=None)
@given(INTS, st.floats(-1e3, 1e3).filter(lambda v: abs(v) >= 1e-3), st.sampled_from(list(OPS)), st.booleans())
def test_an_int_or_bool_operand_is_exactly_the_float_it_converts_to(n, f, op, int_first):
    forward, partials = OPS[op]
    if op == "/" and int_first is False and n == 0:
        with pytest.raises(ZeroDivisionError, match="division by zero"):
            forward(Value(f), n)
        return
    v = Value(f)
    a, b = (float(n), f) if int_first else (f, float(n))
    try:
        want = forward(a, b)
    except OverflowError:
        return
    if not math.isfinite(want):
        with pytest.raises(OverflowError):
            forward(n, v) if int_first else forward(v, n)
        return
    out = forward(n, v) if int_first else forward(v, n)
    assert out.data == want and math.copysign(1.0, out.data) == math.copysign(1.0, want)  # -0 too
    assert out.inputs[0 if int_first else 1].data == float(n)  # the constant is the int's float
    out.backward()
    want_grad = partials(a, b)[1 if int_first else 0]
    assert math.isclose(v.grad, want_grad, rel_tol=1e-15, abs_tol=0.0)  # the table may write -a/b^2 as -(a/b)/b


@pytest.mark.parametrize("n", [2**1024, -(2**1024), 10**400])
def test_an_int_too_large_for_a_float_is_refused_by_every_operator(n):
    for make in (lambda v: v + n, lambda v: n - v, lambda v: v * n, lambda v: n / v, lambda v: dot([v], [n])):
        with pytest.raises(ValueError, match="too large for a float"):
            make(Value(1.0))


def test_minus_zero_and_bools_keep_float_semantics():
    z = Value(-0.0)
    assert math.copysign(1.0, (z + 0).data) == 1.0  # -0.0 + 0.0 = 0.0
    assert math.copysign(1.0, (z * 1).data) == -1.0  # -0.0 * 1.0 = -0.0
    assert math.copysign(1.0, (0 - z).data) == 1.0
    assert math.copysign(1.0, (z - 0).data) == -1.0
    assert (Value(2.0) * True).data == 2.0 and (True - Value(0.25)).data == 0.75
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / False


# --- compiled tapes on random graphs ---------------------------------------------------------------------------
UNARY = ("relu", "tanh", "sigmoid", "square", "pow2", "neg", "half")
BINARY = ("add", "sub", "mul")


def _apply(name, a, b=None):
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "square":
        return a * a
    if name == "pow2":
        return a ** 2
    if name == "neg":
        return -a
    if name == "half":
        return 0.5 * a
    return getattr(a, name)()


def random_graph(seed):
    """An nn.MLP (matvec layers) read at every layer, then a random elementwise tail; deterministic in ``seed``
    (compile traces twice). Returns fn, the parameter list given to compile, the Values changed between calls,
    n_in and has_aux."""
    r = random.Random(seed)
    n_in = r.randint(1, 3)
    widths = [r.randint(1, 4) for _ in range(r.randint(1, 3))]
    model = nn.MLP(n_in, widths, activation=r.choice(["relu", "tanh", "sigmoid", "linear"]), seed=r.randrange(10**6))
    params = model.parameters()
    extra = Value(r.uniform(-1, 1), label="c")  # captured: a parameter, or read afresh at every call
    order = r.choice(["as built", "reversed", "shuffled", "subset"])
    plist = {"as built": params[:], "reversed": params[::-1]}.get(order)
    if order == "shuffled":
        plist = r.sample(params, len(params))
    elif order == "subset":
        plist = [p for p in params if r.random() < 0.7] or params[:1]
    use_extra = r.random() < 0.5
    if use_extra and r.random() < 0.5:
        plist.append(extra)
    uniform0 = params + ([extra] if use_extra else [])
    program, nb, nu = [], n_in + 1 + sum(widths), len(uniform0)
    reads = [False] * (n_in + 1) + [True] * sum(widths)  # which pool nodes read the model
    for _ in range(r.randint(1, 12)):
        k = r.random()
        if k < 0.25:
            program.append(("unary", r.choice(UNARY), r.randrange(nb)))
            reads.append(reads[program[-1][2]])
            nb += 1
        elif k < 0.55:
            program.append(("binary", r.choice(BINARY), r.randrange(nb), r.randrange(nb)))
            reads.append(reads[program[-1][2]] or reads[program[-1][3]])
            nb += 1
        elif k < 0.7:  # a parameter (or the captured Value) with a batch node, on either side
            program.append(("mixed", r.choice(BINARY), r.randrange(nu), r.randrange(nb), r.random() < 0.5))
            reads.append(reads[program[-1][3]])
            nb += 1
        elif k < 0.8:  # uniform with uniform: a parameter times a parameter
            program.append(("uniform", r.choice(BINARY), r.randrange(nu), r.randrange(nu)))
            nu += 1
        else:  # one op over a run of nodes: a group of several nodes, blocks that may overlap
            start = r.randrange(nb)
            run = [min(start + i, nb - 1) for i in range(r.randint(2, 4))]
            program.append(("map", r.choice(UNARY), run))
            reads.extend(reads[i] for i in run)
            nb += len(run)
    outs = [r.randrange(n_in + 1, nb) for _ in range(r.randint(1, 3))]  # may repeat: an output read twice
    reads_model = any(reads[i] for i in outs)
    uniform_term = r.random() < 0.3
    aux = [r.randrange(nb) for _ in range(r.randint(0, 2))]
    aux_reads_loss = r.random() < 0.3  # an aux output computed from the loss: its rows hold the seed
    if aux_reads_loss and not aux:
        aux = [r.randrange(nb)]
    twice = r.random() < 0.2  # the model called twice: every weight used by two layers

    def fn(*args):
        *xs, t = args
        acts = [a for layer in model.trace(list(xs)).a[1:] for a in layer]
        if twice:
            again = [a for layer in model.trace([x * 0.5 for x in xs]).a[1:] for a in layer]
            acts = [a + b for a, b in zip(acts, again)]
        pool, uniform = [*xs, t, *acts], list(uniform0)
        for step in program:
            if step[0] == "unary":
                pool.append(_apply(step[1], pool[step[2]]))
            elif step[0] == "binary":
                pool.append(_apply(step[1], pool[step[2]], pool[step[3]]))
            elif step[0] == "mixed":
                u, b = uniform[step[2]], pool[step[3]]
                pool.append(_apply(step[1], u, b) if step[4] else _apply(step[1], b, u))
            elif step[0] == "uniform":
                uniform.append(_apply(step[1], uniform[step[2]], uniform[step[3]]))
            else:
                pool.extend(_apply(step[1], pool[i]) for i in step[2])
        loss = pool[outs[0]]
        for i in outs[1:]:
            loss = loss + pool[i]
        if not reads_model:  # every loss reads the model (then it has layers: the lowered plan runs)
            loss = loss + acts[-1]
        if uniform_term:
            loss = loss + uniform[-1] * uniform[0]
        if aux_reads_loss:
            return loss, [loss * pool[aux[0]], *(pool[i] for i in aux[1:]), loss.tanh()]
        return (loss, [pool[i] for i in aux]) if aux else loss

    return fn, plist, [*params, extra], n_in, bool(aux)


def _poison(tape):
    ws = tape._workspace
    if ws is None:
        return
    ws.GU.fill(np.nan)
    for bufs in ws.batches.values():
        bufs.GV.fill(np.nan)
        for Z in bufs.Z:
            if Z is not None:
                Z.fill(np.nan)


def _check_call(tape, fn, plist, batch, reduction, has_aux):
    got, grads = tape.value_and_grad(*batch)
    forward = tape(*batch)
    loss_fn = (lambda *a: fn(*a)[0]) if has_aux else fn
    want_loss, want_grads, want_outs = eager(loss_fn, plist, batch, reduction)
    np.testing.assert_allclose(got[0] if has_aux else got, want_loss, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(grads, want_grads, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(forward[0] if has_aux else forward, want_outs, rtol=TOL, atol=TOL)
    if has_aux:
        want_aux = [[v.data for v in fn(*[Value(float(c[b])) for c in batch])[1]] for b in range(len(batch[0]))]
        np.testing.assert_allclose(got[1], want_aux, rtol=TOL, atol=TOL)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["mean", "sum"]))
def test_random_graphs_match_eager_over_calls_batch_sizes_holds_and_hand_edits(seed, reduction):
    fn, plist, changed, n_in, has_aux = random_graph(seed)
    tape = ag.compile(fn, [0.0] * (n_in + 1), parameters=plist, reduction=reduction, has_aux=has_aux)
    assert tape.layers  # every graph has an MLP: the lowered plan (layer_replay) runs
    for call, B in enumerate([3, 1, 3, 6, 1, 6, 2, 5, 4, 3]):  # 6 sizes: more than the 4 kept buffers
        if call in (2, 7):  # micrograd's loop: p.data changed by hand between calls
            for p in changed:
                p.data = p.data * 0.9 + 0.01
        _poison(tape)  # a row added to instead of written, or left unzeroed, would show as NaN
        batch = data(n_in, B, seed=seed + call)
        if call in (3, 4, 5):
            with tape.hold_parameters():
                _check_call(tape, fn, plist, batch, reduction, has_aux)
        else:
            _check_call(tape, fn, plist, batch, reduction, has_aux)


@pytest.mark.parametrize("seed", range(12))
def test_written_targets_give_the_same_numbers_as_added_ones(seed, monkeypatch):
    """The same graphs with every elementwise target added to (no fresh targets from _fresh_rows): bit for bit the same value
    (== compares -0.0 and 0.0 equal: test_a_zero_gradient_is_plus_zero... checks the sign)."""
    fn, plist, _, n_in, has_aux = random_graph(seed * 7919)
    batch = data(n_in, 7, seed=seed)
    written = ag.compile(fn, [0.0] * (n_in + 1), parameters=plist, has_aux=has_aux)
    got = written.value_and_grad(*batch)
    real = layer_replay._fresh_rows
    monkeypatch.setattr(layer_replay, "_fresh_rows", lambda steps, seed: (real(steps, seed)[0], {}))
    added = ag.compile(fn, [0.0] * (n_in + 1), parameters=plist, has_aux=has_aux).value_and_grad(*batch)
    np.testing.assert_array_equal(got[1], added[1])
    assert (got[0][0] == added[0][0]) if has_aux else (got[0] == added[0])


def test_some_random_graphs_do_write_targets_so_the_tests_above_reach_that_code():
    written = 0
    for seed in range(30):
        fn, plist, _, n_in, has_aux = random_graph(seed)
        tape = ag.compile(fn, [0.0] * (n_in + 1), parameters=plist, has_aux=has_aux)
        tape.value_and_grad(*data(n_in, 3))
        fresh = layer_replay._fresh_rows(tape._plan.steps, tape._workspace.seed)[1]
        written += any(any(flags) for flags in fresh.values())
    assert written >= 5


def _parameter_times_parameter_graph():
    """Two uniform products p_i * q_i (one elementwise group of uniform nodes, parameters in adjacent rows)
    whose gradient g is 0.0 (relu is off for every sample), next to a lowered layer."""
    w, b = [Value(0.5), Value(-0.25)], Value(0.1)
    p1, p2, q1, q2 = Value(2.0), Value(1.5), Value(-3.0), Value(-0.5)
    params = [*w, b, p1, p2, q1, q2]

    def fn(x, y):
        return (dot(w, [x, y]) + b).tanh() + ((p1 * q1 + p2 * q2) * x).relu()

    return fn, params


def test_a_zero_gradient_is_plus_zero_as_in_eager_and_the_interpreter():
    fn, params = _parameter_times_parameter_graph()
    batch = [np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, 0.2])]
    tape = ag.compile(fn, [0.0, 0.0], parameters=params)
    assert tape.layers
    _, grads = tape.value_and_grad(*batch)
    _, want, _ = eager(fn, params, batch)
    np.testing.assert_allclose(grads, want, rtol=1e-12, atol=0)  # the numbers ...
    assert np.signbit(want).tolist() == [False] * 7
    assert np.signbit(grads).tolist() == np.signbit(want).tolist()  # ... and in sign (a written -0.0 used to stay)


# --- the held vector: one assignment when it covers every number read, else p.data for the others -------------
def test_held_vector_is_the_truth_for_parameters_and_captured_values_are_read_afresh(monkeypatch):
    model, params = mlp([2, 4, 1], "tanh", seed=3)
    c = Value(0.5)  # captured, not a parameter: read from c.data at every call, also while held

    def fn(x, y, t):
        return (model([x, y])[0] * c - t) ** 2

    tape = ag.compile(fn, [0.0, 0.0, 0.0], parameters=params)
    batch = data(2, 6, seed=4)
    with tape.hold_parameters() as held:
        calls = []
        original = tape._fill_read
        monkeypatch.setattr(tape, "_fill_read", lambda U: (calls.append(1), original(U)))
        held.vector *= 1.0
        _check_call(tape, fn, params, batch, "mean", False)
        assert calls  # a captured non-parameter: the per-Value path (it reads c.data)
        c.data = -2.0  # not a parameter: changed while held, seen at the next call
        _check_call(tape, fn, params, batch, "mean", False)
    plain = ag.compile(fn, [0.0, 0.0, 0.0], parameters=[*params, c])
    with plain.hold_parameters() as held:
        held.vector[-1] = 3.0  # the vector, not c.data, is the truth while held
        loss, grads = plain.value_and_grad(*batch)
        c_data = c.data
        c.data = 3.0
        want_loss, want_grads, _ = eager(fn, [*params, c], batch)
        c.data = c_data
        np.testing.assert_allclose(loss, want_loss, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(grads, want_grads, rtol=TOL, atol=TOL)
    assert c.data == 3.0  # written back at the end of the block


def test_held_vector_rebound_to_a_new_array_of_the_right_shape_is_used():
    model, params = mlp([2, 3, 1], "relu", seed=8)
    fn = lambda x, y, t: (model([x, y])[0] - t) ** 2  # noqa: E731
    tape = ag.compile(fn, [0.0, 0.0, 0.0], parameters=params)
    batch = data(2, 5, seed=9)
    new = np.array([p.data for p in params]) * 0.5
    with tape.hold_parameters() as held:
        held.vector = new.copy()  # rebinding (not in place): the tape reads held.vector at every call
        loss, grads = tape.value_and_grad(*batch)
    for p, x in zip(params, new.tolist()):
        assert p.data == x
    want_loss, want_grads, _ = eager(fn, params, batch)
    np.testing.assert_allclose(loss, want_loss, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(grads, want_grads, rtol=TOL, atol=TOL)


# --- nn.Layer now builds its neurons' z with matvec -------------------------------------------------------------
def test_nn_layer_z_is_w_dot_a_plus_b_per_neuron_with_its_labels_and_gradients():
    layer = nn.Layer(3, 2, activation="linear", seed=5)
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    z = layer.linear(x)
    for k, neuron in enumerate(layer.neurons):
        assert z[k].op == "add" and z[k].inputs[0].op == "dot" and z[k].inputs[1] is neuron.b
        assert z[k].data == math.fsum(w.data * v.data for w, v in zip(neuron.w, x)) + neuron.b.data
        assert (z[k].label, z[k].inputs[0].label) == (neuron.z_name, neuron.sum_name)
    ag.sum(z).backward()
    assert [v.grad for v in x] == [math.fsum(n.w[j].data for n in layer.neurons) for j in range(3)]
    assert [w.grad for n in layer.neurons for w in n.w] == [v.data for v in x] * 2


def test_a_layer_of_neurons_with_their_own_linear_uses_it():
    class Doubled(nn.Neuron):
        def linear(self, x):
            return dot(self.w, x) * 2.0 + self.b

    layer = nn.Layer(2, 1, activation="linear", seed=0)
    layer.neurons = [Doubled(2, activation="linear", seed=0)]
    out = layer([1.0, 1.0])
    out = out[0] if isinstance(out, list) else out
    assert out.data == layer.neurons[0]([1.0, 1.0]).data


# --- weights used twice: in two neurons of one layer, twice in one neuron, in two layers; parameters listed twice
def test_weights_used_twice_match_eager_and_a_parameter_listed_twice_is_refused():
    r = random.Random(5)
    shared = Value(0.4)
    W1 = [[shared, Value(r.uniform(-1, 1))], [Value(r.uniform(-1, 1)), shared]]  # one weight in two neurons
    b1 = [Value(0.1), Value(-0.2)]
    W2 = [[Value(0.7), Value(0.7)]]
    W2[0][1] = W2[0][0]  # the same Value twice in one neuron
    W3 = W1  # and a whole layer used again
    W0 = [[Value(r.uniform(-1, 1)) for _ in range(2)] for _ in range(2)]  # a plain layer: lowered
    params = [*(w for row in W0 for w in row), shared, W1[0][1], W1[1][0], *b1, W2[0][0]]

    def fn(x, y, t):
        x, y = (v.tanh() for v in matvec(W0, [x, y]))
        h = [(z + b).tanh() for z, b in zip(matvec(W1, [x, y]), b1)]
        h2 = [v.relu() for v in matvec(W3, h)]
        out = matvec(W2, h2)[0] + matvec(W2, h)[0]
        return (out - t) * (out - t) + shared * t

    with pytest.raises(ValueError, match="appears twice"):
        ag.compile(fn, [0.0, 0.0, 0.0], parameters=[*params, shared])
    tape = ag.compile(fn, [0.0, 0.0, 0.0], parameters=params, reduction="sum")
    assert tape.layers
    for call, B in enumerate([4, 1, 4, 9]):
        _poison(tape)
        batch = data(2, B, seed=call)
        if call == 2:
            shared.data = -0.3
        _check_call(tape, fn, params, batch, "sum", False)

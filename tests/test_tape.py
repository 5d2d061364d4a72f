"""The compiled tape against the eager engine: same losses and gradients to 1e-12, same refusals and errors."""

from __future__ import annotations

import doctest
import math
import random

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import OPS, TraceError, Value
from autograd_lite.compiled import tape as tape_module

RTOL = ATOL = 1e-12


def eager(fn, params, batch, reduction="mean"):
    """The reference: run ``fn`` sample by sample with the engine, reduce, differentiate with ag.grad."""
    outs = [fn(*[Value(float(col[b])) for col in batch]) for b in range(len(batch[0]))]
    total = ag.sum(outs) * (1.0 / len(outs) if reduction == "mean" else 1.0)
    grads = ag.grad(total, params) if params else ()
    return total.data, np.array([g.data for g in grads]), np.array([o.data for o in outs])


def assert_same_as_eager(fn, params, batch, example=None, reduction="mean"):
    tape = ag.compile(fn, example or [float(col[0]) for col in batch], parameters=params, reduction=reduction)
    loss, grads = tape.value_and_grad(*batch)
    want_loss, want_grads, want_outs = eager(fn, params, batch, reduction)
    np.testing.assert_allclose(tape(*batch), want_outs, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(loss, want_loss, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads, want_grads, rtol=RTOL, atol=ATOL)
    return tape


# --- every op of the table -------------------------------------------------------------------
def _apply(name: str, args: list[Value]) -> Value:
    """Call op ``name`` through the engine's public API (operators, methods, n-ary helpers)."""
    a = args[0]
    calls = {
        "add": lambda: a + args[1], "sub": lambda: a - args[1], "mul": lambda: a * args[1],
        "div": lambda: a / args[1], "neg": lambda: -a, "pow": lambda: a ** 3, "powv": lambda: a ** args[1],
        "abs": lambda: abs(a), "leaky_relu": lambda: a.leaky_relu(0.1), "elu": lambda: a.elu(0.7),
        "sum": lambda: ag.sum(args), "dot": lambda: ag.dot(args[:2], args[2:4]),
        "logsumexp": lambda: ag.logsumexp(args),
    }
    return calls[name]() if name in calls else getattr(a, name)()


ARITY = {"sum": 4, "dot": 4, "logsumexp": 4}
POSITIVE_ONLY = {"log", "sqrt", "powv"}  # operand 0 must be > 0 (powv: fractional exponents)
NONZERO_SECOND = {"div"}


def _samples(name: str, rng: np.random.Generator, n: int, position: int) -> np.ndarray:
    x = rng.uniform(-2.0, 2.0, n)
    if name in POSITIVE_ONLY and position == 0:
        x = np.abs(x) + 0.1
    if name in NONZERO_SECOND and position == 1:
        x = np.sign(x) * (np.abs(x) + 0.2)
    x[0] = 0.3 if name not in {"relu", "leaky_relu", "elu", "abs"} else 0.0  # 0: the kink, derivative 0 by convention
    return x


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("which", ["inputs", "parameters", "mixed"])
def test_every_op_matches_the_eager_engine(name, which):
    """Every op, with its operands as batch inputs, as parameters, or one of each."""
    rng = np.random.default_rng(sorted(OPS).index(name))
    n_args = ARITY.get(name, OPS[name].arity)
    batch_positions = {"inputs": range(n_args), "parameters": [], "mixed": range(0, n_args, 2)}[which]
    columns = [_samples(name, rng, 7, i) for i in range(n_args)]
    params = [Value(float(columns[i][3]), label=f"p{i}") for i in range(n_args) if i not in batch_positions]
    batch = [columns[i] for i in batch_positions] or [np.zeros(7)]

    def fn(*xs):
        it, ps = iter(xs), iter(params)
        args = [next(it) if i in batch_positions else next(ps) for i in range(n_args)]
        out = _apply(name, args)
        return out if batch_positions else out * (xs[0] * 0.0 + 1.0)  # depend on the (dummy) input all the same

    tape = assert_same_as_eager(fn, params, batch)
    assert name in {ins.op for ins in tape.instructions}


# --- random graphs ---------------------------------------------------------------------------
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

SAFE_UNARY = {  # in-domain and bounded for any finite input, each an op of the table
    "tanh": lambda u: u.tanh(), "sigmoid": lambda u: u.sigmoid(), "relu": lambda u: u.relu(),
    "sin": lambda u: u.sin(), "cos": lambda u: u.cos(), "abs": lambda u: abs(u), "neg": lambda u: -u,
    "softplus": lambda u: u.tanh().softplus(), "exp": lambda u: u.tanh().exp(),
    "log": lambda u: (u * u + 0.5).log(), "sqrt": lambda u: (u * u + 0.1).sqrt(),
    "cube": lambda u: u.tanh() ** 3, "leaky_relu": lambda u: u.leaky_relu(0.2), "elu": lambda u: u.tanh().elu(0.5),
}
SAFE_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a.tanh() * b,
    "div": lambda a, b: a / (b * b + 1.0), "powv": lambda a, b: (a.sigmoid() + 0.5) ** b.tanh(),
}
SAFE_NARY = {"sum": ag.sum, "logsumexp": ag.logsumexp,
             "dot": lambda vs: ag.dot(vs[: len(vs) // 2], vs[len(vs) // 2: 2 * (len(vs) // 2)])}


@st.composite
def programs(draw):
    """A random expression DAG: each step applies an op to earlier nodes (so subexpressions are shared)."""
    steps = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "nary"]))
        pool = 4 + i  # 2 inputs + 2 parameters, then one node per step
        if kind == "unary":
            steps.append((kind, draw(st.sampled_from(sorted(SAFE_UNARY))), [draw(st.integers(0, pool - 1))]))
        elif kind == "binary":
            steps.append((kind, draw(st.sampled_from(sorted(SAFE_BINARY))),
                          draw(st.lists(st.integers(0, pool - 1), min_size=2, max_size=2))))
        else:
            steps.append((kind, draw(st.sampled_from(sorted(SAFE_NARY))),
                          draw(st.lists(st.integers(0, pool - 1), min_size=2, max_size=6))))
    return steps


def run_program(steps, nodes):
    nodes = list(nodes)
    for kind, name, args in steps:
        table = {"unary": SAFE_UNARY, "binary": SAFE_BINARY, "nary": SAFE_NARY}[kind]
        operands = [nodes[i] for i in args]
        nodes.append(table[name](*operands) if kind != "nary" else table[name](operands))
    return nodes[-1] + nodes[0] * nodes[2]  # always depends on an input and a parameter


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(programs(), st.lists(st.floats(-2, 2), min_size=10, max_size=10),
                  st.sampled_from(["mean", "sum"]))
def test_random_graphs_match_the_eager_engine(steps, values, reduction):
    params = [Value(values[0]), Value(values[1])]
    batch = [np.array(values[2:6]), np.array(values[6:10])]
    assert_same_as_eager(lambda x, y: run_program(steps, [x, y, *params]), params, batch, reduction=reduction)


# --- the nn package's MLP losses -------------------------------------------------------------
nn = pytest.importorskip("nn")


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "softplus"])
def test_mlp_max_margin_loss_with_l2_matches(activation):
    """micrograd's demo loss (max-margin + L2) on an nn.MLP, per sample."""
    model = nn.MLP(2, [8, 8, 1], activation=activation, seed=3)
    params = model.parameters()
    X, y = nn.datasets.make_moons(40, noise=0.1, seed=0)

    def loss(x1, x2, t):
        return (1 - t * model([x1, x2])).relu() + 1e-4 * sum(p * p for p in model.parameters())

    assert_same_as_eager(loss, params, [X[:, 0], X[:, 1], 2.0 * y - 1.0])


def test_mlp_softmax_cross_entropy_and_sigmoid_losses_match():
    X, y = nn.datasets.make_blobs(30, centers=3, seed=1)
    model = nn.MLP(2, [6, 3], activation="tanh", seed=0)
    onehot = np.eye(3)[y]

    def cross_entropy(x1, x2, t0, t1, t2):  # logsumexp(z) - z_class, with the class as a one-hot input
        z = model([x1, x2])
        return ag.logsumexp(z) - ag.dot([t0, t1, t2], z)

    assert_same_as_eager(cross_entropy, model.parameters(), [X[:, 0], X[:, 1], *onehot.T])

    binary = nn.MLP(2, [5, 1], activation="elu", seed=2)

    def bce_with_logits(x1, x2, t):  # softplus(x) - t x
        s = binary([x1, x2])
        return s.softplus() - t * s

    def mse(x1, x2, t):
        return (binary([x1, x2]).sigmoid() - t) ** 2

    for fn in (bce_with_logits, mse):
        assert_same_as_eager(fn, binary.parameters(), [X[:, 0], X[:, 1], (y == 1).astype(float)])


def test_builtin_sum_chains_become_one_sum_op_with_identical_values():
    model = nn.MLP(2, [4, 1], seed=0)
    params = model.parameters()
    tape = ag.compile(lambda x1, x2: sum(p * p for p in params) + x1 * x2, [0.0, 0.0], parameters=params)
    ops = [ins for ins in tape.instructions if ins.op]
    assert [ins.op for ins in ops].count("add") == 0  # 0 + p1^2 + ... + p17^2 + x1 x2: 18 adds, one sum of 19 terms
    (total,) = [ins for ins in ops if ins.op == "sum"]
    assert len(total.inputs) == 2 + len(params)
    loss, _ = tape.value_and_grad(np.zeros(3), np.zeros(3))
    assert loss == sum(p * p for p in params).data  # same order of additions: bit for bit


# --- the API ---------------------------------------------------------------------------------
def test_backward_accumulates_into_grad_and_value_and_grad_does_not():
    w, b = Value(1.5), Value(-0.5)
    tape = ag.compile(lambda x: (w * x + b).tanh(), [0.0], parameters=[w, b])
    x = np.array([0.1, -0.4, 2.0])
    loss, grads = tape.value_and_grad(x)
    assert w.grad == 0.0 and b.grad == 0.0
    assert tape.backward(x) == loss
    tape.backward(x)
    np.testing.assert_allclose([w.grad, b.grad], 2 * grads, rtol=1e-15)


def test_parameters_and_captured_values_are_read_at_every_call():
    w, scale = Value(2.0), Value(10.0)
    tape = ag.compile(lambda x: w * x * scale + 1.0, [1.0], parameters=[w])
    assert tape(np.array([1.0])).tolist() == [21.0]
    w.data, scale.data = 3.0, 100.0  # an optimizer step; a captured constant changed by the user
    assert tape(np.array([1.0])).tolist() == [301.0]
    assert tape.value_and_grad(np.array([1.0, 2.0]))[1].tolist() == [150.0]  # mean of x * scale


def test_default_parameters_are_every_captured_value_in_order_met():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    tape = ag.compile(lambda x: a * x + b, [0.0])
    assert tape.parameters == (a, b)


def test_reduction_sum_and_mean_and_per_sample_outputs():
    w = Value(2.0)
    x = np.array([1.0, 2.0, 3.0])
    mean = ag.compile(lambda x: w * x * x, [0.0], parameters=[w])
    total = ag.compile(lambda x: w * x * x, [0.0], parameters=[w], reduction="sum")
    assert mean(x).tolist() == [2.0, 8.0, 18.0]
    assert mean.value_and_grad(x)[0] == pytest.approx(28 / 3) and total.value_and_grad(x)[0] == 28.0
    assert total.value_and_grad(x)[1].tolist() == [14.0]


def test_an_output_that_does_not_depend_on_the_batch():
    w = Value(3.0)
    tape = ag.compile(lambda x: w * w, [0.0], parameters=[w], reduction="sum")
    loss, grads = tape.value_and_grad(np.ones(4))
    assert loss == 36.0 and grads.tolist() == [24.0]  # summed over 4 identical samples
    assert tape(np.ones(2)).tolist() == [9.0, 9.0]


def test_numbers_broadcast_across_the_batch_and_repr():
    w = Value(2.0)
    tape = ag.compile(lambda x, t: (w * x - t) ** 2, [0.0, 0.0], parameters=[w])
    assert tape(np.array([1.0, 2.0]), 1.0).tolist() == [1.0, 9.0]
    assert "2 inputs, 1 parameters" in repr(tape) and len(tape) == 3


def test_docstring_examples_run():
    for module in (tape_module, ag.array_math):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


# --- refusing data-dependent graphs ----------------------------------------------------------
def _branchy(x):
    return x * 2.0 if x > 0 else -x


def _uses_max(x):
    return max(x, x * x)


def _uses_float(x):
    return x * math.tanh(float(x))


def _uses_data_in_if(x):
    return x.tanh() if x.data > 0 else x.sigmoid()


def _uses_detach(x):
    return x * x.detach()


def _uses_item(x):
    return x * x.item()


@pytest.mark.parametrize("fn", [_branchy, _uses_max, _uses_float, _uses_data_in_if, _uses_detach, _uses_item])
def test_data_dependent_python_control_flow_is_refused(fn):
    with pytest.raises(TraceError, match=fn.__name__) as info:
        ag.compile(fn, [0.7])
    assert "eagerly" in str(info.value)


def test_parameter_dependent_branches_are_refused_too():
    w = Value(0.5)
    with pytest.raises(TraceError, match="depends on the"):
        ag.compile(lambda x: x * w if w > 0 else x, [1.0], parameters=[w])
    with pytest.raises(TraceError):
        ag.compile(lambda x: x * (2.0 if w.data > 0 else 3.0), [1.0], parameters=[w])
    assert w.data == 0.5  # restored after the trace that made it unknown


def test_branch_free_ops_and_constant_comparisons_are_fine():
    c = random.Random(0).random()
    tape = ag.compile(lambda x: abs(x).relu() + x.leaky_relu() + (Value(c) if Value(c) > 0.5 else Value(-c)), [0.2])
    assert tape(np.array([-1.0])).shape == (1,)


# --- bad input and domain errors -------------------------------------------------------------
def test_domain_error_names_the_op_the_sample_and_the_label():
    a = Value(1.0, label="shift")
    tape = ag.compile(lambda x: (x * a).log() + x.log(), [1.0], parameters=[a])
    with pytest.raises(ValueError) as info:
        tape.value_and_grad(np.array([1.0, 2.0, -3.0, 0.5]))
    message = str(info.value)
    for word in ("sample 2", "log", "-3.0", "input 0", "positive", "<lambda> (compiled)"):
        assert word in message, (word, message)


def test_overflow_in_plain_arithmetic_and_in_backward_is_an_error_not_inf():
    w = Value(1e200)
    tape = ag.compile(lambda x: w * x, [1.0], parameters=[w])
    with pytest.raises(OverflowError, match="sample 1.*mul"):
        tape(np.array([1.0, 1e200]))
    root = ag.compile(lambda x: x.sqrt(), [1.0])
    with pytest.raises(ZeroDivisionError, match="backward.*sqrt"):
        root.value_and_grad(np.array([4.0, 0.0]))


@pytest.mark.parametrize("args, error, words", [
    ((np.ones(3),), TypeError, "takes 2 inputs, got 1"),
    ((np.ones(3), np.ones(4)), ValueError, "different batch sizes"),
    ((np.ones((3, 2)), np.ones(3)), ValueError, "shape"),
    ((np.array([1.0, np.nan, 2.0]), np.ones(3)), ValueError, "non-finite"),
    ((np.array(["a", "b"]), np.ones(2)), TypeError, "input 0"),
    ((np.ones(0), np.ones(0)), ValueError, "empty"),
])
def test_bad_batches_are_refused_clearly(args, error, words):
    tape = ag.compile(lambda x, y: x * y, [1.0, 1.0])
    with pytest.raises(error, match=words):
        tape(*args)


def test_bad_compile_arguments_are_refused_clearly():
    w = Value(1.0)
    with pytest.raises(TypeError, match="callable"):
        ag.compile(3, [1.0])
    with pytest.raises(TypeError, match="must return a Value"):
        ag.compile(lambda x: 3.0, [1.0])
    with pytest.raises(TypeError, match="example_inputs"):
        ag.compile(lambda x: x, 1.0)
    with pytest.raises(TypeError, match=r"example_inputs\[0\]"):
        ag.compile(lambda x: x, ["a"])
    with pytest.raises(ValueError, match="reduction"):
        ag.compile(lambda x: x, [1.0], reduction="max")
    with pytest.raises(ValueError, match="twice"):
        ag.compile(lambda x: x * w, [1.0], parameters=[w, w])
    with pytest.raises(ValueError, match="not a leaf"):
        ag.compile(lambda x: x * w, [1.0], parameters=[w * 2])
    with pytest.raises(RuntimeError, match="no_grad"), ag.no_grad():
        ag.compile(lambda x: x * w, [1.0])


# --- auxiliary outputs -----------------------------------------------------------------------
def test_has_aux_returns_the_model_outputs_per_sample():
    model = nn.MLP(2, [5, 3], activation="tanh", output_activation="softmax", seed=4)
    X, y = nn.datasets.make_blobs(12, centers=3, seed=2)
    onehot = np.eye(3)[y]

    def loss(x1, x2, t0, t1, t2):
        p = model([x1, x2])
        return -ag.dot([t0, t1, t2], [q.log() for q in p]), p

    tape = ag.compile(loss, [0.0, 0.0, 1.0, 0.0, 0.0], parameters=model.parameters(), has_aux=True)
    (value, probabilities), grads = tape.value_and_grad(X[:, 0], X[:, 1], *onehot.T)
    want = np.array([[v.data for v in model(list(row))] for row in X.tolist()])
    np.testing.assert_allclose(probabilities, want, rtol=1e-13)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-13)
    assert probabilities.shape == (12, 3) and grads.shape == (len(model.parameters()),)
    outputs, again = tape(X[:, 0], X[:, 1], *onehot.T)
    assert outputs.shape == (12,) and np.array_equal(again, probabilities)
    assert value == pytest.approx(outputs.mean(), rel=1e-14)


def test_an_aux_output_is_never_fused_into_a_sum():
    w = Value(0.5)
    tape = ag.compile(lambda x: ((x + w) + 1.0, x + w), [0.0], parameters=[w], has_aux=True)
    (loss, aux), grads = tape.value_and_grad(np.array([1.0, 3.0]))
    assert aux.tolist() == [1.5, 3.5] and loss == 3.5 and grads.tolist() == [1.0]


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match=r"pair \(loss, aux\)"):
        ag.compile(lambda x: x * 2, [1.0], has_aux=True)
    with pytest.raises(TypeError, match=r"aux\[1\] must be a Value"):
        ag.compile(lambda x: (x, [x, 2.0]), [1.0], has_aux=True)


def test_a_left_add_chain_fuses_into_one_sum_and_a_right_one_keeps_its_order():
    ws = [Value(0.001 * i) for i in range(3000)]
    left = ag.compile(lambda x: sum(w * x for w in ws), [1.0], parameters=ws)  # ((0 + w1 x) + w2 x) + ...
    right = Value(0.0)
    for w in reversed(ws):
        right = w + right  # w1 + (w2 + (... + 0)), built outside: a captured Value
    tape = ag.compile(lambda x: x * right + ws[0] * x, [1.0])
    assert [ins.op for ins in left.instructions if ins.op].count("sum") == 1
    loss, grads = left.value_and_grad(np.array([2.0]))
    assert loss == pytest.approx(2.0 * sum(0.001 * i for i in range(3000)), rel=1e-12)
    eager = ag.sum([w * 2.0 for w in ws])
    assert loss == eager.data  # the same additions in the same order
    np.testing.assert_allclose(grads, [2.0] * 3000)
    # w1 + (w2 + ...) is not ((w1 + w2) + ...) in floats: the tape adds in the eager engine's order, exactly
    assert [ins.op for ins in tape.instructions if ins.op].count("add") == 3001
    assert tape(np.array([1.0]))[0] == right.data + ws[0].data


def test_a_steps_memory_grows_linearly_with_the_batch():
    """Peak traced memory of value_and_grad: the same number of bytes per extra sample at every size."""
    import tracemalloc

    model = nn.MLP(2, [8, 1], seed=0)
    tape = ag.compile(lambda a, b, t: (1 - t * model([a, b])).relu(), [0.0, 0.0, 1.0], parameters=model.parameters())

    def peak(B):  # the first call at this size: its buffers are allocated (and counted), then reused
        batch = [np.linspace(-1, 1, B), np.linspace(1, -1, B), np.ones(B)]
        tracemalloc.start()
        tape.value_and_grad(*batch)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    tape.value_and_grad(np.zeros(3), np.zeros(3), np.ones(3))  # code paths warmed up once
    sizes = [10000, 20000, 40000]  # above numpy's 8192-element ufunc buffer, whose use changes the peak below it
    peaks = [peak(B) for B in sizes]
    per_sample = [(peaks[i + 1] - peaks[i]) / (sizes[i + 1] - sizes[i]) for i in range(2)]
    assert per_sample[1] == pytest.approx(per_sample[0], rel=0.05)
    assert 100 < per_sample[0] < 10_000  # bytes per sample: a few rows of float64 per node, not more

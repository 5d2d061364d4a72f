"""explain() gives exactly backward()'s gradients and exactly its errors, on any graph and at the edges of floats.

The explanation is a view of backward, so it must never show a number backward would not produce: not an
``inf`` where backward refuses with OverflowError (log at 5e-324), not a ``nan`` where backward skips a node
whose upstream gradient is 0 (0 * log(x)). Random graphs mix every op, hand-made (micrograd) nodes, a user
op and leaves at the extremes (subnormals, 1e-200, 1e300, 0, -0), so a new way to disagree shows up here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value, explain, topological_order
from autograd_lite.cli.commands import main
from autograd_lite.core.handwritten import is_hand_written

MATH = (ValueError, ZeroDivisionError, OverflowError)


def hand_tanh(a: Value) -> Value:
    """micrograd's lecture tanh: the derivative lives in a closure."""
    t = math.tanh(a.data)
    out = Value(t, (a,), "tanh")

    def _backward() -> None:
        a.grad += (1 - t ** 2) * out.grad
    out._backward = _backward
    return out


def hand_mul(a: Value, b: Value) -> Value:
    """A closure whose arithmetic order differs from local * upstream: (b * upstream) vs (b * 1.0) * upstream."""
    out = Value(a.data * b.data, (a, b), "*")

    def _backward() -> None:
        a.grad += b.data * out.grad * 3.0 / 3.0
        b.grad += a.data * out.grad * 3.0 / 3.0
    out._backward = _backward
    return out


swish = ag.define_op("teaching_test_swish", lambda m, u: u * m.sigmoid(u),
                     lambda m, u, y: m.sigmoid(u) + y * (1 - m.sigmoid(u)))

# every op, with no guard on the domain: what the forward refuses is simply not added to the graph
OPS: dict[str, tuple[int, Callable[..., Value]]] = {
    "add": (2, lambda a, b: a + b), "sub": (2, lambda a, b: a - b), "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / b), "rdiv": (1, lambda a: 1 / a), "neg": (1, lambda a: -a),
    "zero_times": (1, lambda a: 0 * a), "square": (1, lambda a: a ** 2), "cube": (1, lambda a: a ** 3),
    "inverse": (1, lambda a: a ** -1), "root": (1, lambda a: a ** 0.5), "pow0": (1, lambda a: a ** 0),
    "powv": (2, lambda a, b: a ** b), "exp": (1, Value.exp), "log": (1, Value.log), "sqrt": (1, Value.sqrt),
    "tanh": (1, Value.tanh), "sigmoid": (1, Value.sigmoid), "softplus": (1, Value.softplus),
    "relu": (1, Value.relu), "abs": (1, abs), "leaky_relu": (1, lambda a: a.leaky_relu(0.1)),
    "elu": (1, lambda a: a.elu(0.5)), "sin": (1, Value.sin), "cos": (1, Value.cos),
    "sum": (3, lambda a, b, c: ag.sum([a, b, c])), "dot": (4, lambda a, b, c, d: ag.dot([a, b], [c, d])),
    "logsumexp": (3, lambda a, b, c: ag.logsumexp([a, b, c])),
    "hand_tanh": (1, hand_tanh), "hand_mul": (2, hand_mul), "swish": (1, swish),
}

EDGES = [5e-324, -5e-324, 1e-320, 2.2250738585072014e-308, 1e-200, 1e-160, 1e-100, 0.0, -0.0, 1.0, -1.0, 0.5,
         709.0, 710.0, -745.0, 1e100, 1e154, 1e200, 1e300, -1e300, 1.7976931348623157e308]
leaf_values = st.one_of(st.sampled_from(EDGES), st.floats(-3, 3),
                        st.floats(allow_nan=False, allow_infinity=False))
programs = st.lists(st.tuples(st.sampled_from(sorted(OPS)), st.lists(st.integers(0, 10_000), min_size=4, max_size=4)),
                    min_size=1, max_size=14)
seeds = st.one_of(st.sampled_from([1.0, -1.0, 0.0, -0.0, 2.5, 1e-300, 1e300, 1.7976931348623157e308]),
                  st.floats(allow_nan=False, allow_infinity=False))


def build(program: list, xs: list[float], root_pick: int) -> tuple[Value, list[Value]]:
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    for name, picks in program:
        arity, op = OPS[name]
        try:
            nodes.append(op(*(nodes[i % len(nodes)] for i in picks[:arity])))
        except MATH:
            continue
    if root_pick % 3 == 0:
        return nodes[-1], nodes  # a single node as the root: a graph with a dead branch is likely
    try:
        return ag.sum(nodes[len(xs):] or nodes), nodes
    except MATH:
        return nodes[-1], nodes


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def outcome(f: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", f()
    except MATH as error:
        return type(error).__name__, str(error)


def assert_explain_is_backward(root: Value, seed: float = 1.0) -> None:
    order = topological_order(root)
    before = [v.grad for v in order]
    explained = outcome(lambda: explain(root, gradient=seed))
    assert [v.grad for v in order] == before, "explain changed a .grad"

    for v in order:
        v.grad = 0.0
    done = outcome(lambda: root.backward(seed))
    if done[0] != "ok" or explained[0] != "ok":
        assert explained == done, "explain and backward must fail alike (same exception, same message)"
        return
    e = explained[1]
    for v in order:  # bit for bit, so -0.0 against 0.0 or the last ulp would show
        assert bits(e.grads[v]) == bits(v.grad), (e.names[v], e.grads[v], v.grad)
    last_total = {}
    for s in e.steps:
        assert math.isfinite(s.total) and math.isfinite(s.contribution) and math.isfinite(s.upstream)
        if s.skipped:  # backward skips exactly the nodes whose upstream gradient is 0
            assert s.upstream == 0.0 and s.contribution == 0.0
        else:
            assert s.upstream != 0.0
            # a hand-made closure shows its local derivative as it computes it at upstream 1, which can overflow
            # on its own (b * 1.0 * 3 / 3 at b = 1.8e308) while the real step, at a tiny upstream, is finite
            assert math.isfinite(s.local) or (is_hand_written(s.node) and math.isfinite(s.contribution))
        last_total[s.input] = s.total
    for v, total in last_total.items():  # the running totals end at backward's numbers
        assert bits(total) == bits(v.grad), (e.names[v], total, v.grad)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(program=programs, xs=st.lists(leaf_values, min_size=1, max_size=4), seed=seeds, root_pick=st.integers(0, 2))
def test_explain_matches_backward_on_random_graphs(program, xs, seed, root_pick):
    root, _ = build(program, xs, root_pick)
    assert_explain_is_backward(root, seed)


def dead_relu_over_log(x: Value) -> Value:
    return (x.log() - 1000.0).relu()  # relu is off, so log's derivative (inf at 5e-324) is never needed


EDGE_CASES = [  # (name, build the root from x, x, what backward does)
    ("log at the smallest subnormal", Value.log, 5e-324, OverflowError),
    ("0 * log(x)", lambda x: 0 * x.log(), 5e-324, 0.0),
    ("a dead relu over log", dead_relu_over_log, 5e-324, 0.0),
    ("1/x at 1e-200", lambda x: 1 / x, 1e-200, OverflowError),
    ("x**-1 at 1e-160", lambda x: x ** -1, 1e-160, OverflowError),
    ("sqrt at 0", Value.sqrt, 0.0, ZeroDivisionError),
    ("0 * sqrt(x) at 0", lambda x: 0 * x.sqrt(), 0.0, 0.0),
    ("x * x at a subnormal", lambda x: x * x, 5e-324, 1e-323),
    ("1/sqrt(x) at a subnormal", lambda x: 1 / x.sqrt(), 5e-324, OverflowError),
    ("x**2 at 1e154", lambda x: x ** 2, 1e154, 2e154),
    ("tanh at 1e300", Value.tanh, 1e300, 0.0),
    ("sigmoid at -1e300", Value.sigmoid, -1e300, 0.0),
    ("a hand-made tanh at 1e300", hand_tanh, 1e300, 0.0),
    ("log of a huge value", Value.log, 1.7976931348623157e308, 1 / 1.7976931348623157e308),
]


@pytest.mark.parametrize("name, f, x, expected", EDGE_CASES, ids=[case[0] for case in EDGE_CASES])
def test_edge_inputs(name, f, x, expected):
    assert_explain_is_backward(f(Value(x, label="x")))
    leaf = Value(x, label="x")
    if isinstance(expected, type):
        with pytest.raises(expected):
            explain(f(leaf))
    else:
        assert explain(f(leaf)).grad(leaf) == pytest.approx(expected, rel=1e-15)


def test_the_error_names_the_op_as_backward_does():
    x = Value(5e-324, label="x")
    with pytest.raises(OverflowError) as from_explain:
        explain(x.log())
    with pytest.raises(OverflowError) as from_backward:
        x.log().backward()
    assert str(from_explain.value) == str(from_backward.value)
    assert str(from_explain.value).startswith("log: backward:") and "'x'" in str(from_explain.value)


def test_a_skipped_step_is_shown_and_says_why():
    x = Value(5e-324, label="x")
    y = 0 * x.log()
    y.label = "y"
    e = explain(y)
    (step,) = [s for s in e.steps if s.skipped]
    assert step.input is x and step.local is None and step.upstream == 0.0 and step.total == 0.0 and step.final
    text = e.to_text()
    assert "backward skips it" in text and "inf" not in text and "nan" not in text
    md = e.to_markdown()
    assert "backward skips it" in md and "inf" not in md and "nan" not in md
    page = e.to_html()
    assert "backward skips it" in page and 'class="skipped"' in page
    assert ">inf<" not in page and ">nan<" not in page


def test_a_zero_seed_skips_every_step():
    x = Value(5e-324, label="x")
    e = explain(x.log(), gradient=0.0)
    assert all(s.skipped for s in e.steps) and e.grad(x) == 0.0


@pytest.mark.parametrize("expression, value, code, said", [
    ("log(x)", "5e-324", 1, "log: backward"),
    ("1/x", "1e-200", 1, "div: backward"),
    ("0*log(x)", "5e-324", 0, "dy/dx = 0"),
])
def test_the_command_line(capsys, expression, value, code, said):
    assert main(["explain", expression, f"x={value}"]) == code
    out, err = capsys.readouterr()
    assert said in (err if code else out)
    assert "inf" not in out and "nan" not in out

"""micrograd's lecture, run on autograd_lite: hand-written ops, ``_backward``, ``_prev``, ``_op``, ``nonlin``.

Andrej Karpathy's micrograd lecture writes every op by hand: ``out = Value(t, (self,), 'tanh')`` and
a ``_backward`` closure that adds the op's share to its inputs' ``.grad``. These tests build the
lecture's own examples and hold the engine to the numbers worked out by hand in the lecture (and in
the comments here), to central finite differences, and to micrograd 0.1.0 itself (skipped when it
is not installed). They also check that the table ops keep what the engine promises (no closures,
no reference cycles, ~170 bytes a node) and that ``nn`` accepts micrograd's ``nonlin`` keyword.

The lecture's neuron: x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432 (= atanh(1/sqrt 2) + 6),
n = x1 w1 + x2 w2 + b = 0.8814, o = tanh(n) = 1/sqrt 2 = 0.7071, so do/dn = 1 - o^2 = 0.5 and
do/dx1 = w1 * 0.5 = -1.5, do/dw1 = x1 * 0.5 = 1, do/dx2 = w2 * 0.5 = 0.5, do/dw2 = x2 * 0.5 = 0,
do/db = 0.5.
"""

from __future__ import annotations

import gc
import math
import random
import re
import tracemalloc
from collections.abc import Callable, Sequence

import pytest

import autograd_lite as ag
import nn
from autograd_lite import TraceError, Value, draw, explain, grad, no_grad

# The lecture's numbers, by hand (module docstring).
LECTURE_GRADS = {"o": 1.0, "n": 0.5, "x1w1x2w2": 0.5, "x1w1": 0.5, "x2w2": 0.5,
                 "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
LEAVES = ("x1", "x2", "w1", "w2", "b")


# --- the lecture's hand-written ops -------------------------------------------------------------
def hand_tanh(self):
    """The lecture's tanh, verbatim, except that it makes a node of ``self``'s own class (so micrograd can run it)."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = type(self)(t, (self, ), 'tanh')

    def _backward():
        self.grad += (1 - t**2) * out.grad
    out._backward = _backward
    return out


def hand_mul(self, other):
    """The lecture's __mul__: d(ab)/da = b, d(ab)/db = a; ``hand_mul(x, x)`` must give 2x."""
    out = Value(self.data * other.data, (self, other), '*')

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad
    out._backward = _backward
    return out


def hand_exp(self):
    """The lecture's exp: d e^x / dx = e^x."""
    out = Value(math.exp(self.data), (self, ), 'exp')

    def _backward():
        self.grad += out.data * out.grad
    out._backward = _backward
    return out


def lecture_neuron(cls=Value, activation: Callable = hand_tanh) -> dict:
    """The lecture's neuron, every node labelled as in the lecture; returns the nodes by name."""
    v = {name: cls(data) for name, data in
         [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432)]}
    v["x1w1"] = v["x1"] * v["w1"]
    v["x2w2"] = v["x2"] * v["w2"]
    v["x1w1x2w2"] = v["x1w1"] + v["x2w2"]
    v["n"] = v["x1w1x2w2"] + v["b"]
    v["o"] = activation(v["n"])
    for name, node in v.items():
        node.label = name
    return v


def grads(nodes: dict, names: Sequence[str] = tuple(LECTURE_GRADS)) -> dict[str, float]:
    return {name: nodes[name].grad for name in names}


def assert_lecture_grads(nodes: dict, names: Sequence[str] = tuple(LECTURE_GRADS)) -> None:
    assert grads(nodes, names) == pytest.approx({k: LECTURE_GRADS[k] for k in names}, abs=1e-6)


def assert_matches_finite_differences(build: Callable[[list[Value]], Value], xs: Sequence[float], fd) -> None:
    """Backpropagate ``build`` at ``xs`` and compare every input's ``.grad`` with a central difference."""
    leaves = [Value(x) for x in xs]
    build(leaves).backward()
    for i, leaf in enumerate(leaves):
        expected = fd(lambda moved: build([Value(x) for x in moved]).data, xs, i)
        assert leaf.grad == pytest.approx(expected, rel=1e-6, abs=1e-8), f"input {i}"


# --- 1. the lecture's neuron ---------------------------------------------------------------------
def test_lecture_neuron_backward_gives_the_lectures_numbers() -> None:
    v = lecture_neuron()
    v["o"].backward()
    assert v["o"].data == pytest.approx(1 / math.sqrt(2), abs=1e-12)  # 0.7071
    assert v["n"].data == pytest.approx(0.8813735870195432, abs=1e-12)
    assert_lecture_grads(v)


def test_the_hand_made_tanh_node_looks_like_micrograd_and_like_autograd_lite() -> None:
    v = lecture_neuron()
    o, n = v["o"], v["n"]
    assert o.op == "hand-written" and o._op == "tanh"
    assert o.inputs == (n,) and o._prev == {n}
    assert callable(o._backward) and o._backward.__name__ == "_backward"  # the closure set on it, as is
    assert o.label == "o" and o.grad == 0.0


def test_lecture_manual_backward_node_by_node() -> None:
    """The lecture before backward() exists: seed o.grad, then call each node's _backward in reverse."""
    v = lecture_neuron()
    v["o"].grad = 1.0
    for name in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1", "x1", "w1", "x2", "w2"):
        v[name]._backward()  # leaves' _backward does nothing, as in micrograd
    assert_lecture_grads(v)


def test_lecture_topological_sort_over_prev() -> None:
    """The lecture's build_topo over ``_prev``, then ``_backward`` in reverse order."""
    v = lecture_neuron()
    topo, visited = [], set()

    def build_topo(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build_topo(child)
            topo.append(node)
    build_topo(v["o"])
    assert len(topo) == 10
    v["o"].grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert_lecture_grads(v)


def test_table_ops_expose_micrograds_prev_op_and_backward() -> None:
    a, b = Value(3.0, label="a"), Value(-2.0, label="b")
    assert (a + b)._op == "+" and (a * b)._op == "*" and (a ** 2)._op == "**2" and (a - b)._op == "-"
    assert a.tanh()._op == "tanh" and (-a).relu()._op == "ReLU" and a._op == "" and a._prev == set()
    assert (a * b)._prev == {a, b} and (a * a)._prev == {a}

    square = a * a
    square.grad = 1.0
    square._backward()  # d(a^2)/da = 2a = 6, both uses added
    assert a.grad == 6.0

    a.grad = 0.0
    cube = a ** 3
    cube.grad = 2.0
    cube._backward()  # 3a^2 * 2 = 54
    assert a.grad == 54.0

    x = [Value(1.0), Value(2.0)]
    w = [Value(0.5), Value(-1.0)]
    d = ag.dot(w, x)
    d.grad = 1.0
    d._backward()  # d(w.x)/dw_i = x_i, d/dx_i = w_i
    assert [t.grad for t in w + x] == [1.0, 2.0, 0.5, -1.0]


def test_a_table_ops_backward_uses_its_current_grad_only_when_called() -> None:
    """micrograd's _backward reads out.grad at call time; a stale read or a stored closure would break that."""
    a = Value(2.0)
    y = a.exp()
    step = y._backward
    y.grad = 3.0
    step()
    assert a.grad == pytest.approx(3.0 * math.exp(2.0), rel=1e-15)


# --- 2. the lecture's second version: exp and division -----------------------------------------
def test_lecture_exp_and_division_version_gives_the_same_grads() -> None:
    def exp_div_tanh(n):
        e = (2 * n).exp()
        return (e - 1) / (e + 1)

    v = lecture_neuron(activation=exp_div_tanh)
    v["o"].backward()
    assert v["o"].data == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert_lecture_grads(v)


def test_lecture_exp_and_division_version_with_a_hand_written_exp() -> None:
    def exp_div_tanh(n):
        e = hand_exp(2 * n)
        return (e - 1) / (e + 1)

    v = lecture_neuron(activation=exp_div_tanh)
    v["o"].backward()
    assert_lecture_grads(v)


# --- 3. hand-written nodes mixed with table ops, used more than once ----------------------------
@pytest.mark.parametrize("x", [3.0, -1.5, 0.0])
def test_hand_written_mul_of_a_value_with_itself_gives_2x(x: float) -> None:
    v = Value(x, label="x")
    y = hand_mul(v, v)
    assert y.inputs == (v, v) and y._prev == {v}
    y.backward()
    assert y.data == x * x and v.grad == 2 * x


def test_hand_written_square_inside_a_table_graph() -> None:
    x = Value(3.0)
    h = hand_mul(x, x)  # 9
    y = h + h * 2 + x  # 3x^2 + x: dy/dx = 6x + 1 = 19
    y.backward()
    assert y.data == 30.0 and x.grad == 19.0 and h.grad == 3.0


def test_hand_made_node_feeding_two_consumers_matches_finite_differences(fd) -> None:
    def build(v: list[Value]) -> Value:
        x, w = v
        h = hand_tanh(x * w + 0.3)
        return h * x + (h * 2).exp() + h / (w * w + 1)  # h used three times, x and w twice

    assert_matches_finite_differences(build, [0.7, -1.3], fd)


def test_hand_written_mul_of_the_same_value_matches_finite_differences(fd) -> None:
    def build(v: list[Value]) -> Value:
        (x,) = v
        s = hand_mul(x.sin(), x.sin())  # two distinct table nodes as children
        t = hand_mul(x, x)  # the same Value twice
        return s + t.tanh() * x

    assert_matches_finite_differences(build, [0.9], fd)


def test_chained_hand_written_nodes_match_finite_differences(fd) -> None:
    def build(v: list[Value]) -> Value:
        x, w, b = v
        h1 = hand_tanh(x * w + b)
        h2 = hand_mul(h1, x)
        h3 = hand_exp(h2)
        h4 = hand_tanh(hand_mul(h3, h1) + w)  # h1 used by h2 and by h4's product
        return h4 * h4 + h3.log() - b

    assert_matches_finite_differences(build, [0.4, -0.8, 0.25], fd)


def test_a_hand_made_root_honours_the_seed_gradient() -> None:
    v = lecture_neuron()
    v["o"].backward(2.0)  # every gradient doubles
    assert grads(v, LEAVES) == pytest.approx({k: 2 * LECTURE_GRADS[k] for k in LEAVES}, abs=1e-6)


# --- 4. accumulation and failures, as in PyTorch ------------------------------------------------
def test_backward_twice_doubles_every_grad() -> None:
    v = lecture_neuron()
    v["o"].backward()
    v["o"].backward()
    expected = {k: 2 * g for k, g in LECTURE_GRADS.items()}
    assert grads(v) == pytest.approx(expected, abs=1e-6)


def test_the_closure_runs_once_per_backward() -> None:
    x = Value(2.0)
    h = Value(4.0, (x,), "square")
    calls = []

    def _backward():
        calls.append(h.grad)
        x.grad += 2 * x.data * h.grad
    h._backward = _backward
    y = h * 3 + h  # two users: the closure runs once with their summed gradient 3 + 1 = 4
    y.backward()
    assert calls == [4.0] and x.grad == 16.0
    assert h.grad == 4.0  # the node's own .grad is set as in micrograd, not left at the closure's value


def _grads_of_everything(v: dict) -> dict[str, float]:
    return {name: node.grad for name, node in v.items()}


def test_a_closure_that_raises_leaves_every_grad_unchanged() -> None:
    v = lecture_neuron()
    v["o"].backward()  # grads are non-zero now
    before = _grads_of_everything(v)

    n = v["n"]
    broken = Value(n.data, (n,), "broken")

    def _backward():
        n.grad += 100.0  # half done ...
        raise RuntimeError("boom")  # ... then fails
    broken._backward = _backward
    loss = broken * v["o"]
    with pytest.raises(RuntimeError, match="boom"):
        loss.backward()
    assert _grads_of_everything(v) == before
    assert broken.grad == 0.0 and loss.grad == 0.0


def test_a_closure_raising_a_math_error_names_the_node_and_changes_nothing() -> None:
    x = Value(2.0, label="x")
    h = Value(0.5, (x,), "inverse")
    h._backward = lambda: 1 / 0
    y = h * x
    with pytest.raises(ZeroDivisionError, match="hand-written 'inverse' node"):
        y.backward()
    assert x.grad == 0.0 and h.grad == 0.0 and y.grad == 0.0


def test_a_hand_made_node_without_backward_raises_runtime_error_and_changes_nothing() -> None:
    v = lecture_neuron()
    v["o"].backward()
    before = _grads_of_everything(v)
    incomplete = Value(1.0, (v["o"], v["x1"]), "f")
    with pytest.raises(RuntimeError, match="'f' node .* has no _backward"):
        (incomplete + v["w1"]).backward()
    assert _grads_of_everything(v) == before and incomplete.grad == 0.0


def test_backward_after_a_failed_one_is_correct() -> None:
    """A failed pass leaves no half-computed state behind: fixing the closure gives the lecture's numbers."""
    v = lecture_neuron(activation=lambda n: Value(math.tanh(n.data), (n,), "tanh"))
    o, n = v["o"], v["n"]
    def broken():
        n.grad += 1.0
        raise RuntimeError("not yet")
    o._backward = broken
    with pytest.raises(RuntimeError, match="not yet"):
        o.backward()

    def fixed():
        n.grad += (1 - o.data ** 2) * o.grad
    o._backward = fixed
    o.backward()
    assert_lecture_grads(v)


class _ValueErrorWithFields(ValueError):
    """An exception type a user's _backward might raise: a ValueError whose constructor takes two fields."""

    def __init__(self, node_name: str, reason: str) -> None:
        super().__init__(f"{node_name}: {reason}")


def test_a_users_value_error_subclass_from_backward_keeps_its_type() -> None:
    x = Value(2.0)
    h = Value(4.0, (x,), "square")

    def _backward():
        raise _ValueErrorWithFields("square", "not differentiable here")
    h._backward = _backward
    with pytest.raises(_ValueErrorWithFields):
        h.backward()


# --- 5. draw, explain, compile, grad -----------------------------------------------------------
def test_draw_shows_the_hand_made_op_text() -> None:
    v = lecture_neuron()
    v["o"].backward()
    source = draw(v["o"]).source
    assert "label=tanh" in source  # the op circle of the hand-made node
    assert "grad 0.5" in source and "grad -1.5" in source
    hand_made = [line for line in source.splitlines() if "label=tanh" in line]
    assert len(hand_made) == 1 and "dashed" in hand_made[0] and "_backward" in hand_made[0]  # marked as the user's
    assert "dashed" not in "".join(line for line in source.splitlines() if "label=tanh" not in line)

    x = Value(2.0, label="x")
    y = Value(4.0, (x,), "my_square")
    assert "label=my_square" in draw(y).source
    y._backward = lambda: None  # explain runs it for the local derivative
    assert r"\operatorname{my\_square}(\mathrm{x})" in explain(y).to_markdown()  # escaped for LaTeX, the names put in


def test_explain_runs_the_closure_for_local_values_and_totals() -> None:
    v = lecture_neuron()
    steps = explain(v["o"]).steps
    got = {(s.name, s.input_name): (s.local, s.upstream, s.contribution, s.total) for s in steps}
    expected = {  # (local, upstream, product, total) by hand: n = 0.8814, do/dn = 1 - 1/2
        ("o", "n"): (0.5, 1.0, 0.5, 0.5),
        ("n", "x1w1x2w2"): (1.0, 0.5, 0.5, 0.5),
        ("n", "b"): (1.0, 0.5, 0.5, 0.5),
        ("x1w1x2w2", "x1w1"): (1.0, 0.5, 0.5, 0.5),
        ("x1w1x2w2", "x2w2"): (1.0, 0.5, 0.5, 0.5),
        ("x1w1", "x1"): (-3.0, 0.5, -1.5, -1.5),  # local = w1
        ("x1w1", "w1"): (2.0, 0.5, 1.0, 1.0),  # local = x1
        ("x2w2", "x2"): (1.0, 0.5, 0.5, 0.5),  # local = w2
        ("x2w2", "w2"): (0.0, 0.5, 0.0, 0.0),  # local = x2
    }
    assert set(got) == set(expected)
    for edge, numbers in expected.items():
        assert got[edge] == pytest.approx(numbers, abs=1e-6), edge
    first = steps[0]
    assert first.node is v["o"] and first.op == "hand-written" and first.evaluated == ""
    assert "given by its _backward" in first.formula and first.partial == "given by its _backward"


def test_explain_leaves_every_grad_unchanged_and_renders_text() -> None:
    v = lecture_neuron()
    v["o"].backward()
    before = _grads_of_everything(v)
    e = explain(v["o"])
    assert _grads_of_everything(v) == before
    text = e.to_text()
    assert re.search(r"^ +o += tanh\(n\) = 0\.7071$", text, re.MULTILINE)  # names padded to one width
    assert "given by its _backward" in text
    assert "do/dx1 = -1.5" in text and "do/dw1 = 1" in text and "do/db = 0.5" in text
    assert e.grad(v["x1"]) == pytest.approx(-1.5, abs=1e-6)


def test_explain_counts_a_repeated_input_of_a_hand_made_node_once() -> None:
    x = Value(3.0, label="x")
    y = hand_mul(x, x)
    e = explain(y)
    assert e.grad(x) == 6.0
    assert [s.total for s in e.steps][-1] == 6.0
    assert sum(s.contribution for s in e.steps) == 6.0


def test_compile_refuses_a_hand_made_node_and_names_it() -> None:
    w = Value(0.5, label="w")

    def loss(x):  # the hand-made op's forward reads the traced value's .data: refused there
        out = hand_tanh(x * w)
        out.label = "activation"
        return out

    with pytest.raises(TraceError, match=r"written by hand micrograd's way reads \.data too: define it with define_op"):
        ag.compile(loss, [1.0], parameters=[w])

    c = Value(0.5, label="c")  # captured, not a parameter: known on the first trace

    def on_a_constant(x):  # its forward can run: the node itself is refused
        out = hand_tanh(c)
        out.label = "activation"
        return x * out * w

    with pytest.raises(TraceError, match=r"hand-written 'tanh' node Value\(.*label='activation'"):
        ag.compile(on_a_constant, [1.0], parameters=[w])
    assert w.data == 0.5


def test_grad_with_create_graph_refuses_a_hand_made_node() -> None:
    v = lecture_neuron()
    with pytest.raises(TypeError, match=r"hand-written 'tanh' node Value\(.*label='o'"):
        grad(v["o"], [v["x1"]], create_graph=True)


def test_grad_without_create_graph_matches_backward_and_touches_no_grad() -> None:
    v = lecture_neuron()
    leaves = [v[k] for k in LEAVES]
    got = grad(v["o"], leaves)
    assert all(node.grad == 0.0 for node in v.values())
    assert [g.data for g in got] == pytest.approx([LECTURE_GRADS[k] for k in LEAVES], abs=1e-6)
    v["o"].backward()
    assert [g.data for g in got] == [v[k].grad for k in LEAVES]


# --- 6. the constructor ------------------------------------------------------------------------
def test_micrograds_constructor_by_position() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = Value(5.0, (a, b), "+")
    assert out.data == 5.0 and out.op == "hand-written" and out._op == "+"
    assert out.inputs == (a, b) and out._prev == {a, b} and out.label == ""
    assert Value(5.0, (a, b), "+", "s").label == "s"


def test_micrograds_constructor_by_keyword() -> None:
    a = Value(2.0)
    out = Value(1.0, _children=(a,), _op="f", label="out")
    assert out.label == "out" and out._op == "f" and out.inputs == (a,) and out.op == "hand-written"
    listed = Value(1.0, _children=[a, a], _op="g")  # any iterable of Values, as micrograd's set(_children)
    assert listed.inputs == (a, a)


def test_the_second_positional_string_is_still_the_label() -> None:
    v = Value(1.0, "x")
    assert v.label == "x" and v.op == "" and v.inputs == () and v._op == ""
    assert Value(1.0, label="y").label == "y"
    assert Value(1.0, ()).op == "" and Value(1.0, (), "").inputs == ()


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda a: Value(1.0, (a, 2.0), "*"), TypeError, r"_children\)\[1\] must be a Value, got float"),
        (lambda a: Value(1.0, ("a",), "f"), TypeError, r"must be a Value, got str"),
        (lambda a: Value(1.0, 5, "f"), TypeError, "must be a tuple of Values, got int"),
        (lambda a: Value(1.0, (), "f"), ValueError, "needs the op's inputs"),
        (lambda a: Value(1.0, _op="f"), ValueError, "needs the op's inputs"),
        (lambda a: Value(1.0, "x", label="y"), TypeError, "two labels"),
        (lambda a: Value(1.0, (a,), 3), TypeError, r"_op\) must be a str"),
        (lambda a: Value(1.0, (a,), "f", 7), TypeError, r"label\) must be a str"),
    ],
)
def test_constructor_errors(make: Callable, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make(Value(2.0))


def test_backward_must_be_callable() -> None:
    a = Value(2.0)
    out = Value(4.0, (a,), "square")
    with pytest.raises(TypeError, match="_backward must be a function"):
        out._backward = 3.0
    with pytest.raises(RuntimeError, match="has no _backward"):  # nothing was kept
        out.backward()


def test_backward_cannot_be_set_on_a_table_node() -> None:
    a = Value(2.0)
    y = a * a
    with pytest.raises(AttributeError, match=r"op table \(mul\)"):
        y._backward = lambda: None
    y.backward()
    assert a.grad == 4.0  # the table's derivative is still used


def test_repr_of_a_hand_made_node_mentions_its_op_text() -> None:
    a = Value(2.0)
    out = Value(4.0, (a,), "square", label="sq")
    text = repr(out)
    assert "'square'" in text and "hand-written" in text and "label='sq'" in text and "data=4" in text


def test_under_no_grad_a_hand_made_node_is_a_leaf() -> None:
    x = Value(3.0)
    with no_grad():
        h = Value(9.0, (x,), "square")
    assert h.op == "" and h.inputs == () and h._prev == set() and h._op == ""
    h._backward = lambda: None  # nothing to pass a gradient to: accepted and ignored
    h.backward()
    assert h.grad == 1.0 and x.grad == 0.0


# --- 7. table ops keep no closures, no cycles, and their size ----------------------------------
def test_table_ops_make_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        v = lecture_neuron(activation=lambda n: n.tanh())
        o = v["o"] * v["x1"] + (v["w1"] ** 2).exp() / ag.dot([v["w1"]], [v["x2"]]).sigmoid()
        o.backward()
        for node in ag.topological_order(o):  # micrograd's names are computed, never stored
            _ = node._backward, node._prev, node._op
        v["n"]._backward()
        explain(o)
        grad(o, [v["x1"]])
        del v, o, node
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_only_hand_made_nodes_hold_a_closure_cycle() -> None:
    """The lecture's closure refers to ``out``, which holds the closure: the collector frees such a graph."""
    gc.collect()
    gc.disable()
    try:
        v = lecture_neuron()
        v["o"].backward()
        del v
        assert gc.collect() > 0
    finally:
        gc.enable()


def test_a_value_has_slots_and_no_dict() -> None:
    leaf, node = Value(1.0), Value(1.0) * 2
    made = Value(1.0, (leaf,), "f")
    for v in (leaf, node, made):
        assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        node.extra = 1
    assert node.param is None  # a table node keeps no HandWritten record


def test_bytes_per_table_node_are_unchanged() -> None:
    """A chain of 10,000 table nodes (no constants) costs < 200 B a node (the README measures 167 B)."""
    n = 10_000
    a, b = Value(1.5), Value(-1.0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = a
        for _ in range(n):
            y = y * b
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert y.data == 1.5 and 100 < used / n < 200


# --- 8. micrograd itself -----------------------------------------------------------------------
def test_the_lecture_neuron_agrees_with_micrograd() -> None:
    mg = pytest.importorskip("micrograd.engine")
    ours, theirs = lecture_neuron(Value), lecture_neuron(mg.Value)
    assert type(theirs["o"]) is mg.Value and theirs["o"]._op == ours["o"]._op == "tanh"
    ours["o"].backward()
    theirs["o"].backward()
    assert ours["o"].data == pytest.approx(theirs["o"].data, abs=1e-15)
    for name in LECTURE_GRADS:
        assert ours[name].grad == pytest.approx(theirs[name].grad, abs=1e-12), name
    assert_lecture_grads(ours)


def test_micrograds_manual_backward_agrees_with_ours() -> None:
    mg = pytest.importorskip("micrograd.engine")
    ours, theirs = lecture_neuron(Value), lecture_neuron(mg.Value)
    for v in (ours, theirs):
        v["o"].grad = 1.0
        for name in ("o", "n", "x1w1x2w2", "x2w2", "x1w1"):
            v[name]._backward()
    assert grads(ours) == pytest.approx(grads(theirs), abs=1e-12)


@pytest.fixture
def same_random_state():
    """micrograd draws its weights from the global ``random``; restore it afterwards."""
    state = random.getstate()
    yield
    random.setstate(state)


@pytest.mark.parametrize("nonlin", [True, False])
def test_nn_neuron_and_layer_match_micrograds_with_nonlin(nonlin: bool, same_random_state) -> None:
    mgnn = pytest.importorskip("micrograd.nn")
    x = [0.5, -1.5, 2.0]
    for make_theirs, make_ours in [
        (lambda: mgnn.Neuron(3, nonlin=nonlin), lambda: nn.Neuron(3, nonlin=nonlin)),
        (lambda: mgnn.Layer(3, 2, nonlin=nonlin), lambda: nn.Layer(3, 2, nonlin=nonlin)),
    ]:
        random.seed(1337)
        theirs = make_theirs()
        random.seed(1337)
        ours = make_ours()
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        out_t, out_o = theirs(x), ours(x)
        out_t, out_o = (out_t, out_o) if isinstance(out_t, list) else ([out_t], [out_o])
        assert [o.data for o in out_o] == pytest.approx([t.data for t in out_t], abs=1e-12)
        sum(out_t).backward()
        ag.sum(out_o).backward()
        assert [p.grad for p in ours.parameters()] == pytest.approx([p.grad for p in theirs.parameters()], abs=1e-12)


# --- 9. nn: micrograd's nonlin -----------------------------------------------------------------
def _neuron_with(neuron: nn.Neuron, w: Sequence[float], b: float) -> nn.Neuron:
    for p, x in zip(neuron.w, w):
        p.data = x
    neuron.b.data = b
    return neuron


W, B = [1.0, -2.0, 0.5], -0.25
NEGATIVE_X = [1.0, 2.0, 3.0]  # w.x + b = 1 - 4 + 1.5 - 0.25 = -1.75
POSITIVE_X = [3.0, 0.0, 2.0]  # w.x + b = 3 + 0 + 1 - 0.25 = 3.75


@pytest.mark.parametrize("make", [lambda: nn.Neuron(3, nonlin=False), lambda: nn.Neuron(3, False)],
                         ids=["keyword", "positional"])
def test_nonlin_false_is_a_linear_neuron(make: Callable) -> None:
    neuron = _neuron_with(make(), W, B)
    assert neuron.activation == "linear"
    assert neuron(NEGATIVE_X).data == -1.75 and neuron(POSITIVE_X).data == 3.75
    out = neuron(NEGATIVE_X)
    out.backward()
    assert [p.grad for p in neuron.parameters()] == [1.0, 2.0, 3.0, 1.0]  # dz/dw = x, dz/db = 1


@pytest.mark.parametrize("make", [lambda: nn.Neuron(3, nonlin=True), lambda: nn.Neuron(3, True), lambda: nn.Neuron(3)],
                         ids=["keyword", "positional", "default"])
def test_nonlin_true_is_a_relu_neuron(make: Callable) -> None:
    neuron = _neuron_with(make(), W, B)
    assert neuron.activation == "relu"
    assert neuron(NEGATIVE_X).data == 0.0 and neuron(POSITIVE_X).data == 3.75


@pytest.mark.parametrize("make", [lambda: nn.Layer(2, 3, nonlin=False), lambda: nn.Layer(2, 3, False)],
                         ids=["keyword", "positional"])
def test_a_layer_with_nonlin_false_is_linear(make: Callable) -> None:
    layer = make()
    assert layer.activation == "linear" and [n.activation for n in layer.neurons] == ["linear"] * 3
    x = [-2.0, 1.5]
    for neuron, out in zip(layer.neurons, layer(x)):
        by_hand = neuron.w[0].data * x[0] + neuron.w[1].data * x[1] + neuron.b.data
        assert out.data == pytest.approx(by_hand, abs=1e-15)
    assert nn.Layer(2, 3, nonlin=True).activation == "relu"


@pytest.mark.parametrize(
    "make",
    [lambda: nn.Neuron(3, "tanh", nonlin=True), lambda: nn.Neuron(3, activation="relu", nonlin=True),
     lambda: nn.Neuron(3, activation="linear", nonlin=False), lambda: nn.Layer(2, 3, "tanh", nonlin=False)],
)
def test_activation_and_nonlin_together_is_an_error(make: Callable) -> None:
    with pytest.raises(ValueError, match="not both"):
        make()


@pytest.mark.parametrize("nonlin", [1, 0, "False", 1.0])
def test_nonlin_must_be_a_bool(nonlin: object) -> None:
    with pytest.raises(TypeError, match=r"Neuron\(nonlin\) must be True \(ReLU\) or False \(linear\)"):
        nn.Neuron(3, nonlin=nonlin)
    with pytest.raises(TypeError, match=r"Layer\(nonlin\)"):
        nn.Layer(3, 2, nonlin=nonlin)


@pytest.mark.parametrize(
    "make",
    [lambda: nn.Neuron(3, False, nonlin=True), lambda: nn.Neuron(3, True, nonlin=False),
     lambda: nn.Layer(2, 3, False, nonlin=True)],
    ids=["neuron-false-true", "neuron-true-false", "layer-false-true"],
)
def test_nonlin_given_twice_is_an_error(make: Callable) -> None:
    with pytest.raises((TypeError, ValueError)):
        make()

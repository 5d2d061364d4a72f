"""The eager backward's walk and ``dot``'s one-pass check (issue 12): the invariants they rely on.

``backprop.walk`` marks a node as met by storing a float 0.0 made for that walk in its ``_g``, and files leaves
apart from the op nodes; ``dot`` checks and gathers its operands in one pass. These tests pin down that the walk
gives ``topological_order``'s order (a valid one) on random graphs of every kind the engine makes (table ops,
hand-made micrograd-style nodes, ``no_grad`` results, ``detach``, ``grad(create_graph=True)`` graphs), that a
``_g`` left over by an earlier pass never fools it, that gradients equal a recursive reference, and that a graph
holds no reference cycle (freed without the collector).
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value, dot, grad, no_grad, topological_order
from autograd_lite.core.backprop import walk


def reference_gradients(root: Value) -> dict[Value, float]:
    """d root / d node by the chain rule over every path, node by node (no shared pass, no ``_g``)."""
    order = topological_order(root)
    g = {v: 0.0 for v in order}
    g[root] = 1.0
    for node in reversed(order):
        if not node.inputs:
            continue
        xs = [x.data for x in node.inputs]
        if node.op == "hand-written":  # the square made micrograd's way below: d u^2 / du = 2u
            partials = [2.0 * xs[0]]
        else:
            partials = ag.OPS[node.op].local(math, tuple(xs), node.data, node.param)
        for x, d in zip(node.inputs, partials):
            g[x] += d * g[node]
    return g


def square_by_hand(u: Value) -> Value:
    """micrograd's lecture style: a node with its own _backward closure."""
    out = Value(u.data * u.data, (u,), "square")

    def _backward() -> None:
        u.grad += 2.0 * u.data * out.grad

    out._backward = _backward
    return out


KINDS = ["add", "mul", "tanh", "sum", "dot", "hand", "no_grad", "detach", "const"]


def random_graph(steps: list[tuple[int, int, str]], n_leaves: int) -> tuple[list[Value], Value]:
    nodes = [Value(0.3 * (i + 1) - 0.5) for i in range(n_leaves)]
    for pick, k, kind in steps:
        rng = random.Random(pick)
        ins = [nodes[rng.randrange(len(nodes))] for _ in range(k)]  # repeats allowed: x * x, shared subgraphs
        if kind == "add":
            out = ins[0] + ins[-1]
        elif kind == "mul":
            out = ins[0] * ins[-1] * 0.5
        elif kind == "tanh":
            out = ins[0].tanh()
        elif kind == "sum":
            out = ag.sum(ins)
        elif kind == "dot":
            out = dot(ins, [*reversed(ins)])
        elif kind == "hand":
            out = square_by_hand(ins[0].tanh())
        elif kind == "no_grad":
            with no_grad():
                out = ins[0] * 2.0  # a leaf: nothing recorded
        elif kind == "detach":
            out = (ins[0] + 1.0).detach() * ins[-1]
        else:
            out = ins[0] + 0.25
        nodes.append(out)
    return nodes[:n_leaves], nodes[-1]


graphs = st.tuples(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 4), st.sampled_from(KINDS)), min_size=1, max_size=30),
    st.integers(1, 4),
)


@settings(max_examples=40, deadline=None)
@given(graphs)
def test_walk_is_topological_order_split_into_op_nodes_and_leaves(graph):
    _, root = random_graph(*graph)
    order = topological_order(root)
    inner, leaves = walk(root)
    assert inner == [v for v in order if v.inputs]  # the same order, leaves filed apart
    assert set(leaves) == {v for v in order if not v.inputs} and len(leaves) == len(set(leaves))
    position = {v: i for i, v in enumerate(inner)}
    assert all(position[x] < position[v] for v in inner for x in v.inputs if x.inputs)  # valid order
    assert all(v._g == 0.0 for v in order)


@settings(max_examples=40, deadline=None)
@given(graphs)
def test_backward_equals_the_chain_rule_over_every_path(graph):
    leaves, root = random_graph(*graph)
    expected = reference_gradients(root)
    for v in expected:
        v.grad = 0.0
    root.backward()
    for v, g in expected.items():
        assert v.grad == pytest.approx(g, rel=1e-12, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(graphs)
def test_grad_of_a_create_graph_gradient_walks_its_graph_correctly(graph):
    leaves, root = random_graph(*[[s for s in graph[0] if s[2] != "hand"] or [(0, 1, "tanh")], graph[1]])
    (dx,) = grad(root, [leaves[0]], create_graph=True)  # a graph made of the op table's derivatives
    (ddx,) = grad(dx, [leaves[0]])
    expected = reference_gradients(dx).get(leaves[0], 0.0) if dx.inputs else 0.0
    assert ddx.data == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_gradients_left_by_an_earlier_pass_never_fool_the_walk():
    x = Value(0.7)
    y = (x * x).tanh() + x
    (g,) = grad(y, [x])  # leaves every _g filled in
    assert x._g != 0.0
    y.backward()
    y.backward()  # two passes: each starts from zero, .grad accumulates
    assert x.grad == pytest.approx(2 * g.data, rel=1e-15)
    with pytest.raises(OverflowError):
        (Value(1e-300).sqrt() * 1e200 + y).backward()  # fails half way: some _g written, no .grad touched
    assert x.grad == pytest.approx(2 * g.data, rel=1e-15)
    y.backward()
    assert x.grad == pytest.approx(3 * g.data, rel=1e-15)


def test_an_overflow_into_a_leaf_is_found_and_named_without_touching_any_grad():
    a, b = Value(1e300), Value(1e-300)
    z = a * b  # 1.0; dz/da = 1e-300, dz/db = 1e300
    w = z * 1e10  # dw/db = 1e310: overflows on its way into the leaf b
    with pytest.raises(OverflowError, match="overflow"):
        w.backward()
    assert (a.grad, b.grad, z.grad) == (0.0, 0.0, 0.0)


def test_a_leaf_root_and_a_graph_of_one_op():
    x = Value(3.0)
    x.backward(2.0)
    assert x.grad == 2.0 and walk(x) == ([], [x])
    y = x * x
    assert walk(y) == ([y], [x])


def test_a_chain_of_200_000_links_backpropagates_and_gc_is_restored():
    x = Value(0.5)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    was = gc.isenabled()
    y.backward()
    assert x.grad == 1.0 and gc.isenabled() == was


def test_a_graph_has_no_reference_cycles_and_is_freed_without_the_collector():
    def train(steps: int) -> None:
        w = [Value(0.1 * i) for i in range(16)]
        for _ in range(steps):
            xs = [Value(float(i)) for i in range(16)]
            loss = ag.sum(dot(w, xs).relu() * v for v in xs).tanh()  # about 50 nodes, 170 B each
            loss.backward()
            grad(loss, w)
            del loss, xs

    def live_values() -> int:
        return sum(type(o) is Value for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        alive = live_values()  # other tests' Values may still be around
        train(160)  # warm up: first-call caches, and the free lists Python keeps of small tuples (up to ~100 kB)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        train(40)  # a leaked graph per step would leave 40 x 8 kB = 320 kB
        leftover = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert leftover < 100_000  # each graph went with its last name (what remains: Python's free lists)
        assert live_values() == alive  # not one Value of the 80 graphs is alive
        assert gc.collect() == 0  # and nothing was left for the collector: no cycles
    finally:
        gc.enable()


def test_dot_checks_and_gathers_in_one_pass_and_still_refuses_clearly():
    w = [Value(2.0), Value(-1.0)]
    assert dot(w, [Value(3.0), Value(4.0)]).data == 2.0
    assert dot(w, (3.0, 4)).data == 2.0  # numbers become constants (the slow path)
    assert dot(iter(w), iter([1.0, 1.0])).data == 1.0  # any iterables

    class Scaled(Value):
        pass

    assert dot([Scaled(2.0)], [Value(5.0)]).data == 10.0  # a subclass of Value is a Value
    with pytest.raises(TypeError, match=r"dot \(inputs\): item 1 must be a Value or a real number, got str"):
        dot(w, [Value(1.0), "x"])
    with pytest.raises(ValueError, match="got 2 weights but 1 inputs"):
        dot(w, [Value(1.0)])
    assert dot([], []).data == 0.0
    node = dot(w, [Value(3.0), Value(4.0)])
    assert node.op == "dot" and node.inputs[:2] == tuple(w)
    node.backward()
    assert [v.grad for v in w] == [3.0, 4.0]


def test_matvec_makes_the_nodes_dot_makes_row_by_row_and_refuses_the_same_way():
    W = [[Value(2.0), Value(-1.0)], [Value(0.5), Value(3.0)]]
    x = [Value(3.0), Value(4.0)]
    rows = ag.matvec(W, x)
    assert [v.data for v in rows] == [2.0, 13.5]  # W x: 2*3 - 1*4, 0.5*3 + 3*4
    assert all(v.op == "dot" and v.inputs == (*w, *x) for v, w in zip(rows, W))
    (rows[0] + 2 * rows[1]).backward()
    assert [v.grad for v in x] == [2.0 + 2 * 0.5, -1.0 + 2 * 3.0]  # dC/dx = W^T [1, 2]
    assert [v.grad for v in W[1]] == [6.0, 8.0]  # dC/dw_k = 2 x
    assert [v.data for v in ag.matvec(W, (3.0, 4))] == [2.0, 13.5]  # numbers in x become constants
    assert [v.data for v in ag.matvec([[2.0, Value(1.0)]], x)] == [10.0]  # and in a row
    assert ag.matvec([], x) == []
    with pytest.raises(TypeError, match=r"dot \(inputs\): item 1 must be a Value or a real number, got str"):
        ag.matvec(W, [Value(1.0), "x"])
    with pytest.raises(TypeError, match=r"dot \(weights\): item 0 must be a Value or a real number, got NoneType"):
        ag.matvec([W[0], [None, Value(1.0)]], x)
    with pytest.raises(ValueError, match="got 3 weights but 2 inputs"):
        ag.matvec([W[0], [*W[1], Value(1.0)]], x)
    with pytest.raises(ValueError, match=r"dot \(inputs\): item 1: operand must be a finite number, got nan"):
        dot(W[0], [1.0, float("nan")])
    with pytest.raises(ValueError, match=r"dot \(weights\): item 0: .*too large for a float"):
        dot([10**400, 1], x)
    assert ag.matvec([[]], [])[0].data == 0.0  # an empty row is dot([], []): 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-10, 10), min_size=3, max_size=3), min_size=0, max_size=4),
       st.lists(st.floats(-10, 10), min_size=3, max_size=3))
def test_matvec_equals_dot_per_row_in_data_and_gradients(W_data, x_data):
    W1, x1 = [[Value(w) for w in row] for row in W_data], [Value(v) for v in x_data]
    W2, x2 = [[Value(w) for w in row] for row in W_data], [Value(v) for v in x_data]
    fast, slow = ag.matvec(W1, x1), [dot(row, x2) for row in W2]
    assert [v.data for v in fast] == [v.data for v in slow]
    if fast:
        ag.sum([v * (k + 1) for k, v in enumerate(fast)]).backward()
        ag.sum([v * (k + 1) for k, v in enumerate(slow)]).backward()
        assert [v.grad for v in x1 + [w for r in W1 for w in r]] == [v.grad for v in x2 + [w for r in W2 for w in r]]

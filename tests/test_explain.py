"""explain(): the chain rule edge by edge must reproduce every gradient, with formulas from the op table."""

from __future__ import annotations

import doctest
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
import nn
from autograd_lite import OPS, Value, explain, topological_order


def neuron(x=1.0, w=0.5, b=-0.2):
    xs = {"x": Value(x, label="x"), "w": Value(w, label="w"), "b": Value(b, label="b")}
    n = xs["w"] * xs["x"] + xs["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, xs


def shared(a=0.7, b=-1.3):
    """a is used by four ops, b by three, through n-ary nodes too: many running totals."""
    va, vb = Value(a, label="a"), Value(b, label="b")
    c = va * vb + va ** 3
    d = al.logsumexp([c, va, vb.sigmoid()])
    e = al.dot([va, vb], [c, d]) / (1 + vb * vb)
    return (e.exp() - al.sum([d, e, c.relu()])).tanh(), {"a": va, "b": vb}


GRAPHS = [neuron, shared]


@pytest.mark.parametrize("build", GRAPHS)
def test_contributions_add_up_to_every_nodes_gradient(build):
    root, _ = build()
    e = explain(root, constants=True)  # every node, the numbers in the formula too, gets its steps
    totals = {root: 1.0}
    for s in e.steps:
        totals[s.input] = totals.get(s.input, 0.0) + s.contribution
        assert s.total == pytest.approx(totals[s.input], rel=1e-12, abs=1e-15)
        assert s.contribution == (0.0 if s.skipped else s.local * s.upstream)  # the very product backward adds
    root.backward()
    for node in topological_order(root):
        assert totals[node] == pytest.approx(node.grad, rel=1e-12, abs=1e-15)
        assert e.grad(node) == pytest.approx(node.grad, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("build", GRAPHS)
def test_leaf_gradients_match_finite_differences(build, fd):
    root, leaves = build()
    e = explain(root)
    names = list(leaves)

    def f(values):
        return build(*values)[0].data

    point = [leaves[n].data for n in names]
    for i, name in enumerate(names):
        assert e.grad(leaves[name]) == pytest.approx(fd(f, point, i), rel=1e-6, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3))
def test_contributions_match_backward_for_any_numbers(a, b):
    root, leaves = shared(a, b)
    e = explain(root)
    root.backward()
    for leaf in leaves.values():
        final = [s.total for s in e.steps if s.input is leaf and s.final]
        assert len(final) == 1
        assert final[0] == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)


def test_backward_order_each_nodes_gradient_is_complete_before_it_is_used():
    root, _ = shared()
    e = explain(root)
    finished = {root}
    for s in e.steps:
        assert s.node in finished, f"step {s.index} uses d root/d {s.name} before all its users sent theirs"
        if s.final:
            finished.add(s.input)
    assert [s.index for s in e.steps] == list(range(1, len(e.steps) + 1))
    counts = {}
    for s in e.steps:
        counts[s.input] = counts.get(s.input, 0) + 1
        assert s.count == counts[s.input]
    for s in e.steps:
        assert s.users == counts[s.input]


def test_one_step_per_edge_and_forward_listing_first():
    root, _ = shared()
    e = explain(root, constants=True)
    order = topological_order(root)
    assert len(e.steps) == sum(len(v.inputs) for v in order)
    listed = [line.node for line in e.forward]
    assert sorted(map(id, listed)) == sorted(map(id, order)) and listed[-1] is root
    position = {node: i for i, node in enumerate(listed)}
    assert all(position[x] < position[node] for node in order for x in node.inputs)  # each after its inputs
    assert e.forward[-1].value == root.data


def test_forward_listing_reads_layer_by_layer():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    e = explain(nn.mse_loss(model([0.5, -1.0]), 1.0))
    # each leaf comes right before its first user: no layer-2 weight before the layer-1 neurons it waits for
    lines = e.forward
    for i, line in enumerate(lines):
        if not line.node.inputs:
            user = next(later for later in lines[i + 1:] if later.node.inputs)
            assert any(x is line.node for x in user.node.inputs) or not user.node.inputs
    tanh_rows = [i for i, line in enumerate(lines) if line.expression.startswith("tanh")]
    second_layer = [i for i, line in enumerate(lines) if line.node in set(model.layers[1].parameters())]
    assert len(tanh_rows) == 3 and min(second_layer) > max(tanh_rows)
    assert explain(Value(2.0, label="x")).forward[0].name == "x"  # a lone leaf is its own listing


def test_neuron_steps_are_the_hand_computed_ones():
    o, xs = neuron()  # n = 0.5 * 1 - 0.2 = 0.3; do/dn = 1 - tanh(0.3)^2
    e = explain(o)
    first = e.steps[0]
    assert (first.name, first.input_name, first.op) == ("o", "n", "tanh")
    assert first.formula == "d tanh(u)/du = 1 - tanh(u)^2"
    assert first.evaluated == "1 - tanh(0.3)^2"
    assert first.local == pytest.approx(1 - math.tanh(0.3) ** 2)
    assert first.upstream == 1.0
    by_input = {s.input_name: s for s in e.steps}
    assert by_input["x"].local == 0.5 and by_input["w"].local == 1.0
    assert by_input["x"].total == pytest.approx(0.5 * (1 - math.tanh(0.3) ** 2))


def test_negative_numbers_read_right_in_the_evaluated_formula_and_the_product():
    u = Value(-0.5, label="u")
    s = explain(u.tanh()).steps[0]
    assert s.evaluated == "1 - tanh(-0.5)^2"  # no "tanh((-0.5))"
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    text = explain(a * b).to_text()
    assert "product   1 * 3 = 3" in text and "product   1 * (-2) = -2" in text
    assert "exp((-2) - " in explain(al.logsumexp([a, b])).to_text()  # inside an expression: (-2)


def test_n_ary_steps_bind_every_operand_their_partial_uses():
    w, x = [Value(0.5, label="w"), Value(-1.0, label="v")], [Value(2.0, label="p"), Value(3.0, label="q")]
    steps = explain(al.dot(w, x)).steps
    # d dot / d w_1 = x_1: the step must say which node x_1 is, and put its number in
    assert steps[0].bindings == "w_1 = w, x_1 = p" and steps[0].evaluated == "2"
    assert steps[3].bindings == "x_2 = q, w_2 = v" and steps[3].evaluated == "-1"
    y = al.logsumexp(w)
    y.label = "L"
    assert explain(y).steps[1].bindings == "x_2 = v, y = L"


def test_formulas_come_from_the_op_table():
    x = Value(1.5, label="x")
    y = (x ** 3).leaky_relu(0.1)
    e = explain(y)
    for s in e.steps:
        op = OPS[s.op]
        assert s.formula.endswith(op.partial(s.position, len(s.node.inputs)))
        assert s.formula_latex.endswith(op.partial(s.position, len(s.node.inputs), latex=True))
    text = e.to_text()  # the formula in the graph's names, the constant in it: no "with u = ..., p = 3"
    assert "dv2/dv1 = d leaky_relu(v1, 0.1)/dv1 = 1 if v1 > 0 else 0.1" in text
    assert "dv1/dx = d x**3/dx = 3 * x^(3-1)" in text and " with " not in text
    assert "∂v2/∂v1 = ∂ leaky_relu(v1, 0.1)/∂v1 = 1 if v1 &gt; 0 else 0.1" in e.to_html()
    pow_step = next(s for s in e.steps if s.op == "pow")
    assert pow_step.param == 3.0 and pow_step.evaluated == "3 * 1.5^(3-1)"
    assert pow_step.local == pytest.approx(3 * 1.5 ** 2)


def test_running_total_for_a_node_with_several_users():
    a = Value(2.0, label="a")
    y = a * a + a.exp()  # dy/da = 2a + e^a, from three edges
    steps = [s for s in explain(y).steps if s.input is a]
    assert [s.count for s in steps] == [1, 2, 3] and all(s.users == 3 for s in steps)
    assert [s.final for s in steps] == [False, False, True]
    assert steps[-1].total == pytest.approx(4 + math.exp(2))


def test_explain_changes_no_grad_and_honours_the_seed():
    o, xs = neuron()
    e = explain(o, gradient=2.0)
    assert all(v.grad == 0.0 for v in topological_order(o))
    o.backward(2.0)
    assert e.grad(xs["x"]) == pytest.approx(xs["x"].grad)


def test_renderers_show_every_step():
    o, _ = neuron()
    e = explain(o)
    text = e.to_text()
    assert text.startswith("Forward pass") and "o  = tanh(n) = 0.2913" in text
    assert text.count("local ") == len(e.steps) and "do/dx = 0.4576" in text
    md = e.to_markdown()
    assert md.count("\\frac{\\partial") >= 2 * len(e.steps) and r"1 - \tanh^2(\mathrm{n})" in md
    assert md.count("$") % 2 == 0
    assert r"\frac{\partial (\mathrm{v1} + \mathrm{b})}{\partial \mathrm{v1}} = 1$" in md  # the user's names
    assert str(e) == text and e._repr_markdown_() == md


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="root must be a Value"):
        explain(1.0)
    with pytest.raises(TypeError, match="gradient"):
        explain(Value(1.0), gradient="1")


def test_docstring_examples():
    result = doctest.testmod(sys.modules["autograd_lite.teaching.explain"], optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


SAFE = {  # ops that stay finite on any inputs in [-2, 2] (after tanh squashing)
    "add": lambda xs: xs[0] + xs[1], "sub": lambda xs: xs[0] - xs[1], "mul": lambda xs: xs[0] * xs[1],
    "tanh": lambda xs: xs[0].tanh(), "sigmoid": lambda xs: xs[0].sigmoid(), "sin": lambda xs: xs[0].sin(),
    "square": lambda xs: xs[0] ** 2, "relu": lambda xs: xs[0].relu(), "softplus": lambda xs: xs[0].softplus(),
    "sum": lambda xs: al.sum(xs), "dot": lambda xs: al.dot(xs[:2], xs[2:4]), "logsumexp": lambda xs: al.logsumexp(xs),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       st.lists(st.tuples(st.sampled_from(sorted(SAFE)), st.lists(st.integers(0, 1000), min_size=4, max_size=4)),
                min_size=1, max_size=12))
def test_random_graphs_contributions_add_up_to_every_gradient(leaves, recipe):
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for op, picks in recipe:
        inputs = [nodes[p % len(nodes)] for p in picks]  # reuse is likely: nodes with several users
        nodes.append(SAFE[op](inputs).tanh())  # tanh keeps every value in [-1, 1]
    root = al.sum(nodes[3:])
    e = explain(root)
    root.backward()
    totals = {root: 1.0}
    for s in e.steps:
        assert s.skipped == (s.upstream == 0.0)  # a dead relu's input: backward skips it
        totals[s.input] = totals.get(s.input, 0.0) + s.contribution
    for node in topological_order(root):
        assert totals[node] == node.grad and e.grad(node) == node.grad  # exactly: explain is backward's pass
        final = [s for s in e.steps if s.input is node and s.final]
        assert len(final) == (1 if node is not root else 0)


def test_bindings_keep_names_that_read_like_bindings():
    a, b = Value(2.0, label="p, q = r"), Value(3.0, label="s")
    e = explain(a * b)
    assert e.steps[0].pairs == (("a", "p, q = r"), ("b", "s")) and e.steps[0].bindings == "a = p, q = r, b = s"
    # the renderers put the names into the formula, a name that is not one token in parentheses
    assert e.steps[0].named_formula == "d((p, q = r) * s)/d(p, q = r) = s"
    assert r"\frac{\partial ((\mathrm{p,\ q\ =\ r}) \cdot \mathrm{s})}{\partial (\mathrm{p,\ q\ =\ r})}" in e.to_markdown()

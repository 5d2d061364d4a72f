"""``Value`` itself: construction, attributes, operators, n-ary nodes, backward, no_grad, detach.

Expected numbers are worked out by hand in the comments (or with an optional independent
oracle: micrograd 0.1.0 / PyTorch, skipped when not installed).
"""

from __future__ import annotations

import gc
import math
from fractions import Fraction

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value, grad, no_grad, topological_order


# --- construction and attributes -------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected"),
    [(3, 3.0), (-2.5, -2.5), (True, 1.0), (False, 0.0), (np.float32(1.5), 1.5), (np.int64(-7), -7.0),
     (np.float64(0.1), 0.1), (np.bool_(True), 1.0), (Fraction(1, 4), 0.25), (10**15, 1e15)],
)
def test_any_real_number_is_stored_as_float(data: object, expected: float) -> None:
    v = Value(data)
    assert type(v.data) is float and v.data == expected
    assert type(v.grad) is float and v.grad == 0.0
    assert v.label == "" and v.op == "" and v.inputs == () and v.param is None


def test_label_and_attributes_of_a_result() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert c.op == "mul" and c.inputs == (a, b) and c.data == -6.0 and c.grad == 0.0 and c.label == ""
    assert isinstance(c.inputs, tuple)
    c.label = "c"
    assert c.label == "c"
    assert Value(1.0, "w").label == "w"  # label is the second positional argument


def test_micrograd_aliases_prev_and_op() -> None:
    a, b = Value(2.0), Value(3.0)
    assert (a + b)._prev == {a, b} and (a + b)._op == "+"
    assert (a * b)._op == "*" and (a**2)._op == "**2" and a.relu()._op == "ReLU"
    assert (a * a)._prev == {a}  # a set, as in micrograd
    assert a._prev == set() and a._op == ""
    c = a + b
    for alias in ("_prev", "_op"):
        with pytest.raises(AttributeError):
            setattr(c, alias, None)


def test_repr_shows_data_grad_and_label() -> None:
    w = Value(2.5, label="w")
    (w * 3).backward()
    text = repr(w)
    assert "2.5" in text and "grad=3" in text and "'w'" in text
    assert "data=-1.25" in repr(Value(-1.25)) and "grad=0" in repr(Value(-1.25))


def test_values_hash_by_identity_and_compare_by_data() -> None:
    a, b = Value(1.0), Value(1.0)
    table = {a: "a", b: "b"}
    assert len(table) == 2 and table[a] == "a" and table[b] == "b"
    assert a == a and a != b and len({a, b, a}) == 2
    a.data = 5.0  # mutating data does not change the hash
    assert table[a] == "a"
    lo, hi = Value(-1.0), Value(2.0)
    assert lo < hi and hi > lo and lo <= hi and hi >= lo and not hi < lo
    assert lo < 0 and hi > 1.5 and lo <= -1 and hi >= 2 and 3 > hi and -2 < lo
    assert sorted([hi, lo]) == [lo, hi] and max([lo, hi]) is hi


def test_item_and_float() -> None:
    v = Value(np.float32(0.5)) * 4
    assert v.item() == 2.0 and type(v.item()) is float and float(v) == 2.0


# --- operators with numbers on either side ---------------------------------------------------
class _Float(float):
    """A float subclass: still a real number."""


@pytest.mark.parametrize(
    ("f", "value", "slope"),  # at x = 2: f(x), f'(x) worked out by hand
    [
        (lambda x: x + 3, 5.0, 1.0), (lambda x: 3 + x, 5.0, 1.0),
        (lambda x: x - 3, -1.0, 1.0), (lambda x: 3 - x, 1.0, -1.0),
        (lambda x: x * 3, 6.0, 3.0), (lambda x: 3 * x, 6.0, 3.0),
        (lambda x: x / 4, 0.5, 0.25), (lambda x: 4 / x, 2.0, -1.0),  # d(4/x) = -4/x^2
        (lambda x: x**3, 8.0, 12.0), (lambda x: 3**x, 9.0, 9.0 * math.log(3.0)),
        (lambda x: x ** Value(3.0), 8.0, 12.0), (lambda x: -x, -2.0, -1.0), (lambda x: +x, 2.0, 1.0),
        (lambda x: abs(-x), 2.0, 1.0), (lambda x: x * np.float64(3), 6.0, 3.0), (lambda x: np.float64(3) * x, 6.0, 3.0),
        (lambda x: x + True, 3.0, 1.0), (lambda x: x**0.5, math.sqrt(2.0), 0.5 / math.sqrt(2.0)),
        (lambda x: x ** np.int64(2), 4.0, 4.0), (lambda x: x + Fraction(1, 4), 2.25, 1.0),
        (lambda x: np.int64(3) - x, 1.0, -1.0), (lambda x: x - np.bool_(True), 1.0, 1.0),
        (lambda x: _Float(1.5) * x, 3.0, 1.5), (lambda x: x ** Fraction(1, 2), math.sqrt(2.0), 0.5 / math.sqrt(2.0)),
    ],
)
def test_operators_with_numbers_on_either_side(f, value: float, slope: float) -> None:
    x = Value(2.0)
    y = f(x)
    assert isinstance(y, Value)
    y.backward()
    assert y.data == pytest.approx(value, rel=1e-15) and x.grad == pytest.approx(slope, rel=1e-15)


def test_power_edges_follow_pytorch() -> None:
    x = Value(0.0)
    (x**0).backward()  # d(x^0)/dx = 0 everywhere, also at 0 (not 0 * 0^-1)
    assert x.grad == 0.0
    (d1,) = grad(x**2, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])  # the graph of d2 holds 2 * x**0
    assert (d1.data, d2.data, d3.data) == (0.0, 2.0, 0.0)
    a, b = Value(0.0, "a"), Value(2.0, "b")
    (a**b).backward()  # d/da = b a^(b-1) = 0; d/db = a^b log a -> 0 as a -> 0+
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_numbers_become_constant_leaves() -> None:
    x = Value(2.0)
    y = x * 3
    (c,) = [v for v in y.inputs if v is not x]
    assert c.data == 3.0 and c.op == "" and c.inputs == ()
    z = 2 ** x  # the base is a constant leaf, the exponent the Value
    assert z.op == "powv" and z.inputs[1] is x and z.inputs[0].data == 2.0


def test_methods_and_default_parameters() -> None:
    assert Value(-2.0).leaky_relu().data == pytest.approx(-0.02)  # slope=0.01
    assert Value(-2.0).elu().data == pytest.approx(math.expm1(-2.0))  # alpha=1.0
    assert Value(-2.0).leaky_relu(0.3).param == 0.3 and Value(-2.0).elu(alpha=2.0).param == 2.0
    assert (Value(2.0) ** 3).param == 3.0


def test_unsupported_operand_types_are_type_errors() -> None:
    x = Value(1.0)
    for other in ("a", None, [1.0], 1j):
        with pytest.raises(TypeError):
            x + other
        with pytest.raises(TypeError):
            other * x
    with pytest.raises(TypeError):
        x ** "2"


# --- n-ary helpers: one node each ------------------------------------------------------------
def test_sum_dot_logsumexp_make_one_node() -> None:
    xs = [Value(float(i), label=f"x{i}") for i in range(5)]
    ws = [Value(0.5 * i) for i in range(5)]
    s = ag.sum(xs)
    assert s.op == "sum" and s.inputs == tuple(xs) and s.data == 10.0
    assert len(topological_order(s)) == 6
    d = ag.dot(ws, xs)
    assert d.op == "dot" and d.inputs == tuple(ws) + tuple(xs) and d.data == 0.5 * (0 + 1 + 4 + 9 + 16)
    assert len(topological_order(d)) == 11
    neuron = ag.dot(ws, xs) + Value(1.0)  # w . x + b: two nodes, not 2n
    assert len([v for v in topological_order(neuron) if v.op]) == 2
    lse = ag.logsumexp(xs)
    assert lse.op == "logsumexp" and lse.data == pytest.approx(math.log(math.fsum(math.exp(i) for i in range(5))))


def test_n_ary_helpers_take_numbers_and_iterables() -> None:
    x = Value(2.0)
    s = ag.sum(v for v in [x, 3, 4.5])
    assert s.data == 9.5 and s.inputs[0] is x
    s.backward()
    assert x.grad == 1.0
    d = ag.dot([1.0, 2.0], (x, x))  # x used twice: d/dx = 1 + 2
    d.backward()
    assert d.data == 6.0 and x.grad == 4.0
    assert ag.sum([]).data == 0.0 and ag.dot([], []).data == 0.0


def test_n_ary_nodes_with_repeated_operands() -> None:
    x = Value(2.0)
    ag.sum([x, x, x]).backward()
    assert x.grad == 3.0
    x = Value(2.0)
    ag.dot([x, x], [x, 3.0]).backward()  # x^2 + 3x: 2x + 3
    assert x.grad == 7.0
    x = Value(2.0)
    y = ag.logsumexp([x, x])  # x + log 2: slope 1
    y.backward()
    assert y.data == pytest.approx(2.0 + math.log(2.0), rel=1e-15) and x.grad == pytest.approx(1.0, rel=1e-15)
    assert sum([x, x, 1.0]).data == 5.0  # Python's sum starts from 0: 0 + Value works


def test_n_ary_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="dot"):
        ag.dot([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="logsumexp"):
        ag.logsumexp([])
    with pytest.raises(TypeError, match="str"):
        ag.sum([Value(1.0), "2"])
    with pytest.raises(TypeError, match="NoneType"):
        ag.dot([None], [1.0])


# --- topological order ------------------------------------------------------------------------
def test_topological_order_puts_inputs_first_and_root_last() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = (d * c).tanh()
    order = topological_order(e)
    assert order[-1] is e and len(order) == len(set(order)) == 6  # a, b, c, d, d*c, e
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        assert all(position[u] < position[v] for u in v.inputs)


# --- backward -----------------------------------------------------------------------------------
def test_backward_seeds_the_root_with_gradient() -> None:
    x = Value(3.0)
    y = x * x
    y.backward(2.5)
    assert y.grad == 2.5 and x.grad == 2.5 * 6.0
    z = Value(4.0)
    z.backward()  # a leaf's own gradient is 1
    assert z.grad == 1.0


def test_shared_subexpressions() -> None:
    a = Value(3.0)
    b = a + a  # micrograd's classic: d b / d a = 2, not 1
    b.backward()
    assert a.grad == 2.0
    a = Value(3.0)
    b = a + a
    c = b * b  # c = 4 a^2: dc/da = 8 a = 24
    c.backward()
    assert a.grad == 24.0 and b.grad == 12.0
    x = Value(-2.0)
    y, z = x * 2, x * 3  # one node, two parents: d (2x + 3x) / dx = 5
    (y + z).backward()
    assert x.grad == 5.0
    x = Value(0.5)
    h = x.tanh()
    out = h * h + h  # h used three times: (2h + 1)(1 - h^2)
    out.backward()
    t = math.tanh(0.5)
    assert x.grad == pytest.approx((2 * t + 1) * (1 - t * t), rel=1e-15)


def test_second_backward_adds_exactly_like_pytorch() -> None:
    x, w = Value(1.5), Value(-0.5)
    h = (x * w).tanh()  # interior node
    y = h * h * 3.0
    y.backward()
    first = (x.grad, w.grad, h.grad)
    assert x.grad != 0.0
    y.backward()  # leaf grads add; interior grads must not feed back into the pass (micrograd gives 3x)
    assert (x.grad, w.grad, h.grad) == (2 * first[0], 2 * first[1], 2 * first[2])
    t = math.tanh(-0.75)  # dy/dx = 6 h (1 - h^2) w
    assert first[0] == pytest.approx(6 * t * (1 - t * t) * -0.5, rel=1e-14)


def test_backward_from_a_second_root_on_a_shared_graph_accumulates() -> None:
    x = Value(2.0)
    y = x * x
    z = y + x
    y.backward()  # dy/dx = 4
    z.backward()  # dz/dx = 5, plus dz/dy = 1 landing on y
    assert x.grad == 9.0 and y.grad == 2.0


def test_zeroing_grads_resets_accumulation() -> None:
    x = Value(2.0)
    y = x**2
    y.backward()
    for v in topological_order(y):
        v.grad = 0.0
    y.backward()
    assert x.grad == 4.0


# --- micrograd's own tests, numbers worked out by hand -----------------------------------------
def _sanity_check(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def _more_ops(V):
    a, b = V(-4.0), V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_sanity_check() -> None:
    # z = 3x + 2 = -10 < 0, so relu(z) = 0 and z^2 = 100 > 0 passes relu:
    # y = z^2 + z x + z x^2 = 100 + 40 - 160 = -20;  dy/dx = 6z + (6x + 2) + (9x^2 + 4x) = -60 - 22 + 128 = 46
    x, y = _sanity_check(Value)
    assert y.data == -20.0 and x.grad == 46.0


def test_micrograd_more_ops() -> None:
    # c = 3a + 4b + 3 = -1; d = 12(ab + b^3) + 4 relu(a + b) + relu(b - a) = 0 + 0 + 6; e = c - d = -7
    # g = e^2 / 2 + 10 / e^2;  dg/de = e - 20 / e^3
    # de/da = 3 - (12 b - 1) = -20 (relu(b - a) is active, relu(a + b) is not); de/db = 4 - (12 (a + 3 b^2) + 1) = -93
    a, b, g = _more_ops(Value)
    e = -7.0
    dg_de = e - 20.0 / e**3
    assert g.data == pytest.approx(e * e / 2 + 10 / (e * e), rel=1e-14)
    assert a.grad == pytest.approx(dg_de * -20.0, rel=1e-14)
    assert b.grad == pytest.approx(dg_de * -93.0, rel=1e-14)


def test_micrograd_tests_agree_with_micrograd_itself() -> None:
    mg = pytest.importorskip("micrograd.engine")
    x, y = _sanity_check(Value)
    x_mg, y_mg = _sanity_check(mg.Value)
    assert (y.data, x.grad) == (y_mg.data, x_mg.grad)
    a, b, g = _more_ops(Value)
    a_mg, b_mg, g_mg = _more_ops(mg.Value)
    assert g.data == pytest.approx(g_mg.data, rel=1e-12)
    assert (a.grad, b.grad) == pytest.approx((a_mg.grad, b_mg.grad), rel=1e-12)


def test_micrograd_tests_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")

    def leaf(v: float):
        return torch.tensor([v], dtype=torch.float64, requires_grad=True)

    x_t, y_t = _sanity_check(leaf)
    x, y = _sanity_check(Value)
    assert y.data == y_t.item() and x.grad == x_t.grad.item()
    a_t, b_t, g_t = _more_ops(leaf)
    a, b, g = _more_ops(Value)
    assert g.data == pytest.approx(g_t.item(), rel=1e-12)
    assert (a.grad, b.grad) == pytest.approx((a_t.grad.item(), b_t.grad.item()), rel=1e-12)


# --- no_grad and detach ---------------------------------------------------------------------------
def test_no_grad_records_nothing_and_restores() -> None:
    x = Value(2.0)
    assert ag.is_grad_enabled()
    with no_grad():
        assert not ag.is_grad_enabled()
        y = (x * 3).tanh() + ag.sum([x, x]) + ag.dot([x], [x]) + x**2
        with no_grad():
            pass
        assert not ag.is_grad_enabled()  # leaving an inner block keeps the outer one
    assert ag.is_grad_enabled()
    assert y.op == "" and y.inputs == () and y.data == pytest.approx(math.tanh(6.0) + 4 + 4 + 4)
    y.backward()
    assert x.grad == 0.0
    z = x * 3
    assert z.op == "mul" and z.inputs[0] is x
    with no_grad():  # backward itself works inside no_grad, as in PyTorch
        z.backward()
    assert x.grad == 3.0


def test_no_grad_restores_after_an_exception_and_works_as_a_decorator() -> None:
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            Value(1.0) / 0
    assert ag.is_grad_enabled()

    @no_grad()
    def step(v: Value) -> Value:
        assert not ag.is_grad_enabled()
        return v * v

    assert step(Value(3.0)).op == "" and step(Value(3.0)).data == 9.0
    assert ag.is_grad_enabled()


def test_detach_cuts_the_graph() -> None:
    x = Value(3.0, label="x")
    h = x * x
    d = h.detach()
    assert d is not h and d.data == 9.0 and d.op == "" and d.inputs == () and d.grad == 0.0
    y = d * x  # d treated as a constant: dy/dx = 9, not 27
    y.backward()
    assert x.grad == 9.0 and h.grad == 0.0 and d.grad == 3.0


def test_graphs_have_no_reference_cycles() -> None:
    """A Value keeps no closure and no link to its users, so a dropped graph is freed without the collector."""
    gc.collect()
    gc.disable()
    try:
        x, w = Value(0.5, "x"), Value(-1.5, "w")
        y = ag.logsumexp([(w * x).tanh(), x.sigmoid() ** 2, ag.dot([w], [x])]) / 3
        y.backward()
        (g,) = grad(y, [x], create_graph=True)
        grad(g, [x, w])
        del x, w, y, g
        assert gc.collect() == 0
    finally:
        gc.enable()


# --- no recursion limit -------------------------------------------------------------------------------
def test_a_chain_of_a_million_nodes_backpropagates() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y  # the cheapest op: one input, no constant leaf
    y.backward()
    assert y.data == 0.5 and x.grad == 1.0  # (-1)^1e6
    del y  # freeing the chain must not overflow the C stack either

"""``autograd_lite.grad``: gradients without touching ``.grad``, and higher orders with create_graph."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value, grad, no_grad, topological_order


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# f, then its 1st, 2nd and 3rd derivatives in closed form
CLOSED_FORMS = {
    "tanh": (lambda v: v.tanh(),
             lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
             lambda x: (6 * math.tanh(x) ** 2 - 2) * (1 - math.tanh(x) ** 2)),
    "sigmoid": (lambda v: v.sigmoid(),
                lambda x: _sig(x) * (1 - _sig(x)),
                lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
                lambda x: _sig(x) * (1 - _sig(x)) * (1 - 6 * _sig(x) + 6 * _sig(x) ** 2)),
    "exp": (lambda v: v.exp(), math.exp, math.exp, math.exp),
    "log": (lambda v: v.log(), lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "cube": (lambda v: v**3, lambda x: 3 * x**2, lambda x: 6 * x, lambda x: 6.0),
    "sin": (lambda v: v.sin(), math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
}
POINTS = {"log": [0.05, 0.7, 3.0, 40.0]}  # log needs x > 0


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_first_second_third_derivatives_match_closed_forms(name: str) -> None:
    f, d1, d2, d3 = CLOSED_FORMS[name]
    for x0 in POINTS.get(name, [-2.5, -0.7, 0.0, 0.3, 1.9]):
        x = Value(x0)
        (g1,) = grad(f(x), [x], create_graph=True)
        (g2,) = grad(g1, [x], create_graph=True)
        (g3,) = grad(g2, [x], create_graph=True)
        for got, want in ((g1, d1), (g2, d2), (g3, d3)):
            assert got.data == pytest.approx(want(x0), rel=1e-12, abs=1e-14), (name, x0)


def test_mixed_partials_of_a_two_variable_function() -> None:
    # f = x^2 y^3 + sin(x y)
    x0, y0 = 0.7, -1.3
    x, y = Value(x0), Value(y0)
    fx, fy = grad(x**2 * y**3 + (x * y).sin(), [x, y], create_graph=True)
    fxx, fxy = grad(fx, [x, y])
    fyx, fyy = grad(fy, [x, y])
    s, c = math.sin(x0 * y0), math.cos(x0 * y0)
    assert fx.data == pytest.approx(2 * x0 * y0**3 + y0 * c, rel=1e-13)
    assert fy.data == pytest.approx(3 * x0**2 * y0**2 + x0 * c, rel=1e-13)
    assert fxx.data == pytest.approx(2 * y0**3 - y0**2 * s, rel=1e-13)
    assert fyy.data == pytest.approx(6 * x0**2 * y0 - x0**2 * s, rel=1e-13)
    assert fxy.data == pytest.approx(6 * x0 * y0**2 + c - x0 * y0 * s, rel=1e-13)
    assert fyx.data == pytest.approx(fxy.data, rel=1e-13)


def test_hessian_of_logsumexp_is_diag_p_minus_p_p_transpose() -> None:
    z0 = [0.3, -1.2, 2.0, 0.0]
    z = [Value(v) for v in z0]
    p = np.exp(z0) / np.exp(z0).sum()
    firsts = grad(ag.logsumexp(z), z, create_graph=True)
    assert [g.data for g in firsts] == pytest.approx(list(p), rel=1e-13)
    hessian = [[h.data for h in grad(g, z)] for g in firsts]
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


def test_hessian_of_dot_pairs_each_weight_with_its_input() -> None:
    w, x = [Value(2.0), Value(-1.0)], [Value(0.5), Value(3.0)]
    firsts = grad(ag.dot(w, x), w + x, create_graph=True)
    assert [g.data for g in firsts] == [0.5, 3.0, 2.0, -1.0]
    hessian = [[h.data for h in grad(g, w + x)] for g in firsts]
    assert hessian == [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]


def test_shared_subexpressions_in_higher_orders() -> None:
    a = Value(3.0)
    b = a + a
    c = b * b  # 4 a^2
    (d1,) = grad(c, [a], create_graph=True)
    (d2,) = grad(d1, [a], create_graph=True)
    (d3,) = grad(d2, [a])
    assert (d1.data, d2.data, d3.data) == (24.0, 8.0, 0.0)


def test_backward_on_a_derivative_gives_the_second_derivative() -> None:
    """As in PyTorch: ``dy = grad(y, x, create_graph=True); dy.backward()`` puts y'' in x.grad."""
    x = Value(0.4)
    (dy,) = grad(x.tanh() * x, [x], create_graph=True)  # y = x tanh x
    assert x.grad == 0.0
    dy.backward()
    t = math.tanh(0.4)  # y'' = 2 (1 - t^2) - 2 x t (1 - t^2)
    second = 2 * (1 - t * t) - 2 * 0.4 * t * (1 - t * t)
    assert x.grad == pytest.approx(second, rel=1e-13)
    y = x.tanh() * x  # a fresh y: backward adds y' on top, nothing counted twice
    y.backward()
    assert x.grad == pytest.approx(second + dy.data, rel=1e-13)
    assert dy.data == pytest.approx(t + 0.4 * (1 - t * t), rel=1e-14)


def test_create_graph_inside_no_grad_still_records_like_pytorch() -> None:
    """PyTorch's autograd.grad(create_graph=True) builds the derivative graph even under no_grad."""
    x = Value(0.5)
    y = x**3
    with no_grad():
        (g,) = grad(y, [x], create_graph=True)
        assert not ag.is_grad_enabled()  # and no_grad is still on afterwards
    assert g.data == 0.75 and grad(g, [x])[0].data == 3.0


# --- grad() and .grad -----------------------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_does_not_touch_dot_grad(create_graph: bool) -> None:
    x, w = Value(1.5, "x"), Value(-2.0, "w")
    y = (w * x).sigmoid() * x
    nodes = topological_order(y)
    for i, v in enumerate(nodes):
        v.grad = 0.5 * i - 1.0
    before = [v.grad for v in nodes]
    gx, gw = grad(y, [x, w], create_graph=create_graph)
    assert [v.grad for v in nodes] == before
    s = _sig(-3.0)  # dy/dx = s + x s (1 - s) w;  dy/dw = x^2 s (1 - s)
    assert gx.data == pytest.approx(s + 1.5 * s * (1 - s) * -2.0, rel=1e-14)
    assert gw.data == pytest.approx(1.5**2 * s * (1 - s), rel=1e-14)
    y.backward()  # and a later backward still adds to the earlier .grad as usual
    assert x.grad == pytest.approx(before[nodes.index(x)] + gx.data, rel=1e-14)


def test_grad_returns_values_one_per_input() -> None:
    x, unused = Value(2.0), Value(5.0)
    y = x * x
    result = grad(y, [x, unused, y])
    assert isinstance(result, tuple) and len(result) == 3 and all(isinstance(g, Value) for g in result)
    assert [g.data for g in result] == [4.0, 0.0, 1.0]
    assert all(g.op == "" for g in result)  # plain leaves without create_graph
    assert grad(y, x)[0].data == 4.0  # one Value instead of a list
    assert grad(y, [x], gradient=3.0)[0].data == 12.0
    assert grad(y, [x])[0].data == 4.0  # no state left behind by earlier calls


def test_grad_with_respect_to_an_interior_node() -> None:
    x = Value(2.0)
    h = x * x
    z = h.exp() * 3
    (gh, gx) = grad(z, [h, x])
    assert gh.data == pytest.approx(3 * math.exp(4.0)) and gx.data == pytest.approx(3 * math.exp(4.0) * 4.0)


def test_create_graph_results_are_differentiable_graphs_over_the_inputs() -> None:
    x = Value(0.5)
    (g,) = grad(x.sin() * x, [x], create_graph=True)
    assert g.op != "" and x in topological_order(g)
    (unused,) = grad(Value(1.0) * 2, [x], create_graph=True)
    assert unused.data == 0.0 and grad(unused, [x])[0].data == 0.0


# --- the notes' deltas ----------------------------------------------------------------------------
@pytest.mark.parametrize(("a0", "t"), [(0.8, 1.0), (-1.7, 0.0), (0.0, 1.0), (3.0, 0.0)])
def test_sigmoid_with_log_loss_gives_sigma_minus_t(a0: float, t: float) -> None:
    """Notes 000/003: for L = -t log s - (1 - t) log(1 - s), s = sigma(a): dL/da = sigma(a) - t."""
    a = Value(a0, "a")
    s = a.sigmoid()
    loss = -(t * s.log() + (1 - t) * (1 - s).log())
    (delta,) = grad(loss, [a], create_graph=True)
    assert delta.data == pytest.approx(_sig(a0) - t, rel=1e-12)
    (curvature,) = grad(delta, [a])  # d/da (sigma - t) = sigma (1 - sigma)
    assert curvature.data == pytest.approx(_sig(a0) * (1 - _sig(a0)), rel=1e-11)


def test_softmax_with_cross_entropy_gives_y_hat_minus_y() -> None:
    """Note 001 eq. 19: for C = -log softmax(z)_k = logsumexp(z) - z_k: dC/dz = y_hat - y."""
    z0, k = [1.0, -0.5, 2.5], 1
    z = [Value(v, f"z{i}") for i, v in enumerate(z0)]
    cost = ag.logsumexp(z) - z[k]
    cost.backward()
    y_hat = np.exp(z0) / np.exp(z0).sum()
    y = np.eye(3)[k]
    assert [v.grad for v in z] == pytest.approx(list(y_hat - y), rel=1e-13)

"""Every op in ``autograd_lite.OPS``, driven from the table: forward, local derivatives, higher orders.

Each op needs an entry in ``CASES`` below (how to build it through the public API, an
independent numpy/math reference for its forward, and sample points): ``test_every_op_is_tested``
fails the moment the table gains an op without one. The reference is the oracle: local
derivatives are checked against central differences of the *reference*, not of the table's
own forward, so a wrong forward and a matching wrong derivative cannot hide each other.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import OPS, Value, grad, scalar_math
from autograd_lite.core.ops import BUILT_IN
from autograd_lite.core.value_math import value_math


@dataclass(frozen=True)
class Case:
    build: Callable[[list[Value], Any], Value]  # the op through the public API
    reference: Callable[[list[float], Any], float]  # forward, written independently of the engine
    points: tuple[tuple[tuple[float, ...], Any], ...]  # (inputs, param): include the edges
    domain: tuple[float, float]  # where random inputs are drawn from
    params: tuple[Any, ...] = (None,)
    kink: bool = False  # not differentiable at 0: random points keep away from it


def _half(vs: list[Any]) -> int:
    return len(vs) // 2


def _sigmoid_ref(x: float) -> float:
    return math.exp(-float(np.logaddexp(0.0, -x)))  # 1 / (1 + e^-x) = e^-log(1 + e^-x), never overflows


CASES: dict[str, Case] = {
    "add": Case(lambda v, p: v[0] + v[1], lambda x, p: x[0] + x[1],
                (((1.5, -2.0), None), ((0.0, 3.0), None), ((-1e3, 1e-3), None)), (-10, 10)),
    "sub": Case(lambda v, p: v[0] - v[1], lambda x, p: x[0] - x[1],
                (((1.5, -2.0), None), ((0.0, 3.0), None), ((-1e3, 1e-3), None)), (-10, 10)),
    "mul": Case(lambda v, p: v[0] * v[1], lambda x, p: x[0] * x[1],
                (((1.5, -2.0), None), ((0.0, 3.0), None), ((-1e3, 1e-3), None)), (-10, 10)),
    "div": Case(lambda v, p: v[0] / v[1], lambda x, p: x[0] / x[1],
                (((1.0, 2.0), None), ((-3.0, 1e-3), None), ((2.0, -0.5), None), ((0.0, 7.0), None)), (0.1, 10)),
    "neg": Case(lambda v, p: -v[0], lambda x, p: -x[0], (((2.5,), None), ((0.0,), None), ((-1e-3,), None)), (-10, 10)),
    "pow": Case(lambda v, p: v[0] ** p, lambda x, p: x[0] ** p,
                (((2.0,), 3), ((-2.0,), 3), ((-1.5,), 2), ((0.0,), 2), ((0.5,), 0.5), ((1e-3,), 0.5),
                 ((1e-6,), 0.5), ((2.0,), -1), ((-2.0,), -2), ((3.0,), -0.5), ((1.7,), 2.5), ((5.0,), 0),
                 ((5.0,), 1), ((-0.3,), 1), ((0.8,), 1 / 3), ((0.0,), 0), ((0.0,), 1)),
                (0.01, 5), params=(2, 3, -1, -2, 0.5, 2.5, -0.5, 1 / 3)),
    "powv": Case(lambda v, p: v[0] ** v[1], lambda x, p: x[0] ** x[1],
                 (((2.0, 3.0), None), ((0.5, -1.5), None), ((1e-3, 0.5), None), ((3.0, 0.0), None),
                  ((7.0, 1.0), None)), (0.01, 5)),
    "exp": Case(lambda v, p: v[0].exp(), lambda x, p: math.exp(x[0]),
                (((-700.0,), None), ((-5.0,), None), ((0.0,), None), ((1.0,), None), ((700.0,), None)), (-50, 50)),
    "log": Case(lambda v, p: v[0].log(), lambda x, p: math.log(x[0]),
                (((1e-6,), None), ((1e-3,), None), ((0.5,), None), ((1.0,), None), ((1e6,), None)), (1e-6, 1e6)),
    "sqrt": Case(lambda v, p: v[0].sqrt(), lambda x, p: math.sqrt(x[0]),
                 (((1e-6,), None), ((1e-3,), None), ((2.0,), None), ((1e6,), None)), (1e-6, 1e6)),
    "tanh": Case(lambda v, p: v[0].tanh(), lambda x, p: float(np.tanh(x[0])),
                 (((-20.0,), None), ((-1.0,), None), ((0.0,), None), ((0.5,), None), ((3.0,), None),
                  ((1000.0,), None), ((-1000.0,), None)), (-20, 20)),
    "sigmoid": Case(lambda v, p: v[0].sigmoid(), lambda x, p: _sigmoid_ref(x[0]),
                    (((-1000.0,), None), ((-5.0,), None), ((0.0,), None), ((2.0,), None), ((1000.0,), None)),
                    (-40, 40)),
    "relu": Case(lambda v, p: v[0].relu(), lambda x, p: max(x[0], 0.0),
                 (((-1e-3,), None), ((1e-3,), None), ((-3.0,), None), ((2.5,), None)), (-10, 10), kink=True),
    "leaky_relu": Case(lambda v, p: v[0].leaky_relu(p), lambda x, p: x[0] if x[0] > 0 else p * x[0],
                       (((-1e-3,), 0.01), ((1e-3,), 0.01), ((-2.0,), 0.2), ((2.0,), 0.2), ((-1.0,), 1.5)),
                       (-10, 10), params=(0.01, 0.2, 1.5), kink=True),
    "elu": Case(lambda v, p: v[0].elu(p), lambda x, p: x[0] if x[0] > 0 else p * float(np.expm1(x[0])),
                (((-1e-3,), 1.0), ((1e-3,), 1.0), ((-3.0,), 0.5), ((2.0,), 0.5), ((-30.0,), 1.0), ((-0.7,), 2.0)),
                (-30, 10), params=(1.0, 0.5, 2.0), kink=True),
    "softplus": Case(lambda v, p: v[0].softplus(), lambda x, p: float(np.logaddexp(0.0, x[0])),
                     (((-1000.0,), None), ((-30.0,), None), ((-1.0,), None), ((0.0,), None), ((1.0,), None),
                      ((30.0,), None), ((1000.0,), None)), (-40, 40)),
    "sin": Case(lambda v, p: v[0].sin(), lambda x, p: float(np.sin(x[0])),
                (((-3.0,), None), ((0.0,), None), ((1.0,), None), ((1e3,), None)), (-10, 10)),
    "cos": Case(lambda v, p: v[0].cos(), lambda x, p: float(np.cos(x[0])),
                (((-3.0,), None), ((0.0,), None), ((1.0,), None), ((1e3,), None)), (-10, 10)),
    "abs": Case(lambda v, p: abs(v[0]), lambda x, p: math.fabs(x[0]),
                (((-2.0,), None), ((-1e-3,), None), ((1e-3,), None), ((5.0,), None)), (-10, 10), kink=True),
    "sum": Case(lambda v, p: ag.sum(v), lambda x, p: math.fsum(x),
                (((2.5,), None), ((1.0, -2.0), None), ((0.5, -1.0, 3.0, 1e-3, -7.0), None)), (-10, 10)),
    "dot": Case(lambda v, p: ag.dot(v[: _half(v)], v[_half(v):]), lambda x, p: float(np.dot(x[: _half(x)], x[_half(x):])),
                (((2.0, -3.0), None), ((1.0, -2.0, 0.5, 4.0), None), ((0.5, -1.0, 3.0, 2.0, 0.0, -7.0), None)),
                (-10, 10)),
    "logsumexp": Case(lambda v, p: ag.logsumexp(v), lambda x, p: float(np.logaddexp.reduce(x)),
                      (((2.5,), None), ((1.0, -2.0), None), ((0.5, -1.0, 3.0, 0.0), None),
                       ((1000.0, -1000.0, 999.0), None), ((-1000.0, -1000.0), None)), (-50, 50)),
}

POINTS = [pytest.param(name, xs, p, id=f"{name}{list(xs)}" + ("" if p is None else f"p={p:.3g}"))
          for name, case in CASES.items() for xs, p in case.points]


def _leaves(xs: tuple[float, ...]) -> list[Value]:
    return [Value(x, label=f"x{i}") for i, x in enumerate(xs)]


def test_every_op_is_tested() -> None:
    assert set(BUILT_IN) == set(CASES), "add a Case for every built-in op (and drop cases for removed ops)"


@pytest.mark.parametrize(("name", "xs", "p"), POINTS)
def test_forward_matches_reference(name: str, xs: tuple[float, ...], p: Any) -> None:
    case, op = CASES[name], OPS[name]
    y = case.build(_leaves(xs), p)
    assert y.data == pytest.approx(case.reference(list(xs), p), rel=1e-12, abs=1e-300)
    assert op.forward(scalar_math, xs, p) == y.data
    assert y.op == name and len(y.inputs) == len(xs) and [v.data for v in y.inputs] == list(xs)


@pytest.mark.parametrize(("name", "xs", "p"), POINTS)
def test_local_derivatives_match_finite_differences(name: str, xs: tuple[float, ...], p: Any, fd) -> None:
    case, op = CASES[name], OPS[name]
    y = op.forward(scalar_math, xs, p)
    local = op.local(scalar_math, xs, y, p)
    assert len(local) == len(xs)
    for i, d in enumerate(local):
        assert d == pytest.approx(fd(lambda x: case.reference(x, p), xs, i), rel=1e-6, abs=1e-9), f"d y / d x{i}"


@pytest.mark.parametrize(("name", "xs", "p"), POINTS)
def test_backward_through_the_api_matches_finite_differences(name: str, xs: tuple[float, ...], p: Any, fd) -> None:
    case = CASES[name]
    leaves = _leaves(xs)
    case.build(leaves, p).backward()
    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(fd(lambda x: case.reference(x, p), xs, i), rel=1e-6, abs=1e-9)


def _softmax(x: list[float]) -> list[float]:
    e = np.exp(np.asarray(x) - max(x))
    return list(e / e.sum())


# Closed forms from calculus (notes 000/003: sigma' = sigma (1 - sigma)), for the ops that have one.
CLOSED_FORMS: dict[str, Callable[[list[float], Any], list[float]]] = {
    "tanh": lambda x, p: [1.0 - math.tanh(x[0]) ** 2],
    "sigmoid": lambda x, p: [_sigmoid_ref(x[0]) * (1.0 - _sigmoid_ref(x[0]))],
    "exp": lambda x, p: [math.exp(x[0])],
    "log": lambda x, p: [1.0 / x[0]],
    "sqrt": lambda x, p: [0.5 / math.sqrt(x[0])],
    "sin": lambda x, p: [math.cos(x[0])],
    "cos": lambda x, p: [-math.sin(x[0])],
    "softplus": lambda x, p: [_sigmoid_ref(x[0])],
    "pow": lambda x, p: [p * x[0] ** (p - 1) if p != 0 else 0.0],
    "powv": lambda x, p: [x[1] * x[0] ** (x[1] - 1), x[0] ** x[1] * math.log(x[0])],
    "div": lambda x, p: [1.0 / x[1], -x[0] / x[1] ** 2],
    "mul": lambda x, p: [x[1], x[0]],
    "dot": lambda x, p: x[_half(x):] + x[: _half(x)],
    "sum": lambda x, p: [1.0] * len(x),
    "logsumexp": lambda x, p: _softmax(x),
    "relu": lambda x, p: [1.0 if x[0] > 0 else 0.0],  # PyTorch: 0 at the kink
    "leaky_relu": lambda x, p: [1.0 if x[0] > 0 else p],
    "elu": lambda x, p: [1.0 if x[0] > 0 else p * math.exp(x[0])],
    "abs": lambda x, p: [float(np.sign(x[0]))],
}
CLOSED_POINTS = [param for param in POINTS if param.values[0] in CLOSED_FORMS]


@pytest.mark.parametrize(("name", "xs", "p"), CLOSED_POINTS)
def test_local_derivatives_match_closed_forms(name: str, xs: tuple[float, ...], p: Any) -> None:
    op = OPS[name]
    local = op.local(scalar_math, xs, op.forward(scalar_math, xs, p), p)
    # abs=1e-15: derivatives written from the output (sigmoid y (1 - y), tanh 1 - y^2) lose relative
    # accuracy in a saturated tail, as PyTorch's do; the absolute error there is below 1e-16.
    assert list(local) == pytest.approx(CLOSED_FORMS[name](list(xs), p), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("x", [0.0, 1e-3, -1e-3])
def test_kinks_follow_pytorch(x: float) -> None:
    """At exactly 0 relu' = 0, |u|' = 0, leaky_relu' = slope, elu' = alpha (PyTorch's choices)."""
    for name, expected in [("relu", float(x > 0)), ("abs", float(np.sign(x))),
                           ("leaky_relu", 1.0 if x > 0 else 0.1), ("elu", 1.0 if x > 0 else 0.5 * math.exp(x))]:
        u = Value(x)
        CASES[name].build([u], {"leaky_relu": 0.1, "elu": 0.5}.get(name)).backward()
        assert u.grad == pytest.approx(expected, rel=1e-12), name


@pytest.mark.parametrize("x0", [-30.0, -40.0, -700.0])
def test_elu_derivative_keeps_relative_accuracy_in_the_tail(x0: float) -> None:
    """elu'(x) = alpha e^x: written as y + alpha it would cancel (off by 2e-4 at -30, 0 at -40)."""
    x = Value(x0)
    x.elu(0.5).backward()
    assert x.grad == pytest.approx(0.5 * math.exp(x0), rel=1e-12, abs=0.0)


def _first_derivative(case: Case, xs: list[float], p: Any, i: int) -> float:
    """d y / d x_i from the engine (floats): the function whose differences give the next order."""
    leaves = _leaves(tuple(xs))
    return grad(case.build(leaves, p), leaves)[i].data


@pytest.mark.parametrize(("name", "xs", "p"), POINTS)
def test_second_derivatives_match_finite_differences_of_the_first(
    name: str, xs: tuple[float, ...], p: Any, fd
) -> None:
    case = CASES[name]
    leaves = _leaves(xs)
    firsts = grad(case.build(leaves, p), leaves, create_graph=True)
    for i, d_i in enumerate(firsts):
        assert d_i.data == pytest.approx(_first_derivative(case, list(xs), p, i), rel=1e-12, abs=1e-300)
        seconds = grad(d_i, leaves)
        for j, d_ij in enumerate(seconds):
            expected = fd(lambda x: _first_derivative(case, x, p, i), xs, j)
            assert d_ij.data == pytest.approx(expected, rel=1e-5, abs=1e-8), f"d2 y / d x{i} d x{j}"


UNARY_POINTS = [param for param in POINTS if OPS[param.values[0]].arity == 1]


@pytest.mark.parametrize(("name", "xs", "p"), UNARY_POINTS)
def test_third_derivatives_of_unary_ops_match_finite_differences(name: str, xs: tuple[float, ...], p: Any, fd) -> None:
    case = CASES[name]

    def second(x: list[float]) -> float:
        (u,) = _leaves(tuple(x))
        (d1,) = grad(case.build([u], p), [u], create_graph=True)
        return grad(d1, [u])[0].data

    (u,) = _leaves(xs)
    (d1,) = grad(case.build([u], p), [u], create_graph=True)
    (d2,) = grad(d1, [u], create_graph=True)
    (d3,) = grad(d2, [u])
    assert d2.data == pytest.approx(second(list(xs)), rel=1e-12, abs=1e-300)
    assert d3.data == pytest.approx(fd(second, xs, 0), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize(("name", "xs", "p"), POINTS)
def test_local_with_values_agrees_with_local_with_floats(name: str, xs: tuple[float, ...], p: Any) -> None:
    """The table's local derivatives evaluated on Values (for create_graph) give the float numbers."""
    op = OPS[name]
    leaves = _leaves(xs)
    y = CASES[name].build(leaves, p)
    on_values = op.local(value_math, tuple(leaves), y, p)
    on_floats = op.local(scalar_math, xs, y.data, p)
    assert [float(d.data if isinstance(d, Value) else d) for d in on_values] == pytest.approx(list(on_floats), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(CASES))
def test_local_derivatives_at_random_points(name: str, data: st.DataObject, fd) -> None:
    case, op = CASES[name], OPS[name]
    lo, hi = case.domain
    count = op.arity or data.draw(st.integers(1, 3)) * (2 if name == "dot" else 1)
    # Differences need |x| >= 1e-3 (or exactly 0) to be accurate; the edges are in CASES' fixed points.
    away_from_kink = st.floats(lo, hi).filter(lambda v: abs(v) >= 1e-3 or (v == 0.0 and not case.kink))
    xs = tuple(data.draw(st.lists(away_from_kink, min_size=count, max_size=count)))
    p = data.draw(st.sampled_from(case.params))
    y = op.forward(scalar_math, xs, p)
    assert y == pytest.approx(case.reference(list(xs), p), rel=1e-12, abs=1e-15)
    noise = 1e-7 * (1.0 + abs(y))  # rounding in the differences grows with |y|
    for i, d in enumerate(op.local(scalar_math, xs, y, p)):
        assert d == pytest.approx(fd(lambda x: case.reference(x, p), xs, i), rel=1e-5, abs=noise)


EXTREMES = (-1e300, -1000.0, -1.0, 0.0, 1e-300, 1.0, 1000.0, 1e300)


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_op_ever_returns_nan_or_inf(name: str) -> None:
    """At every extreme input an op gives finite data and finite gradients, or raises a domain error naming it."""
    case, op = CASES[name], OPS[name]
    params = case.params + ((1e300,) if name in ("leaky_relu", "elu") else (0.0,) if name == "pow" else ())
    finished = 0
    for xs in itertools.product(EXTREMES, repeat=op.arity or 2):
        for p in params:
            try:
                y = case.build(_leaves(xs), p)
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                assert name in str(error)
                continue
            assert math.isfinite(y.data), (xs, p, y.data)
            try:
                y.backward()
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                assert "backward" in str(error)
                continue
            finished += 1
            assert all(math.isfinite(v.grad) for v in ag.topological_order(y)), (xs, p)
            try:  # and the same for second derivatives
                seconds = [grad(d, y.inputs) for d in grad(y, y.inputs, create_graph=True)]
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            assert all(math.isfinite(h.data) for row in seconds for h in row), (xs, p)
    assert finished > 0


# --- the table's text fields, which the renderer and the explainer read ---------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_text_fields(name: str) -> None:
    op = OPS[name]
    xs, p = CASES[name].points[-1]
    assert op.name == name
    n = len(xs)
    assert op.arity in (0, n)
    if op.arity:
        assert len(op.partials) == len(op.partials_latex) == op.arity
    names = [f"v{i}" for i in range(n)]
    shown = op.show(names, p)
    assert all(v in shown for v in names), shown
    for i in range(n):
        assert op.partial(i, n) and op.partial(i, n, latex=True)
    y = CASES[name].build(_leaves(xs), p)
    assert y._op == op.label(p) and isinstance(y._op, str) and y._op


def test_partial_names_the_right_operand_of_n_ary_ops() -> None:
    assert OPS["dot"].partial(0, 4) == "x_1" and OPS["dot"].partial(1, 4) == "x_2"
    assert OPS["dot"].partial(2, 4) == "w_1" and OPS["dot"].partial(3, 4) == "w_2"
    assert OPS["logsumexp"].partial(2, 3) == "exp(x_3 - y)"
    assert OPS["tanh"].partial(0, 1) == "1 - tanh(u)^2"
    assert OPS["pow"].label(3) == "**3" and OPS["pow"].label(0.5) == "**0.5"
    assert OPS["add"].show(["a", "b"]) == "a + b"

"""Engine edges: a Value compares and tests true as its float does, and a ** b backpropagates at the limits
where PyTorch does (a = 0 or subnormal with b = 0; a = 0 with b > 0)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import TraceError, Value, grad

INF = float("inf")
reals = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def test_the_best_so_far_idiom_works():
    best = INF
    for loss in (Value(3.0), Value(1.5), Value(2.0)):
        if loss < best:
            best = loss
    assert best.data == 1.5
    assert Value(1.0) > -INF and Value(1e308) < INF and not Value(1.0) > INF


@given(x=reals, y=st.one_of(reals, st.just(INF), st.just(-INF), st.integers(-10**30, 10**30)))
def test_comparisons_follow_the_floats(x, y):
    v = Value(x)
    assert (v < y, v <= y, v > y, v >= y) == (x < y, x <= y, x > y, x >= y)
    if math.isfinite(float(y)):
        assert (v < Value(float(y))) == (x < float(y))


def test_comparing_with_nan_or_a_non_number_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        Value(1.0) < float("nan")  # noqa: B015
    with pytest.raises(TypeError):
        Value(1.0) < "1"  # noqa: B015
    with pytest.raises(TypeError):
        Value(1.0) < [1.0]  # noqa: B015


@given(reals)
def test_truth_follows_the_data(x):
    assert bool(Value(x)) is bool(x)
    assert bool(Value(x) * 0) is False


def test_truth_of_a_traced_value_is_refused():
    with pytest.raises(TraceError, match="tests the truth of input 0"):
        ag.compile(lambda x: x * 2 if x else x, [1.0])


@pytest.mark.parametrize("a, b, da, db", [
    (0.0, 0.0, 0.0, 0.0),  # PyTorch's limits: d/da = b a^(b-1) = 0 at b = 0; d/db = 0 where a = 0
    (5e-324, 0.0, 0.0, math.log(5e-324)),  # a^(b-1) would overflow; b = 0 makes d/da 0
    (0.0, 2.0, 0.0, 0.0),
    (0.0, 0.5, None, 0.0),  # d/da = 0.5 * 0^-0.5: infinite, refused
    (2.0, 3.0, 12.0, 8.0 * math.log(2.0)),
    (1e-300, 0.0, 0.0, math.log(1e-300)),
])
def test_value_exponent_limits(a, b, da, db):
    x, y = Value(a), Value(b)
    z = x ** y
    if da is None:
        with pytest.raises(ZeroDivisionError, match="powv"):
            z.backward()
        assert (x.grad, y.grad) == (0.0, 0.0)  # a failed backward leaves every .grad as it was
        return
    z.backward()
    assert x.grad == pytest.approx(da) and y.grad == pytest.approx(db)
    assert [g.data for g in grad(x ** y, [x, y], create_graph=True)] == pytest.approx([da, db])


def test_a_negative_base_with_a_value_exponent_is_still_refused():
    x, y = Value(-2.0), Value(2.0)
    with pytest.raises(ValueError, match="log"):
        (x ** y).backward()


def test_second_derivative_in_b_survives_at_b_zero():
    """d/da (a^b) = b a^(b-1) is 0 at b = 0, but its derivative in b there is a^-1 (the Value graph keeps it)."""
    x, y = Value(3.0), Value(0.0)
    (da, _) = grad(x ** y, [x, y], create_graph=True)
    assert da.data == 0.0 and grad(da, [y])[0].data == pytest.approx(1 / 3)


def test_the_tape_takes_the_same_limits():
    a, b = Value(0.0), Value(0.0)
    tape = ag.compile(lambda t: (a + t) ** (b * t), [1.0], [a, b])
    _, grads = tape.value_and_grad(np.array([0.0, 0.0]))
    assert grads.tolist() == [0.0, 0.0]

"""array_math (numpy) must agree with scalar_math (floats) element by element, and fail the same way."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import array_math, scalar_math

POINTS = [-1000.0, -709.0, -30.0, -2.5, -1.0, -1e-3, -1e-300, 0.0, 1e-300, 1e-6, 0.3, 1.0, 2.5, 30.0, 700.0, 1000.0]
POSITIVE = [p for p in POINTS if p > 0]
UNARY = ["tanh", "sigmoid", "softplus", "relu", "step", "sign", "sin", "cos", "abs"]


def scalar_or_error(f, *args):
    try:
        return f(*args)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        return type(error)


def assert_matches_scalar(name: str, xs: list[float], *extra: float) -> None:
    got = getattr(array_math, name)(np.array(xs), *extra)
    want = [getattr(scalar_math, name)(x, *extra) for x in xs]
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (len(xs),)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0.0)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_match_scalar_math_everywhere(name):
    assert_matches_scalar(name, POINTS)


@pytest.mark.parametrize("name, param", [("leaky_relu", 0.01), ("leaky_relu", 0.2), ("elu", 1.0), ("elu", 0.5)])
def test_parametrised_activations_match(name, param):
    assert_matches_scalar(name, POINTS, param)


@pytest.mark.parametrize("name, domain", [("exp", [p for p in POINTS if p < 709.7]), ("log", POSITIVE),
                                          ("sqrt", [p for p in POINTS if p >= 0])])
def test_functions_with_a_domain_match_inside_it(name, domain):
    assert_matches_scalar(name, domain)


def test_pow_and_div_match_on_a_grid_of_pairs():
    bases = [-3.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.0, 7.0]
    powers = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 2.5]
    for x in bases:
        for p in powers:
            want = scalar_or_error(scalar_math.pow, x, p)
            got = scalar_or_error(array_math.pow, np.array([1.0, x]), p)
            if isinstance(want, type):
                assert got is want, (x, p)
            else:
                assert got[1] == pytest.approx(want, rel=1e-15), (x, p)
            # p as an array too (the powv op passes the exponent per sample)
            got = scalar_or_error(array_math.pow, np.array([x]), np.array([p]))
            assert (got is want) if isinstance(want, type) else got[0] == pytest.approx(want, rel=1e-15)
    for a in [-2.0, 0.0, 3.5]:
        for b in [-4.0, -1e-3, 0.25, 9.0]:
            assert array_math.div(np.array([a]), np.array([b]))[0] == scalar_math.div(a, b)


def test_logsumexp_matches_and_never_overflows():
    rng = np.random.default_rng(0)
    cols = [rng.normal(scale=s, size=50) for s in (1.0, 10.0, 300.0)]
    got = array_math.logsumexp(*cols)
    want = [scalar_math.logsumexp(*row) for row in zip(*cols)]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    big = array_math.logsumexp(np.array([1000.0, -1000.0]), np.array([1000.0, -1000.0]))
    np.testing.assert_allclose(big, [1000.0 + math.log(2), -1000.0 + math.log(2)], rtol=1e-15)
    # broadcasting: a constant column against a batch
    np.testing.assert_allclose(array_math.logsumexp(0.0, np.array([0.0, 1.0])),
                               [math.log(2), math.log(1 + math.e)], rtol=1e-15)


@pytest.mark.parametrize("call, error, words", [
    (lambda: array_math.log(np.array([1.0, 2.0, -0.5, 0.0])), ValueError, ["log", "positive", "-0.5", "(2,)", "2 of 4"]),
    (lambda: array_math.sqrt(np.array([[4.0], [-1.0]])), ValueError, ["sqrt", "-1.0", "(1, 0)"]),
    (lambda: array_math.exp(np.array([1.0, 800.0])), OverflowError, ["exp", "800.0", "(1,)"]),
    (lambda: array_math.div(1.0, np.array([2.0, 0.0])), ZeroDivisionError, ["division by zero", "(1,)"]),
    (lambda: array_math.pow(np.array([0.0]), -1.0), ZeroDivisionError, ["negative power", "0.0, -1.0"]),
    (lambda: array_math.pow(np.array([2.0, -8.0]), np.array([0.5, 1 / 3])), ValueError, ["fractional", "-8.0"]),
    (lambda: array_math.pow(np.array([10.0]), 400.0), OverflowError, ["largest float", "10.0, 400.0"]),
])
def test_domain_errors_name_the_op_the_value_and_where(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)
    assert isinstance(info.value.index, tuple)


def test_same_error_types_as_scalar_math_on_every_bad_input():
    cases = [("log", (0.0,)), ("log", (-1.0,)), ("sqrt", (-1e-300,)), ("exp", (710.0,)), ("div", (1.0, 0.0)),
             ("pow", (0.0, -0.5)), ("pow", (-2.0, 0.5)), ("pow", (1e200, 2.0))]
    for name, args in cases:
        want = scalar_or_error(getattr(scalar_math, name), *args)
        got = scalar_or_error(getattr(array_math, name), *(np.array([a]) for a in args))
        assert isinstance(want, type) and got is want, (name, args, want, got)


def test_every_name_of_the_scalar_namespace_is_here():
    public = {n for n in dir(scalar_math) if not n.startswith("_") and n not in {"math", "annotations"}}
    assert public <= set(dir(array_math)), public - set(dir(array_math))


def test_xlogy_matches_and_is_zero_where_x_is_zero():
    x = np.array([0.0, 0.0, 2.0, -1.5, 3.0])
    y = np.array([0.0, 5.0, 0.5, 7.0, 1e-300])
    np.testing.assert_allclose(array_math.xlogy(x, y), [scalar_math.xlogy(a, b) for a, b in zip(x, y)], rtol=1e-15)
    with pytest.raises(ValueError, match="positive"):
        array_math.xlogy(np.array([1.0]), np.array([0.0]))

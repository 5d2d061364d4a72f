"""Bad input: clear errors that name the type, op, operand value and label; never a silent NaN."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value, grad, topological_order

DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("1.0", "str"), ([1.0], "list"), ((1.0,), "tuple"), (1 + 2j, "complex"), (None, "NoneType"),
     (np.array(1.0), "ndarray"), (np.array([1.0, 2.0]), "ndarray"), ({"x": 1}, "dict"), (np.complex128(1), "complex")],
)
def test_value_of_a_non_real_is_a_type_error_naming_the_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)


@pytest.mark.parametrize("data", [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("-inf")])
def test_value_of_a_non_finite_number_is_a_value_error(data: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(data)


@pytest.mark.parametrize(
    ("make", "error", "op", "shown"),
    [
        (lambda: Value(-1.0, "x").log(), ValueError, "log", "-1.0"),
        (lambda: Value(0.0, "x").log(), ValueError, "log", "0.0"),
        (lambda: Value(-4.0, "x").sqrt(), ValueError, "sqrt", "-4.0"),
        (lambda: Value(1.5, "x") / Value(0.0, "y"), ZeroDivisionError, "div", "0.0"),
        (lambda: Value(1.5, "x") / 0, ZeroDivisionError, "div", "1.5"),
        (lambda: 2 / Value(0.0, "x"), ZeroDivisionError, "div", "0.0"),
        (lambda: Value(0.0, "x") ** -1, ZeroDivisionError, "pow", "0.0"),
        (lambda: Value(0.0, "x") ** -0.5, ZeroDivisionError, "pow", "0.0"),
        (lambda: Value(0.0, "x") ** Value(-2.0), ZeroDivisionError, "powv", "0.0"),
        (lambda: Value(710.0, "x").exp(), OverflowError, "exp", "710.0"),
        (lambda: Value(-8.0, "x") ** (1 / 3), ValueError, "pow", "-8.0"),
        (lambda: Value(-2.0, "x") ** Value(0.5), ValueError, "powv", "-2.0"),
        (lambda: Value(-2.0, "x") ** 0.5, ValueError, "pow", "-2.0"),
        (lambda: Value(1e300, "x") * 1e300, OverflowError, "mul", "1e+300"),
        (lambda: Value(1e308, "x") + 1e308, OverflowError, "add", "1e+308"),
        (lambda: Value(-1e308, "x") - 1e308, OverflowError, "sub", "-1e+308"),
        (lambda: Value(10.0, "x") ** 400, OverflowError, "pow", "10.0"),
        (lambda: 10 ** Value(400.0, "x"), OverflowError, "powv", "400.0"),
        (lambda: Value(1e300, "x") / 1e-300, OverflowError, "div", "1e+300"),
        (lambda: ag.sum([Value(1e308, "x"), 1e308]), OverflowError, "sum", "1e+308"),
        (lambda: ag.dot([Value(1e200, "x")], [1e200]), OverflowError, "dot", "1e+200"),
    ],
)
def test_domain_errors_name_the_op_the_operand_and_the_label(make, error, op: str, shown: str) -> None:
    with pytest.raises(error) as caught:
        make()
    message = str(caught.value)
    assert re.search(rf"\b{op}\b", message), message
    assert shown in message and "'x'" in message, message


def test_errors_without_labels_still_name_op_and_values() -> None:
    with pytest.raises(ValueError) as caught:
        Value(-3.0).log()
    assert "log" in str(caught.value) and "-3.0" in str(caught.value)


@pytest.mark.parametrize(
    ("make", "error", "word"),
    [
        (lambda: Value(1.0).leaky_relu(math.nan), ValueError, "slope"),
        (lambda: Value(1.0).leaky_relu("0.1"), TypeError, "str"),
        (lambda: Value(1.0).elu(math.inf), ValueError, "alpha"),
        (lambda: Value(1.0).elu(None), TypeError, "NoneType"),
        (lambda: Value(2.0) ** math.nan, ValueError, "exponent"),
        (lambda: Value(2.0) * math.inf, ValueError, "finite"),
        (lambda: Value(2.0) + math.nan, ValueError, "finite"),
        (lambda: Value(2.0).backward(math.nan), ValueError, "gradient"),
        (lambda: Value(2.0).backward("1"), TypeError, "str"),
        (lambda: grad(Value(2.0), [2.0]), TypeError, "float"),
        (lambda: grad(2.0, [Value(2.0)]), TypeError, "float"),
        (lambda: Value(1.0) < "a", TypeError, "str"),
        (lambda: Value(Value(1.0)), TypeError, "Value"),
        (lambda: Value(1.0) + 10**400, (ValueError, OverflowError), "operand"),
        (lambda: Value(1.0) ** 10**400, (ValueError, OverflowError), "exponent"),
        (lambda: ag.sum([Value(1.0), math.nan]), ValueError, "finite"),
        (lambda: ag.dot([Value(1.0)], [math.inf]), ValueError, "finite"),
        (lambda: Value(1.0) < math.nan, ValueError, "NaN"),
        (lambda: Value(1.0, label=3), TypeError, "label"),
    ],
)
def test_bad_parameters_and_arguments(make, error, word: str) -> None:
    with pytest.raises(error, match=word):
        make()


def _fill_grads(root: Value) -> dict[Value, float]:
    """Give every node a distinct non-zero .grad, as if earlier backward calls had run."""
    before = {}
    for i, v in enumerate(topological_order(root)):
        v.grad = before[v] = 0.25 * (i + 1)
    return before


@pytest.mark.parametrize(
    ("make", "error", "op"),
    [
        # sqrt(0) = 0 is fine forward, but its derivative 1 / (2 sqrt(0)) is infinite
        (lambda x, w: (w * x + x.sqrt()).tanh(), ZeroDivisionError, "sqrt"),
        # x ** 0.5 at 0: p u^(p - 1) = 0.5 * 0 ** -0.5
        (lambda x, w: w * x ** 0.5 + w, ZeroDivisionError, "pow"),
        # 1 / 1e-160 = 1e160 is fine, d/dx = -1 / x^2 = -1e320 overflows
        (lambda x, w: w * (1.0 / (x + 1e-160)), OverflowError, "div"),
    ],
)
def test_a_failed_backward_leaves_every_grad_unchanged(make, error, op: str) -> None:
    x, w = Value(0.0, "x"), Value(2.0, "w")
    root = make(x, w)
    before = _fill_grads(root)
    with pytest.raises(error) as caught:
        root.backward()
    assert {v: v.grad for v in before} == before
    assert "backward" in str(caught.value) and op in str(caught.value), str(caught.value)
    if op != "div":  # the failing op's operand is the labelled leaf x
        assert "'x'" in str(caught.value) and "0.0" in str(caught.value), str(caught.value)
    with pytest.raises(error):  # and grad() fails the same way without touching .grad either
        grad(root, [x, w])
    assert {v: v.grad for v in before} == before


def test_backward_overflow_names_the_op_that_overflowed() -> None:
    # 1 / x at x = 1e-160 is 1e160 (fine); its derivative -1 / x^2 = -1e320 overflows inside div's backward,
    # so the message names div and its operand, not the node where the infinity lands
    x = Value(1e-160, "x")
    y = 2.0 * (1.0 / x)
    with pytest.raises(OverflowError) as caught:
        y.backward()
    assert "div" in str(caught.value) and "1e-160" in str(caught.value), str(caught.value)


def test_value_of_a_huge_int_names_value_data() -> None:
    with pytest.raises((OverflowError, ValueError), match="Value"):
        Value(10**400)


# --- no silent NaN or inf anywhere -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "value", "slope"),
    [
        (lambda x: x.tanh(), 1.0, 0.0),
        (lambda x: (-x).tanh(), -1.0, 0.0),
        (lambda x: x.sigmoid(), 1.0, 0.0),
        (lambda x: (-x).sigmoid(), 0.0, 0.0),
        (lambda x: x.softplus(), 1000.0, 1.0),
        (lambda x: (-x).softplus(), 0.0, 0.0),
        (lambda x: (-x).exp(), 0.0, 0.0),
        (lambda x: (-x).elu(), -1.0, 0.0),
        (lambda x: ag.logsumexp([x, x]), 1000.0 + math.log(2.0), 1.0),
        (lambda x: ag.logsumexp([x, -x]), 1000.0, 1.0),  # softmax (1, 0): 1 from x, -0 from -x
        (lambda x: ag.logsumexp([-x, -x]), -1000.0 + math.log(2.0), -1.0),
        (lambda x: ag.logsumexp([x, 0.0, -x]), 1000.0, 1.0),
    ],
)
def test_extremes_are_finite_and_right(make, value: float, slope: float) -> None:
    x = Value(1000.0)
    y = make(x)
    y.backward()
    assert y.data == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert x.grad == pytest.approx(slope, rel=1e-12, abs=1e-300)  # softmax from exp(x - y): y rounds at 1e-13

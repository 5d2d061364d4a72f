"""The expression parser: right graphs for allowed formulas, a clear ExpressionError for everything else."""

from __future__ import annotations

import doctest
import math
import sys

import pytest

from autograd_lite import OPS, topological_order
from autograd_lite.cli.expr import FUNCTIONS, ExpressionError, check_name, parse_assignments, parse_expression
from autograd_lite.core.ops import BUILT_IN


@pytest.mark.parametrize("expression, value, gradient", [
    ("tanh(w*x + b)", math.tanh(0.3), {"x": 0.5 * (1 - math.tanh(0.3) ** 2), "w": 1 - math.tanh(0.3) ** 2}),
    ("x**2 + 3*x", 1.0 + 3.0, {"x": 2 * 1.0 + 3}),
    ("x*x*x - x/w", 1 - 2.0, {"x": 3 - 2.0, "w": 1 / 0.25}),
    ("-x + +w", -0.5, {"x": -1.0, "w": 1.0}),
    ("exp(x) * log(w) + sqrt(w) - sin(x)*cos(b)", math.e * math.log(0.5) + math.sqrt(0.5) - math.sin(1) * math.cos(-0.2),
     {"x": math.e * math.log(0.5) - math.cos(1) * math.cos(-0.2)}),
    ("sigmoid(x) + relu(b) + softplus(b) + abs(b)", 1 / (1 + math.exp(-1)) + math.log1p(math.exp(-0.2)) + 0.2,
     {"b": 1 / (1 + math.exp(0.2)) - 1.0}),
    ("leaky_relu(b, 0.1) + elu(b, 2)", -0.02 + 2 * math.expm1(-0.2), {"b": 0.1 + 2 * math.exp(-0.2)}),
    ("sum(x, w, b, 1)", 1 + 0.5 - 0.2 + 1, {"x": 1.0, "w": 1.0, "b": 1.0}),
    ("dot([w, b], [x, x])", 0.5 - 0.2, {"x": 0.3, "w": 1.0}),
    ("logsumexp(x, w)", math.log(math.e + math.exp(0.5)), {"x": math.e / (math.e + math.exp(0.5))}),
    ("w ** x", 0.5, {"w": 1.0, "x": 0.5 * math.log(0.5)}),
    ("x ** -2", 1.0, {"x": -2.0}),
])
def test_allowed_expressions_build_the_right_graph(expression, value, gradient):
    root, leaves = parse_expression(expression, {"x": 1.0, "w": 0.5, "b": -0.2})
    assert root.data == pytest.approx(value)
    root.backward()
    for name, expected in gradient.items():
        assert leaves[name].grad == pytest.approx(expected), name


def test_gradients_match_finite_differences(fd):
    expression = "tanh(w*x + b) * exp(-x**2) / (1 + w*w)"
    names = ["x", "w", "b"]
    point = [0.7, -1.1, 0.3]
    root, leaves = parse_expression(expression, dict(zip(names, point)))
    root.backward()
    for i, name in enumerate(names):
        f = lambda p: parse_expression(expression, dict(zip(names, p)))[0].data
        assert leaves[name].grad == pytest.approx(fd(f, point, i), rel=1e-7)


def test_a_variable_used_twice_is_one_leaf():
    root, leaves = parse_expression("x * x", {"x": 3.0})
    assert root.inputs[0] is root.inputs[1] is leaves["x"] and leaves["x"].label == "x"
    assert [v.op for v in topological_order(root)].count("") == 1


def test_functions_come_from_the_op_table():
    built_in = {name: op for name, op in OPS.items() if name in BUILT_IN}  # ops users define are not whitelisted
    unary = {name for name, op in built_in.items() if op.arity == 1 and name not in ("neg", "pow")}
    nary = {name for name, op in built_in.items() if op.arity == 0}
    assert set(FUNCTIONS) == unary | nary
    root, _ = parse_expression("x ** 3", {"x": 2.0})
    assert root.op == "pow" and root.param == 3.0  # a constant exponent is the op's parameter


@pytest.mark.parametrize("expression, message", [
    ("__import__('os').system('true')", "cannot call"),
    ("x.real", "attribute access"),
    ("(lambda: 1)()", "cannot call lambda"),
    ("lambda: x", "lambda"),
    ("x[0]", "indexing"),
    ("x if w else b", "if/else"),
    ("x < w", "comparison"),
    ("x and w", "and/or"),
    ("x // w", "FloorDiv"),
    ("x @ w", "MatMult"),
    ("~x", "Invert"),
    ("open(x)", "cannot call open"),
    ("exp", "is a function"),
    ("z + 1", "unknown name 'z'"),
    ("exp(x=1)", "keyword"),
    ("exp(x, w)", "takes 1 argument"),
    ("leaky_relu(x, w)", "must be a number"),
    ("dot(x, w)", "two lists"),
    ("dot([x, w], [x])", "2 weights but 1 inputs"),
    ("[x, w]", "a list"),
    ("x ** 1000", "too large"),
    ("9 ** 9 ** 9", "too large"),
    ("x ** (10 * 10)", "too large"),
    ("1e400 * x", "too large for a float"),
    ("10 ** 400", "too large"),
    ("'text'", "only real numbers"),
    ("True + x", "only real numbers"),
    ("1j * x", "only real numbers"),
    ("x; w", "not a valid expression"),
    ("", "not a valid expression"),
    ("(" * 500 + "x" + ")" * 500, "nested"),
    ("x + " * 600 + "x", "limit"),
    ("f'{x}'", "f-string"),
    ("(y := x)", ":="),
])
def test_everything_else_is_refused_with_a_reason(expression, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("*", r"\*")) as info:
        parse_expression(expression, {"x": 1.0, "w": 0.5, "b": -0.2})
    assert "\n" not in str(info.value)


def test_math_domain_errors_come_from_the_engine():
    with pytest.raises(ValueError, match="log") as info:
        parse_expression("log(x)", {"x": -1.0})
    assert not isinstance(info.value, ExpressionError)


def test_assignments():
    assert parse_assignments(["x=1", " w = -0.5 ", "b=1e-3"]) == {"x": 1.0, "w": -0.5, "b": 0.001}
    for bad, message in [("x", "NAME=VALUE"), ("x=", "NAME=VALUE"), ("x=abc", "must be a number"),
                         ("x=nan", "finite"), ("x=inf", "finite"), ("1x=2", "not a valid variable name"),
                         ("tanh=1", "is a function"), ("lambda=1", "cannot be a variable"),
                         ("__class__=1", "cannot be a variable")]:
        with pytest.raises(ExpressionError, match=message):
            parse_assignments([bad])
    with pytest.raises(ExpressionError, match="twice"):
        parse_assignments(["x=1", "x=2"])
    with pytest.raises(ExpressionError):
        check_name("a.b")


def test_docstring_examples():
    result = doctest.testmod(sys.modules["autograd_lite.cli.expr"], optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_what_the_user_typed_is_cut_in_every_message():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from autograd_lite.cli.expr import MAX_ASSIGNMENTS

    with pytest.raises(ExpressionError, match=f"401 NAME=VALUE arguments; the limit is {MAX_ASSIGNMENTS}"):
        parse_assignments([f"v{i}=1" for i in range(MAX_ASSIGNMENTS + 1)])
    with pytest.raises(ExpressionError, match="a byte that is not UTF-8 text at column 3"):
        parse_expression("x+\udcff", {"x": 1.0})

    long = st.text(st.characters(exclude_categories=[]), min_size=0, max_size=3000)
    words = st.sampled_from(["x", "w", "1", "+", "*", "(", ")", ",", "tanh", "dot", "[", "]", "**", "'", "="]) | long

    @settings(max_examples=200, deadline=None)
    @given(expression=st.lists(words, max_size=8).map("".join), items=st.lists(words, max_size=4))
    def messages_are_short(expression, items):
        try:
            parse_expression(expression, parse_assignments(items))
        except ExpressionError as error:
            assert "\n" not in str(error) and len(str(error)) <= 300, str(error)
        except (ValueError, ArithmeticError):  # the engine's math errors (log of a negative ...): main bounds those
            pass

    messages_are_short()

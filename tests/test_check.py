"""``autograd-lite check`` and ``autograd_lite.check``: right answers pass, wrong ones are named with the right value
and the chain-rule steps that reach the variable; usage errors exit 2 with one line naming what was wrong."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, check, explain
from autograd_lite.cli import main
from autograd_lite.cli.commands import formula_graph
from autograd_lite.cli.expr import parse_expression
from autograd_lite.teaching.check import ABS_TOL, TOL, formula_of, is_right, parse_number, steps_to

EXAMPLE = ["check", "x*y + x", "x=3", "y=-2"]  # f = xy + x: df/dx = y + 1 = -1, df/dy = x = 3


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_issue_example_exits_0_when_both_are_right(capsys):
    code, out, err = run(capsys, *EXAMPLE, "--grad", "x=-1", "--grad", "y=3")
    assert code == 0
    assert out.splitlines() == ["df/dx = -1: right", "df/dy = 3: right"]
    assert err == ""


def test_a_wrong_gradient_exits_1_and_names_the_variable_with_the_right_value_and_its_steps(capsys):
    code, out, err = run(capsys, *EXAMPLE, "--grad", "x=-2", "--grad", "y=3")
    assert code == 1
    assert "df/dx = -2: wrong, the right value is -1" in out
    assert "df/dy = 3: right" in out
    # x's steps: the edge x -> f (adds 1) and the edge x -> v1 (adds dv1/dx = y = -2), and nothing about y's edge
    assert "edge x -> f" in out and "edge x -> v1" in out and "edge y -> v1" not in out
    product = next(s for s in explain(formula_graph("x*y + x", {"x": 3.0, "y": -2.0})[0]).steps
                   if (s.name, s.input_name) == ("v1", "x"))
    assert f"dv1/dx = -2  ({formula_of(product)})" in out
    assert formula_of(product) in ("d(x * y)/dx = y", "d(a * b)/da = b, with a = x, b = y")
    assert "= 1 * (-2) = -2  (total -1, 2 of 2)" in out
    assert "so df/dx = -1" in out
    assert err.strip() == "autograd-lite check: 1 of 2 gradients wrong: x"


def test_fractions_and_exponents_are_answers(capsys):
    assert run(capsys, "check", "x*y", "x=3", "y=-0.5", "--grad", "x=-1/2", "--grad", "y=3e0")[0] == 0
    assert run(capsys, "check", "x/3", "x=1", "--grad", "x=1/3")[0] == 0
    assert run(capsys, "check", "x/3", "x=1", "--grad", "x=0.3333")[0] == 0  # within 0.1 %
    assert run(capsys, "check", "x/3", "x=1", "--grad", "x=0.33")[0] == 1  # 1 % off


def test_a_zero_gradient_has_an_absolute_floor(capsys):
    zero = ["check", "x*y + y", "x=2", "y=0"]  # df/dx = y = 0 exactly
    assert run(capsys, *zero, "--grad", "x=0")[0] == 0
    assert run(capsys, *zero, "--grad", "x=1e-7")[0] == 0  # within the floor, 1e-6
    assert run(capsys, *zero, "--grad", "x=1e-7", "--abs-tol", "0")[0] == 1
    code, out, _ = run(capsys, *zero, "--grad", "x=0.001")
    assert code == 1 and "the right value is 0" in out


def test_tol_changes_what_is_right(capsys):
    assert run(capsys, "check", "x/3", "x=1", "--grad", "x=0.33")[0] == 1
    assert run(capsys, "check", "x/3", "x=1", "--grad", "x=0.33", "--tol", "0.02")[0] == 0


@pytest.mark.parametrize("extra, message", [
    (["--grad", "z=1"], "--grad z: z is not a variable of the expression (its variables: x, y)"),
    (["--grad", "x=abc"], "--grad x: expected a number such as 0.5, -1/2 or 1e-3, got 'abc'"),
    (["--grad", "x=nan"], "--grad x: expected a number such as 0.5, -1/2 or 1e-3, got 'nan'"),
    (["--grad", "x=1/0"], "--grad x: the denominator of '1/0' is 0"),
    (["--grad", "x=1e400"], "--grad x: '1e400' is too large for a number"),
    (["--grad", "x=1", "--grad", "x=2"], "--grad x is given twice"),
    (["--grad", "x"], "--grad 'x': expected NAME=NUMBER (like --grad x=-1)"),
    ([], "give the gradients to check with --grad NAME=NUMBER"),
    (["--grad", "x=1", "--tol", "2"], "argument --tol: expected a number from 0 to 1, got '2'"),
    (["--grad", "x=1", "--abs-tol", "-1"], "argument --abs-tol: expected a number from 0 to 1, got '-1'"),
])
def test_usage_errors_exit_2_with_one_line(capsys, extra, message):
    code, out, err = run(capsys, *EXAMPLE, *extra)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_a_missing_value_is_a_usage_error(capsys):
    code, _, err = run(capsys, "check", "x*y + x", "x=3", "--grad", "x=-1")
    assert code == 2 and "unknown name 'y'" in err and "y=NUMBER" in err


def test_too_many_grads_are_refused(capsys):
    code, _, err = run(capsys, *EXAMPLE, *[f"--grad=x{i}=1" for i in range(401)])
    assert code == 2 and "the limit is 400" in err


def test_the_installed_command_exits_0_and_1():
    command = [sys.executable, "-m", "autograd_lite.cli", *EXAMPLE]
    right = subprocess.run([*command, "--grad", "x=-1", "--grad", "y=3"], capture_output=True, text=True, timeout=60)
    wrong = subprocess.run([*command, "--grad", "x=-2"], capture_output=True, text=True, timeout=60)
    usage = subprocess.run([*command, "--grad", "q=1"], capture_output=True, text=True, timeout=60)
    assert (right.returncode, wrong.returncode, usage.returncode) == (0, 1, 2)
    assert "the right value is -1" in wrong.stdout and "q is not a variable" in usage.stderr


# --- from Python --------------------------------------------------------------------------------------
def test_check_from_python_takes_a_formula_or_a_value():
    result = check("x*y + x", {"x": 3, "y": -2}, {"x": -1, "y": "3/1"})
    assert result.ok and bool(result) and [c.right for c in result.checks] == [-1.0, 3.0]
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    f = x * y + x
    wrong = check(f, grads={x: -2, "y": 3})
    assert not wrong.ok and [c.name for c in wrong.wrong] == ["x"] and wrong.wrong[0].right == -1.0
    assert repr(wrong) == "CheckResult(2 checked, wrong: x)"
    assert x.grad == 0.0  # nothing accumulated


def test_check_from_python_refuses_what_the_command_refuses():
    with pytest.raises(ValueError, match="z is not a variable"):
        check("x*y", {"x": 1, "y": 2}, {"z": 1})
    with pytest.raises(ValueError, match="q is not in the expression"):
        check("x*y", {"x": 1, "y": 2, "q": 3}, {"x": 1})
    with pytest.raises(ValueError, match="expected a number"):
        check("x*y", {"x": 1, "y": 2}, {"x": "two"})
    with pytest.raises(ValueError, match="at least one gradient"):
        check("x*y", {"x": 1, "y": 2}, {})
    with pytest.raises(ValueError, match="tol must be a number from 0 to 1"):
        check("x*y", {"x": 1, "y": 2}, {"x": 2}, tol=-1)
    with pytest.raises(ValueError, match="a Value has its numbers already"):
        check(Value(1.0, label="x") * 2, {"x": 1}, {"x": 2})


def test_the_notebook_views_escape_labels_and_show_the_steps():
    x = Value(2.0, label="<b>x</b>")
    f = (x * x).tanh()
    result = check(f, grads={"<b>x</b>": 1.0})
    page = result._repr_html_()
    assert "<b>x" not in page and "&lt;b&gt;x" in page and "✗ wrong" in page and "<details" in page
    right = 2 * 2.0 * (1 - math.tanh(4.0) ** 2)
    assert f"{right:.6g}" in page
    markdown = result._repr_markdown_()
    assert "| right value |" in markdown and f"{right:.6g}" in markdown and "```" in markdown


def test_the_steps_of_a_variable_are_those_on_its_paths():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    f = (x * y).exp() + y
    e = explain(f)
    to_x, to_y = steps_to(e, x), steps_to(e, y)
    assert [(s.name, s.input_name) for s in to_x] == [("v3", "v2"), ("v2", "v1"), ("v1", "x")]
    assert ("v3", "y") in [(s.name, s.input_name) for s in to_y] and len(to_y) == 4
    assert to_x[-1].total == pytest.approx(2 * math.exp(2.0))  # d e^{xy}/dx = y e^{xy}


@pytest.mark.parametrize("text, value", [("0.5", 0.5), ("-1/2", -0.5), ("1e-3", 0.001), (" +3 ", 3.0), (".5", 0.5),
                                         ("−2", -2.0), ("1/3", 1 / 3), ("-1.5e2/3", -50.0), ("2.", 2.0)])
def test_answers_are_read_as_decimals_or_fractions(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "2*x", "1/2/3", "inf", "nan", "0x10", "1_000", "--1", "1 / 0", "1e999",
                                  "١", "(1)", "1,5", "e5"])
def test_garbage_is_not_a_number(text):
    with pytest.raises(ValueError):
        parse_number(text)


# --- properties -------------------------------------------------------------------------------------
UNARY = ["tanh({})", "sigmoid({})", "sin({})", "exp({} / 4)", "({})**2", "softplus({})", "-({})"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "({}) / (2 + ({})**2)"]


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "y", "w", "2", "0.5"]))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY)).format(draw(expressions(depth - 1)))
    return draw(st.sampled_from(BINARY)).format(draw(expressions(depth - 1)), draw(expressions(depth - 1)))


values = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=40, deadline=None)
@given(expressions(), values, values, values, st.floats(0.05, 0.9), st.booleans())
def test_the_true_gradient_passes_and_a_perturbed_one_fails(expression, x, y, w, size, up):
    names = {n: v for n, v in (("x", x), ("y", y), ("w", w)) if re.search(rf"\b{n}\b", expression)}
    if not names:
        return
    result = check(expression, names, dict.fromkeys(names, 0.0))  # the right values, whatever was given
    truth = {c.name: c.right for c in result.checks}
    assert check(expression, names, truth).ok
    for name, right in truth.items():
        # off by more than both the relative tolerance and the floor: always wrong
        off = max(abs(right) * TOL, ABS_TOL) * (1 + 10 * size) * (1 if up else -1)
        wrong = check(expression, names, {**truth, name: right + off})
        assert [c.name for c in wrong.wrong] == [name]
        assert not is_right(right + off, right)


@settings(max_examples=20, deadline=None)
@given(expressions(), values, values)
def test_the_right_values_agree_with_finite_differences(fd, expression, x, y):
    names = {n: v for n, v in (("x", x), ("y", y)) if re.search(rf"\b{n}\b", expression)}
    if not names or re.search(r"\bw\b", expression):
        return
    truth = {c.name: c.right for c in check(expression, names, dict.fromkeys(names, 0.0)).checks}
    f = lambda point: parse_expression(expression, dict(zip(names, point)))[0].data
    for i, name in enumerate(names):
        assert truth[name] == pytest.approx(fd(f, list(names.values()), i), rel=1e-5, abs=1e-6)


# --- found by the tester: a name two leaves share, and integers too large for a float ----------------------------
def test_a_name_two_leaves_share_is_refused_but_their_values_work():
    first, second = Value(2.0, label="x"), Value(5.0, label="x")
    f = first * second  # df/d(first) = 5, df/d(second) = 2: "x" alone cannot say which
    with pytest.raises(ValueError, match="two different leaves are named x"):
        check(f, None, {"x": 5})
    result = check(f, None, {first: 5, second: 2})
    assert result.ok and [c.right for c in result.checks] == [5.0, 2.0]
    assert not check(f, None, {first: 2}).ok


def test_the_same_leaf_used_twice_is_one_variable():
    x = Value(3.0, label="x")
    assert check(x * x, None, {"x": 6}).ok  # d(x^2)/dx = 2x


@pytest.mark.parametrize("huge", [10**400, -(10**5000)], ids=["400-digits", "5000-digits"])
def test_an_integer_too_large_for_a_float_is_a_value_error(huge):
    with pytest.raises(ValueError, match="too large for a number"):
        check("x*y", {"x": 1, "y": 2}, {"x": huge})

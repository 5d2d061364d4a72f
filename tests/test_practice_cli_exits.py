"""The practice commands agree with each other (the tester's items 6-8, left alone in issue 11):

- ``grade`` reads an answer as ``check`` and the quiz page do: the one function ``parse_number`` ("-1/2",
  "1/3e2"), with the same refusals (a zero denominator, nan, inf, a number too large for a float);
- ``check`` and ``grade`` exit 0 (all right), 1 (some answer wrong) or 2 (no verdict: a usage error, values at
  which the formula cannot be computed, a file that cannot be read, output that cannot be written), as grep and
  diff do, so a grading script can tell a wrong answer from a broken run;
- ``quiz -o`` writes only a name ending in .html (or .htm), as ``train --player`` does: the page has no text form.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite.teaching.check
import nn.exercise_commands
import nn.exercise_grading
from autograd_lite import check
from autograd_lite.cli import main
from nn.exercise_grading import AnswersError, answer_number, grade
from nn.exercises import make_set

SEVEN = (7, 1, "expression", "add,mul,pow")  # q1: f = (x + (x + y))^2 + y at x = 1, y = 1.5: f 13.75, 14, 8


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def seven(tmp_path, capsys):
    folder = tmp_path / "set"
    seed, count, kind, ops = SEVEN
    assert main(["exercises", "--seed", str(seed), "--count", str(count), "--kind", kind, "--ops", ops,
                 "-o", str(folder)]) == 0
    capsys.readouterr()
    return folder


def answers_file(tmp_path, document) -> str:
    path = tmp_path / "answers.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return str(path)


# --- 1. grade reads "1/2" as check does ---------------------------------------------------------------------
def test_grade_uses_the_one_parser_of_check_and_the_quiz():
    assert nn.exercise_grading.parse_number is autograd_lite.teaching.check.parse_number


def test_fractions_and_exponents_as_text_are_graded_by_their_value(seven, tmp_path, capsys):
    s = make_set(*SEVEN)
    assert s.questions[0].answers == {"f": 13.75, "df/dx": 14.0, "df/dy": 8.0}  # the numbers below are these
    right = {"q1": {"f": "55/4", "df/dx": "1.4e1", "df/dy": "-16/-2"}}
    code, out, err = run(capsys, "grade", str(seven), answers_file(tmp_path, right))
    assert (code, err) == (0, "") and out.splitlines()[-1].split() == ["total", "3", "3", "100.0%"]

    wrong = {"q1": {"f": "1375/1e2", "df/dx": 14, "df/dy": "-1/2"}}
    code, out, err = run(capsys, "grade", str(seven), answers_file(tmp_path, wrong))
    assert code == 1 and err == ""
    assert "df/dy: you gave -1/2 = -0.5, right is 8" in out  # the student's own text, and what it is worth
    assert out.splitlines()[-1].split() == ["total", "2", "3", "66.7%"]

    code, out, _ = run(capsys, "grade", str(seven), answers_file(tmp_path, {"q1": {"df/dx": "1/3e2"}}))
    assert code == 1 and "df/dx: you gave 1/3e2 = 0.003333, right is 14" in out


@pytest.mark.parametrize("kind", ["expression", "network"])
def test_every_right_answer_written_as_a_fraction_grades_100_percent(kind):
    """Each asked number of 20 questions (vectors and matrices too), as a fraction p/q in text."""
    s = make_set(3, 20, kind)

    def as_fraction(right):
        if isinstance(right, list):
            return [as_fraction(r) for r in right]
        f = Fraction(right).limit_denominator(10**6)
        return f"{f.numerator}/{f.denominator}"

    texts = {q.key: {k: as_fraction(v) for k, v in q.answers.items()} for q in s.questions}
    result = grade(s, texts, rel_tol=1e-6)
    assert result.asked >= 2 * len(s.questions) and result.right == result.asked, result.table()
    key = next(iter(s.questions[0].answers))  # and each entry written 0.02 + 5 % off is wrong (> 0.005 + 1 %)
    marks = grade(s, {"q1": {key: _off(s.questions[0].answers[key])}}).results[0].marks
    entries = [m for m in marks if m.where.startswith(key)]
    assert entries and not any(m.ok for m in entries) and all(m.typed and m.given is not None for m in entries)


def _off(right):
    if isinstance(right, list):
        return [_off(r) for r in right]
    f = Fraction(right + 0.02 + 0.05 * abs(right)).limit_denominator(10**6)
    return f"{f.numerator}/{f.denominator}"


@pytest.mark.parametrize("text, message", [
    ("1/0", "the denominator of '1/0' is 0"),
    ("-1/0", "the denominator of '-1/0' is 0"),
    ("0/0", "the denominator of '0/0' is 0"),
    ("nan", "expected a number such as 0.5, -1/2 or 1e-3, got 'nan'"),
    ("-inf", "expected a number such as 0.5, -1/2 or 1e-3, got '-inf'"),
    ("1e400", "'1e400' is too large for a number"),
    ("1e300/1e-300", "'1e300/1e-300' is too large for a number"),
    ("1/2/3", "expected a number such as 0.5, -1/2 or 1e-3, got '1/2/3'"),
    ("2*x", "expected a number such as 0.5, -1/2 or 1e-3, got '2*x'"),
    ("", "expected a number such as 0.5, -1/2 or 1e-3, got ''"),
    ("1" * 101, "expected a number such as 0.5, -1/2 or 1e-3, got '1111"),  # longer than an answer may be (100)
])
def test_text_that_is_not_a_number_is_refused_naming_the_entry(seven, tmp_path, capsys, text, message):
    code, out, err = run(capsys, "grade", str(seven), answers_file(tmp_path, {"q1": {"df/dx": text}}))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"answers.json: q1 df/dx: {message}" in err, err


@pytest.mark.parametrize("document, message", [
    ('{"q1": {"f": ' + "9" * 400 + "}}", "q1 f: a whole number of 400 digits is too large for a number"),
    ('{"q1": {"f": -' + "9" * 310 + "}}", "q1 f: a whole number of 310 digits is too large for a number"),
    ('{"q1": {"f": NaN}}', "q1 f must be a finite number, got nan"),
    ('{"q1": {"f": -Infinity}}', "q1 f must be a finite number, got -inf"),
    ('{"q1": {"f": false}}', 'q1 f must be a number such as 0.5, -1/2 or 1e-3 (a fraction as text: "-1/2"), or '
                             "null; got false (true/false)"),
])
def test_json_numbers_keep_their_bounds(seven, tmp_path, capsys, document, message):
    code, out, err = run(capsys, "grade", str(seven), answers_file(tmp_path, document))
    assert (code, out) == (2, "") and err.count("\n") == 1 and message in err, err


def test_a_huge_whole_number_from_python_is_an_answers_error_not_a_crash():
    with pytest.raises(AnswersError, match="a whole number of 16,610 bits is too large"):
        answer_number(10**5000, "q1 f")  # str() of it would raise Python's own ValueError
    assert answer_number(10**308, "q1 f") == (1e308, "")


answer_texts = st.one_of(
    st.builds(lambda a, b: f"{a}/{b}", st.integers(-10**6, 10**6), st.integers(-10**6, 10**6)),
    st.builds(lambda m, e: f"{m}e{e}", st.floats(-1e3, 1e3, allow_nan=False).map(lambda x: f"{x:.4g}"),
              st.integers(-400, 400)),
    st.builds(lambda a, b: f" {a} / {b} ", st.sampled_from(["1", "-1", ".5", "1.", "2e3", "−3", "+4"]),
              st.sampled_from(["2", "0", "0.0", "1e-400", "3e2", "-8"])),
    st.text(alphabet="0123456789+-−.eE/ x", max_size=12),
)


@settings(max_examples=50, deadline=None)
@given(text=answer_texts)
def test_grade_and_check_accept_and_refuse_the_same_texts(text):
    """Whatever a student types, check's --grad and grade agree: the same number, or both refuse."""
    s = make_set(*SEVEN)
    try:
        number = autograd_lite.teaching.check.parse_number(text)
    except ValueError:
        number = None
    with pytest.raises(AnswersError) if number is None else _nothing():
        assert answer_number(text, "q1 df/dx")[0] == number
    code = main(["check", "x*y", "x=2", "y=7", f"--grad=x={text}"])  # d(xy)/dx = y = 7
    if number is None:
        assert code == 2
    else:
        assert code == (0 if abs(number - 7) <= 7e-3 else 1)
        graded = grade(s, {"q1": {"df/dx": text}}).results[0]
        assert ("df/dx" not in [m.where for m in graded.wrong]) == (abs(number - 14) <= 0.005 + 0.01 * 14)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- 2. check: 1 is a wrong answer, 2 is no verdict ---------------------------------------------------------
@pytest.mark.parametrize("argv, failed", [
    (["log(x)", "x=0"], "log: cannot compute log(u) with u = 0.0 ('x'): log is only defined for positive numbers"),
    (["exp(x)", "x=1000"], "exp: cannot compute exp(u) with u = 1000.0 ('x'): exp(1000.0) is larger than the "
                           "largest float"),
    (["x/y", "x=1", "y=0"], "div: cannot compute a / b with a = 1.0 ('x'), b = 0.0 ('y'): division by zero"),
    (["x**y", "x=-1", "y=0.5"], "powv: cannot compute a**b with a = -1.0 ('x'), b = 0.5 ('y'): a negative number "
                                "cannot be raised to the fractional power 0.5"),
    (["sqrt(x)", "x=0"], "sqrt: backward: the local derivatives (1 / (2 sqrt(u))) of sqrt(u) with u = 0.0 ('x')"),
])
def test_a_formula_that_cannot_be_computed_is_exit_2_naming_what_failed(capsys, argv, failed):
    code, out, err = run(capsys, "check", *argv, "--grad", "x=1")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("autograd-lite check: error: nothing checked: at these values the formula or its "
                          f"gradient cannot be computed: {failed}"), err


@pytest.mark.parametrize("formula, value, right", [
    ("log(x)", "x=2", 0.5), ("exp(x)", "x=1", 2.718281828459045), ("sqrt(x)", "x=4", 0.25), ("x/y", "x=1", 1 / 3),
])
def test_the_same_formulas_where_they_are_defined_still_exit_0_and_1(capsys, formula, value, right):
    values = [value, "y=3"] if "y" in formula else [value]
    assert run(capsys, "check", formula, *values, f"--grad=x={right:.6g}")[0] == 0
    code, out, _ = run(capsys, "check", formula, *values, f"--grad=x={right * 1.01:.6g}")
    assert code == 1 and f"the right value is {right:.6g}" in out


def test_from_python_a_formula_that_cannot_be_computed_is_still_a_value_error():
    with pytest.raises(ValueError, match=r"^log: cannot compute log\(u\) with u = 0.0"):
        check("log(x)", {"x": 0}, {"x": 1})


def test_output_that_cannot_be_written_is_exit_2_not_a_wrong_answer(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdout", None)  # started with >&-
    assert main(["check", "x*y", "x=2", "y=7", "--grad", "x=7"]) == 2
    assert capsys.readouterr().err == "autograd-lite check: error: cannot write to standard output: it is closed\n"
    monkeypatch.undo()
    command = [sys.executable, "-m", "autograd_lite.cli", "check", "x*y", "x=2", "y=7"]
    with open("/dev/full", "w") as full:  # a full disk
        for answer in ("x=7", "x=8"):  # right and wrong: neither verdict reached the user
            done = subprocess.run([*command, "--grad", answer], stdout=full, stderr=subprocess.PIPE, text=True,
                                  timeout=60)
            assert done.returncode == 2
            assert done.stderr == "autograd-lite check: error: cannot write to standard output: No space left on " \
                                  "device\n"


def test_the_exit_codes_are_documented_in_check_help(capsys):
    code, out, _ = run(capsys, "check", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert ("exit codes: 0 every given gradient is right; 1 one is wrong (its right value and steps are printed); "
            "2 no verdict: a usage error (bad option, refused expression, bad NAME=VALUE or --grad), values at "
            "which the formula or its gradient cannot be computed (log(x) at x=0, exp(1000)), or output that "
            "cannot be written; 130 interrupted (Ctrl-C)") in text


# --- grade: the same three outcomes ---------------------------------------------------------------------------
def test_grade_exits_2_when_nothing_is_graded(seven, tmp_path, capsys, monkeypatch):
    good = answers_file(tmp_path, {"q1": {"f": 13.75}})
    assert run(capsys, "grade", str(seven), good)[0] == 1  # f right, two not answered: a verdict
    code, out, err = run(capsys, "grade", str(seven), str(tmp_path / "nothing.json"))
    assert (code, out) == (2, "") and err == f"autograd-lite grade: error: {tmp_path / 'nothing.json'}: No such file\n"

    def unreadable(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(nn.exercise_commands, "read_answers", unreadable)
    code, out, err = run(capsys, "grade", str(seven), good)
    assert (code, out) == (2, "") and err == f"autograd-lite grade: error: {good}: Permission denied\n"
    monkeypatch.undo()

    command = [sys.executable, "-m", "autograd_lite.cli", "grade", str(seven), good]
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.endswith("cannot write to standard output: No space left on device\n")


def test_the_exit_codes_are_documented_in_grade_help(capsys):
    code, out, _ = run(capsys, "grade", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "exit codes: 0 every asked number is right, 1 some are wrong or not answered (each is named), 2 nothing " \
           "was graded" in text and "a file that cannot be read or written" in text
    assert 'each answer a JSON number (0.5, 1e-3), text as check reads it ("-1/2", "1/3e2"), or null' in text


# --- 3. quiz -o: a page, so a name ending in .html --------------------------------------------------------------
NEURON = ["quiz", "tanh(w*x + b)", "x=1", "w=0.5", "b=-0.2"]


@pytest.mark.parametrize("name", ["quiz.txt", "quiz", "quiz.md", "quiz.html.txt", ".html", "quiz.json"])
def test_quiz_refuses_a_name_that_is_not_a_page_and_writes_nothing(capsys, tmp_path, name):
    code, out, err = run(capsys, *NEURON, "-o", str(tmp_path / name))
    assert (code, out) == (2, "")
    assert err == (f"autograd-lite quiz: error: -o {tmp_path / name}: the quiz is an HTML page; use a name ending "
                   "in .html or .htm (or no -o: the page goes to standard output)\n")
    assert list(tmp_path.iterdir()) == []


def test_quiz_refuses_the_name_before_any_work(capsys, tmp_path):
    code, _, err = run(capsys, "quiz", "log(x)", "x=0", "-o", str(tmp_path / "q.txt"))  # the formula would fail
    assert code == 2 and "use a name ending in .html" in err


@pytest.mark.parametrize("name", ["quiz.html", "QUIZ.HTM", "week 3.Html"])
def test_quiz_writes_a_page_to_an_html_name(capsys, tmp_path, name):
    code, out, err = run(capsys, *NEURON, "-o", str(tmp_path / name))
    assert (code, out) == (0, "") and err == f"wrote {tmp_path / name}\n"
    page = (tmp_path / name).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Backpropagation quiz: tanh(w*x + b)" in page
    code, out, _ = run(capsys, *NEURON)  # and without -o, the same page on standard output
    assert code == 0 and out == page


def test_quiz_and_the_training_player_refuse_a_txt_name_alike(capsys, tmp_path):
    quiz_code, _, quiz_err = run(capsys, *NEURON, "-o", str(tmp_path / "a.txt"))
    player_code, _, player_err = run(capsys, "train", "moons", "--player", str(tmp_path / "a.txt"))
    assert quiz_code == player_code == 2
    assert "use a name ending in .html" in quiz_err and "use a name ending in .html" in player_err

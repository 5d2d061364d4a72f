"""``autograd-lite quiz`` and ``autograd_lite.quiz``: a page with a box per answer of the backward pass, checked on
the spot. The answers are explain's numbers (and the engine's gradients); the page is driven in headless Chromium."""

from __future__ import annotations

import html
import math
import re

import pytest
from conftest import console_errors, inside_frame, notebook_page

from autograd_lite import Blank, Question, Quiz, Value, explain, quiz
from autograd_lite.cli import main
from autograd_lite.cli.commands import formula_graph
from autograd_lite.teaching.check import formula_of, parse_number
from autograd_lite.teaching.quiz import MAX_BLANKS, MAX_STEPS, QuizSizeError, backward_quiz

By = pytest.importorskip("selenium.webdriver.common.by").By
Keys = pytest.importorskip("selenium.webdriver.common.keys").Keys

NEURON = ["tanh(w*x + b)", "x=1", "w=0.5", "b=-0.2"]


def neuron_values():
    return {"x": 1.0, "w": 0.5, "b": -0.2}


# --- the questions, without a browser --------------------------------------------------------------
def test_each_step_asks_the_local_derivative_and_the_running_total_in_the_walkthroughs_order():
    q = quiz("tanh(w*x + b)", neuron_values())
    root, leaves = formula_graph("tanh(w*x + b)", neuron_values())
    e = explain(root)
    assert len(q.questions) == len(e.steps) == 5
    for question, s in zip(q.questions, e.steps):
        local, total = question.blanks
        assert (local.answer, total.answer) == (s.local, s.total)
        assert question.title == f"Step {s.index} of 5: edge {s.input_name} → {s.name}"
    # the hand-computed chain: dy/dv2 = 1 - tanh(0.3)^2, and dy/dw = dy/dv2 * x
    slope = 1 - math.tanh(0.3) ** 2
    assert q.questions[0].blanks[0].answer == pytest.approx(slope)
    answers = {question.title.split("edge ")[1].split(" →")[0]: question.blanks[-1].answer for question in q.questions}
    assert answers["w"] == pytest.approx(slope * 1.0) and answers["x"] == pytest.approx(slope * 0.5)
    assert answers["b"] == pytest.approx(slope)
    root.backward()
    assert [leaves[n].grad for n in "wxb"] == pytest.approx([answers[n] for n in "wxb"])


def test_hints_come_from_the_op_table_and_the_upstream_is_given():
    q = quiz("tanh(w*x + b)", neuron_values())
    first = q.questions[0]
    step = explain(formula_graph("tanh(w*x + b)", neuron_values())[0]).steps[0]
    assert first.blanks[0].hint == formula_of(step)
    assert first.blanks[0].hint in ("d tanh(v2)/dv2 = 1 - tanh(v2)^2", "d tanh(u)/du = 1 - tanh(u)^2, with u = v2")
    assert "upstream gradient ∂y/∂y = 1" in first.given
    assert first.blanks[1].hint == "∂y/∂v2 = 0 + ∂y/∂y · ∂y/∂v2"


def test_a_skipped_step_asks_only_the_unchanged_total():
    x = Value(2.0, label="x")
    f = 0 * x.log()
    f.label = "f"
    q = backward_quiz(f)
    skipped = [question for question in q.questions if len(question.blanks) == 1]
    assert len(skipped) == 1 and skipped[0].blanks[0].answer == 0.0


def test_quiz_sizes_are_bounded(capsys):
    with pytest.raises(QuizSizeError, match="no steps"):
        backward_quiz(Value(2.0, label="x"))
    big = "sum(" + ", ".join(f"x{i}" for i in range(MAX_STEPS + 1)) + ")"
    with pytest.raises(QuizSizeError, match=f"at most {MAX_STEPS}"):
        quiz(big, {f"x{i}": 1.0 for i in range(MAX_STEPS + 1)})
    assert main(["quiz", big, *[f"x{i}=1" for i in range(MAX_STEPS + 1)]]) == 2
    with pytest.raises(ValueError, match=f"at most {MAX_BLANKS:,}"):
        Quiz("t", tuple(Question("q", (Blank("b", 1.0),)) for _ in range(MAX_BLANKS + 1)))
    with pytest.raises(ValueError, match="finite"):
        Blank("b", math.nan)


def test_the_command_writes_the_page_and_refuses_a_quiz_without_steps(capsys, tmp_path):
    out = tmp_path / "quiz.html"
    assert main(["quiz", *NEURON, "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('class="blank"') == 10 and "Backpropagation quiz: tanh(w*x + b)" in page
    assert main(["quiz", "5", "-o", str(tmp_path / "none.html")]) == 2
    assert "no steps" in capsys.readouterr().err
    assert main(["quiz", *NEURON, "--tol", "7"]) == 2
    capsys.readouterr()
    assert main(["quiz", "x*y", "x=3", "y=-0.5", "--title", "Homework 1", "--tol", "0.01"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("<!DOCTYPE html>") and "<title>Homework 1</title>" in printed
    assert 'data-tol="0.01"' in printed and "within 1% of the right value" in printed


def test_the_page_needs_no_network_and_escapes_names(tmp_path):
    x = Value(1.0, label="<img src=x onerror=alert(1)>")
    y = x * 2
    page = backward_quiz(y, title="<script>alert(1)</script>").to_html()
    assert "<img src" not in page and "<script>alert" not in page and "&lt;img src=x" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page), "the page loads something from the network"
    assert page.count("<script>") == 1


# --- in a browser ---------------------------------------------------------------------------------------
def open_page(browser, path, q):
    path.write_text(q.to_html(), encoding="utf-8")
    browser.get(path.as_uri())
    return browser.find_elements(By.CSS_SELECTOR, ".blank")


def answer_first_box(browser, answer):
    """Type ``answer`` into the page's first box and press Enter; the box's state after."""
    blank = browser.find_element(By.CSS_SELECTOR, ".blank")
    blank.find_element(By.TAG_NAME, "input").send_keys(answer + Keys.ENTER)
    return state(blank)


def state(blank):
    classes = set(blank.get_attribute("class").split())
    return next((c for c in ("right", "wrong", "invalid", "revealed") if c in classes), "")


def message(blank):
    return blank.find_element(By.CSS_SELECTOR, ".message").text


def score(browser):
    return browser.find_element(By.ID, "score").text


def test_right_answers_are_marked_right_and_scored(browser, tmp_path):
    q = quiz("tanh(w*x + b)", neuron_values())
    blanks = open_page(browser, tmp_path / "quiz.html", q)
    answers = [b for question in q.questions for b in question.blanks]
    assert len(blanks) == len(answers) == 10 and score(browser) == "Right the first time: 0 of 10"
    for blank, answer in zip(blanks, answers):
        assert float(blank.get_attribute("data-answer")) == answer.answer
        typed = f"{answer.answer:.5g}"  # as a student rounds it: within 0.1 %
        blank.find_element(By.TAG_NAME, "input").send_keys(typed + Keys.ENTER)
        assert state(blank) == "right", (typed, message(blank))
        assert message(blank) == "✓ right, at the first try"
    assert score(browser) == "Right the first time: 10 of 10"
    assert browser.find_element(By.ID, "progress").text == "answered 10 of 10"
    assert browser.find_element(By.ID, "finished").text == "All done: 10 of 10 right the first time."
    assert console_errors(browser) == []


def test_wrong_then_right_does_not_count_and_garbage_is_no_try(browser, tmp_path):
    q = quiz("x*y", {"x": 3.0, "y": -0.5})  # df/dx = y = -1/2, df/dy = x = 3
    blanks = open_page(browser, tmp_path / "quiz.html", q)
    first, second = (b.find_element(By.TAG_NAME, "input") for b in blanks[:2])
    first.send_keys("-0.6" + Keys.ENTER)
    assert state(blanks[0]) == "wrong" and message(blanks[0]).startswith("✗ not right (try 1)")
    first.clear()
    first.send_keys("-1/2" + Keys.ENTER)
    assert state(blanks[0]) == "right" and message(blanks[0]) == "✓ right (try 2)"
    for garbage, why in [("2*x", "not a number"), ("abc", "not a number"), ("1/0", "the denominator is 0"),
                         ("", "type an answer first"), ("1e999", "too large"), ("alert(1)", "not a number")]:
        second.clear()
        second.send_keys(garbage + Keys.ENTER)
        assert state(blanks[1]) == "invalid" and why in message(blanks[1]), garbage
    second.clear()
    second.send_keys("−1/2" + Keys.ENTER)  # the running total is -1/2 too; garbage was not a try
    assert state(blanks[1]) == "right" and message(blanks[1]) == "✓ right, at the first try"
    assert score(browser) == "Right the first time: 1 of 4"
    assert console_errors(browser) == []


def test_hint_and_reveal_with_the_keyboard_and_the_mouse(browser, tmp_path):
    q = quiz("tanh(w*x + b)", neuron_values())
    blanks = open_page(browser, tmp_path / "quiz.html", q)
    hint = blanks[0].find_element(By.CSS_SELECTOR, ".hint")
    assert not hint.is_displayed()
    blanks[0].find_element(By.TAG_NAME, "input").send_keys(Keys.SHIFT + Keys.ENTER)
    assert hint.is_displayed() and hint.text == f"Hint: {q.questions[0].blanks[0].hint}"
    assert "tanh" in hint.text and "1 - tanh(" in hint.text
    assert state(blanks[0]) == ""  # a hint is not an answer
    blanks[1].find_element(By.CSS_SELECTOR, "button.show-hint").click()
    assert blanks[1].find_element(By.CSS_SELECTOR, ".hint").is_displayed()

    box = blanks[0].find_element(By.TAG_NAME, "input")
    box.send_keys(Keys.CONTROL + Keys.ENTER)
    shown = f"{q.questions[0].blanks[0].answer:.6g}"
    assert state(blanks[0]) == "revealed" and box.get_attribute("value") == shown
    solution = blanks[0].find_element(By.CSS_SELECTOR, ".solution")
    assert solution.is_displayed() and solution.text == f"Answer: 1 - tanh(0.3)^2 = {shown}"
    blanks[2].find_element(By.CSS_SELECTOR, "button.reveal").click()
    assert state(blanks[2]) == "revealed"
    assert score(browser) == "Right the first time: 0 of 10"
    assert browser.find_element(By.ID, "progress").text == "answered 2 of 10"
    box.send_keys(Keys.ENTER)  # a revealed box stays revealed
    assert state(blanks[0]) == "revealed"
    assert console_errors(browser) == []


def test_tab_and_enter_move_from_box_to_box(browser, tmp_path):
    q = quiz("tanh(w*x + b)", neuron_values())
    blanks = open_page(browser, tmp_path / "quiz.html", q)
    boxes = [b.find_element(By.TAG_NAME, "input") for b in blanks]
    boxes[0].click()
    boxes[0].send_keys(Keys.TAB)  # the buttons are skipped: Tab goes to the next box
    assert browser.switch_to.active_element.get_attribute("id") == boxes[1].get_attribute("id")
    boxes[1].send_keys(f"{q.questions[0].blanks[1].answer:.6g}" + Keys.ENTER)  # right: on to the next box
    assert browser.switch_to.active_element.get_attribute("id") == boxes[2].get_attribute("id")
    boxes[2].send_keys("12345" + Keys.ENTER)  # wrong: stay, to try again
    assert browser.switch_to.active_element.get_attribute("id") == boxes[2].get_attribute("id")
    assert console_errors(browser) == []


ANSWERS = ["0.5", "-1/2", "1e-3", " +3 ", ".5", "−2", "1/3", "-1.5e2/3", "2.", "", "abc", "2*x", "1/2/3", "inf", "nan",
           "0x10", "1_000", "--1", "1/0", "1e999", "١", "(1)", "1,5", "e5", "Infinity", "1e", "0/0", " 7 / 2 ",
           "1" * 100, "1" * 101, "1e308/1e-308", "-0", "00.50", "5e-324"]


def test_the_page_reads_answers_as_check_does(browser, tmp_path):
    open_page(browser, tmp_path / "quiz.html", quiz("2*x", {"x": 1.0}))
    for text in ANSWERS:
        page = browser.execute_script("return window.parseAnswer(arguments[0])", text)
        try:
            expected = parse_number(text)
        except ValueError:
            assert "error" in page and "value" not in page, text
        else:
            assert page.get("value") == pytest.approx(expected), text


def test_the_quiz_runs_inside_a_notebook_iframe(browser, tmp_path):
    q = quiz("x*y", {"x": 3.0, "y": -0.5})
    cell = q._repr_html_()
    assert cell.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in cell
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', cell)[1]) == q.to_html()
    browser.get(notebook_page(tmp_path / "notebook.html", cell).as_uri())
    with inside_frame(browser):
        assert answer_first_box(browser, "-0.5") == "right"
    assert console_errors(browser) == []

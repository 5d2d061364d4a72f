"""Quiz pages: the student types each answer into a box and the page checks it on the spot (offline, one file).

    >>> from autograd_lite import Value
    >>> w, x = Value(2.0, label="w"), Value(0.5, label="x"); y = (w * x).tanh(); y.label = "y"
    >>> q = backward_quiz(y); len(q.questions), [b.label for b in q.questions[0].blanks]
    (3, ['local derivative ∂y/∂v1', 'running total ∂y/∂v1'])
    >>> q.to_html().count('class="blank"')
    6

A ``Quiz`` is built from ``Question`` s, each holding ``Blank`` s (one input box: its label, the right number, a
hint and a worked solution). ``backward_quiz(root)`` asks, for every step of ``explain(root)`` in the
walkthrough's order, the local derivative and the new running gradient; ``nn.quiz`` builds a network's quiz
(delta^[l] and dC/dW^[l]) from the same classes. Every text is written in the notes' notation, converted to
HTML by ``notation.symbol`` (``z_1^[2]`` shows as z with a subscript 1 and a superscript [2]) and escaped.

The page (``quiz.html``, shipped as package data) reads answers as decimals or fractions (``-1/2``) by the same
rules as ``check.parse_number``, without eval; Enter checks, Tab moves to the next box, Shift+Enter shows the
hint, Ctrl+Enter the answer; the score counts the boxes right at the first try.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..core.engine import Value
from . import labels
from .check import ABS_TOL, NUMBER_HELP, TOL, check_tolerance, formula_of
from .explain import explain
from .formatting import number
from .notation import symbol

MAX_BLANKS = 1000  # input boxes on one page (two per backward step: a 500-step graph)
MAX_STEPS = 100  # backward steps a quiz asks about (200 boxes): more is not a quiz anyone finishes
TITLE_LIMIT = 200  # characters of the title shown
IFRAME_HEIGHT = 640  # pixels of the quiz shown inside a notebook


class QuizSizeError(ValueError):
    """A graph with no backward steps, or more than ``MAX_STEPS``: not one to quiz on."""


@dataclass(frozen=True)
class Blank:
    """One input box: what to type (``label``), the right ``answer``, a ``hint`` (the formula to use) and the
    ``solution`` shown with the answer when the student gives up. Texts use the notes' notation (``z_1^[2]``)."""

    label: str
    answer: float
    hint: str = ""
    solution: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.answer, bool) or not isinstance(self.answer, (int, float)) or not math.isfinite(
                self.answer):
            raise ValueError(f"Blank {labels.name(str(self.label))!r}: the answer must be a finite number, "
                             f"got {self.answer!r}")


@dataclass(frozen=True)
class Question:
    """One card of the page: a title, the lines the student is given, and the boxes to fill."""

    title: str
    blanks: tuple[Blank, ...]
    given: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quiz:
    """A quiz page: ``intro`` lines (what every question uses), then the questions. ``to_html()`` is the page,
    ``save(path)`` writes it, and Jupyter shows it inline (``_repr_html_``: the page in an iframe).

    >>> quiz = Quiz("Doubling", (Question("d(2x)/dx", (Blank("the derivative", 2.0, hint="d(c x)/dx = c"),)),))
    >>> quiz.blank_count, "the derivative" in quiz.to_html()
    (1, True)

    An answer is right within ``tol`` of the right one, relatively, or within ``abs_tol`` (as ``check``).
    """

    title: str
    questions: tuple[Question, ...]
    intro: tuple[str, ...] = ()
    tol: float = TOL
    abs_tol: float = ABS_TOL
    precision: int = 6  # significant digits of a revealed answer

    def __post_init__(self) -> None:
        check_tolerance(self.tol)
        check_tolerance(self.abs_tol, "abs_tol")
        if not self.questions:
            raise ValueError("Quiz: give at least one question")
        if not all(isinstance(q, Question) for q in self.questions):
            raise TypeError("Quiz: questions must be Question objects")
        if not all(isinstance(b, Blank) for q in self.questions for b in q.blanks):
            raise TypeError("Quiz: a question's blanks must be Blank objects")
        if self.blank_count > MAX_BLANKS:
            raise ValueError(f"Quiz: {self.blank_count:,} boxes to fill; a page holds at most {MAX_BLANKS:,}")
        if not isinstance(self.precision, int) or not 1 <= self.precision <= 17:
            raise ValueError(f"Quiz: precision must be a whole number from 1 to 17, got {self.precision!r}")

    @property
    def blank_count(self) -> int:
        """How many boxes the page has (the most the score can reach)."""
        return sum(len(q.blanks) for q in self.questions)

    def to_html(self) -> str:
        """The whole page as one HTML string (style and script inline; no network)."""
        return quiz_page(self)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"Quiz({self.title!r}, {len(self.questions)} questions, {self.blank_count} boxes)"

    def _repr_html_(self) -> str:
        """The page inside an iframe (``srcdoc``), so its script runs in a notebook and its style stays inside."""
        return labels.notebook_frame(self.to_html(), str(self.title), IFRAME_HEIGHT)


def quiz_page(quiz: Quiz) -> str:
    """The page of ``quiz``: the template ``quiz.html`` with the questions filled in."""
    page = resources.files(__package__).joinpath("quiz.html").read_text(encoding="utf-8")
    count = 0
    cards = []
    for q, question in enumerate(quiz.questions, 1):
        given = "".join(f"<li>{_math(line)}</li>" for line in question.given)
        blanks = []
        for blank in question.blanks:
            count += 1
            blanks.append(_blank(blank, count, quiz.precision))
        cards.append(f'<section class="question" id="q{q}">\n  <h2>{_math(question.title)}</h2>\n'
                     + (f'  <ul class="given">{given}</ul>\n' if given else "")
                     + "\n".join(blanks) + "\n</section>")
    intro = "".join(f"<li>{_math(line)}</li>" for line in quiz.intro)
    fills = {"%%TITLE%%": _h(labels.name(quiz.title, TITLE_LIMIT)), "%%INTRO%%": intro,
             "%%QUESTIONS%%": "\n".join(cards), "%%TOTAL%%": str(count), "%%TOL%%": repr(quiz.tol),
             "%%ABS_TOL%%": repr(quiz.abs_tol), "%%TOL_TEXT%%": f"{quiz.tol * 100:g}%",
             "%%ABS_TOL_TEXT%%": f"{quiz.abs_tol:g}", "%%NUMBER_HELP%%": _h(NUMBER_HELP)}
    return re.sub("|".join(fills), lambda m: fills[m.group(0)], page)


def _blank(blank: Blank, k: int, precision: int) -> str:
    shown = number(blank.answer, precision)
    solution = f"{_math(blank.solution)} = {shown}" if blank.solution and blank.solution != shown else shown
    hint = _math(blank.hint) if blank.hint else "no hint for this one"
    return f"""  <div class="blank" data-answer="{float(blank.answer)!r}" data-shown="{_h(shown)}">
    <label for="b{k}">{_math(blank.label)}</label>
    <span class="entry"><input id="b{k}" type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
      aria-describedby="m{k}"><button type="button" class="check" tabindex="-1">Check</button><button
      type="button" class="show-hint" tabindex="-1">Hint</button><button type="button" class="reveal"
      tabindex="-1">Answer</button></span>
    <span class="message" id="m{k}" aria-live="polite"></span>
    <div class="hint" hidden>Hint: {hint}</div>
    <div class="solution" hidden>Answer: {solution}</div>
  </div>"""


def backward_quiz(root: Value, title: str = "", tol: float = TOL, abs_tol: float = ABS_TOL,
                  precision: int = 6) -> Quiz:
    """A quiz on the backward pass of ``root``: for each step of ``explain(root)``, in the walkthrough's order,
    the local derivative of the edge and the input's new running gradient.

    >>> from autograd_lite import Value
    >>> a, b = Value(3.0, label="a"), Value(-2.0, label="b"); f = a * b; f.label = "f"
    >>> [(x.label, x.answer) for q in backward_quiz(f).questions for x in q.blanks]
    [('local derivative ∂f/∂a', -2.0), ('running total ∂f/∂a', -2.0), ('local derivative ∂f/∂b', 3.0), \
('running total ∂f/∂b', 3.0)]

    Each question gives the node's formula, the upstream gradient and the input's total so far. Where the upstream
    gradient is 0, backward skips the node, so only the (unchanged) total is asked. At most ``MAX_STEPS`` steps.
    """
    e = explain(root)
    if not e.steps:
        raise QuizSizeError("the expression has no operations, so backpropagation has no steps to quiz")
    if len(e.steps) > MAX_STEPS:
        raise QuizSizeError(f"the backward pass has {len(e.steps):,} steps; a quiz takes at most {MAX_STEPS} "
                         "(try a smaller expression)")
    num = lambda x: number(x, precision)
    top = e.names[e.root]
    d = lambda a, b: f"∂{a}/∂{b}"
    intro = [f"{line.name} = {line.expression} = {num(line.value)}" if line.expression
             else f"{line.name} = {num(line.value)}" for line in e.forward]
    intro.append(f"the backward pass starts from {d(top, top)} = {num(e.grads[e.root])}")
    so_far: dict[Value, float] = {}
    questions = []
    for s in e.steps:
        before = so_far.get(s.input, 0.0)
        so_far[s.input] = s.total
        given = [f"{s.name} = {e.expression(s.node)}",
                 f"upstream gradient {d(top, s.name)} = {num(s.upstream)}",
                 f"{d(top, s.input_name)} so far: {num(before)}; this edge brings contribution {s.count} "
                 f"of {s.users}"]
        total = Blank(f"running total {d(top, s.input_name)}", s.total,
                      hint=f"{d(top, s.input_name)} = {num(before)} + {d(top, s.name)} · {d(s.name, s.input_name)}",
                      solution=f"{num(before)} + {num(s.upstream)} · {num(s.local) if not s.skipped else '0'}")
        if s.local is None:  # skipped
            given.append("the upstream gradient is 0, so backward skips this node: the edge adds nothing")
            blanks: tuple[Blank, ...] = (total,)
        else:
            local = Blank(f"local derivative {d(s.name, s.input_name)}", s.local, hint=formula_of(s),
                          solution=s.evaluated if s.evaluated else "")
            blanks = (local, total)
        questions.append(Question(f"Step {s.index} of {len(e.steps)}: edge {s.input_name} → {s.name}", blanks,
                                  tuple(given)))
    name = title or f"Backpropagation quiz: {top}"
    return Quiz(name, tuple(questions), tuple(intro), tol=tol, abs_tol=abs_tol, precision=precision)


def _math(text: str) -> str:
    """Text in the notes' notation as HTML: symbols with sub- and superscripts, everything else escaped."""
    return symbol(labels.printable(str(text)), "html")


def _h(text: object) -> str:
    return labels.html_text(str(text))

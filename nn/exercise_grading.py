"""Grading a filled-in answers.json against an exercise set, one asked number at a time.

answers.json is untrusted input: it is read with a size cap and parsed strictly with a depth cap
(``nn.safe_json``: no pickle, no eval), and every entry is checked before any is graded. A number may be a
JSON number or text as a student types it, read by the rules of ``autograd-lite check`` and the quiz page (the
same function, ``autograd_lite.cli.parse_number``): ``"-1/2"``, ``"1/3e2"``, ``"1e-3"``. What is wrong with the
file itself (not JSON, too big, too deep, a question or a quantity the set does not ask, text that is not a
number, a fraction over 0, NaN or a number too large for a float, a list of the wrong length) is an
``AnswersError`` that names the entry. A missing question, quantity or number (or ``null``, as in the
template) is an answer not given: graded wrong.

    >>> from nn.exercises import make_set
    >>> s = make_set(7, 1, ops="add,mul,pow")
    >>> s.questions[0].answers
    {'f': 13.75, 'df/dx': 14.0, 'df/dy': 8.0}
    >>> g = grade(s, {"q1": {"f": 13.75, "df/dx": 14.1}})   # 14.1 is within 1 %; df/dy is not answered
    >>> g.right, g.asked, [m.where for m in g.results[0].wrong]
    (2, 3, ['df/dy'])
    >>> grade(s, {"q1": {"f": "55/4", "df/dx": 14, "df/dy": "8/1"}}).right   # fractions, as text
    3
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from autograd_lite.cli import NUMBER_HELP, parse_number

from .exercise_sheet import ABS_TOL, REL_TOL, number
from .exercises import ExerciseSet
from .safe_json import parse_strict, read_limited

MAX_BYTES = 1_000_000  # answers.json: 100 questions of 2-3-2 networks take some 40 kB
MAX_DEPTH = 8  # {"q1": {"dC/dW^[1]": [[...]]}} is 4 deep
MAX_CONTAINERS = 10_000


class AnswersError(ValueError):
    """answers.json is not a set of answers to this exercise set (the message names what and where)."""


@dataclass(frozen=True)
class Mark:
    """One asked number: where it is, what was given (None: no answer), what is right."""

    where: str  # "df/dx", "dC/dW^[1] row 2, column 1"
    given: float | None
    right: float
    ok: bool
    typed: str = ""  # the answer as the student wrote it, when it was text ("-1/2"); "" for a JSON number


@dataclass
class QuestionResult:
    """How one question went: each asked number, and the wrong ones."""

    key: str
    marks: list[Mark] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(m.ok for m in self.marks)

    @property
    def wrong(self) -> list[Mark]:
        return [m for m in self.marks if not m.ok]


@dataclass
class Grade:
    """The whole set: per question, and in all."""

    results: list[QuestionResult]

    @property
    def right(self) -> int:
        return sum(r.right for r in self.results)

    @property
    def asked(self) -> int:
        return sum(len(r.marks) for r in self.results)

    def table(self) -> str:
        """The per-question table and the total, with each wrong number and its right value."""
        width = max(len("question"), *(len(r.key) for r in self.results))
        lines = [f"{'question':<{width}}  right  of  result"]
        for r in self.results:
            verdict = "all right" if not r.wrong else f"{len(r.wrong)} wrong"
            lines.append(f"{r.key:<{width}}  {r.right:>5}  {len(r.marks):>2}  {verdict}")
            for m in r.wrong:
                given = "no answer" if m.given is None else f"you gave {_shown(m)}"
                lines.append(f"{'':<{width}}    {m.where}: {given}, right is {number(m.right)}")
        share = 100.0 * self.right / self.asked if self.asked else 100.0
        lines.append(f"{'total':<{width}}  {self.right:>5}  {self.asked:>2}  {share:.1f}%")
        return "\n".join(lines) + "\n"


def read_answers(path: str | os.PathLike) -> Any:
    """The JSON document in ``path``, read within ``MAX_BYTES`` and parsed strictly (``AnswersError`` if not)."""
    try:
        data = read_limited(path, MAX_BYTES)
    except ValueError as error:
        raise AnswersError(f"answers file: {str(error).split('; if you trust it')[0]}") from None
    try:
        return parse_strict(data, max_depth=MAX_DEPTH, max_containers=MAX_CONTAINERS)
    except ValueError as error:
        raise AnswersError(f"answers file: {error}") from None


def grade(s: ExerciseSet, answers: Any, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> Grade:
    """Grade ``answers`` (the parsed answers.json) against ``s``: right when |given - right| <= abs_tol +
    rel_tol |right|. ``AnswersError`` for anything that is not an answer to this set."""
    if not isinstance(answers, dict):
        raise AnswersError(f'answers.json must be a JSON object like {{"q1": {{...}}}}, got {_kind(answers)}')
    keys = [q.key for q in s.questions]
    extra = [k for k in answers if k not in keys]
    if extra:
        shown = ", ".join(repr(k[:20]) for k in extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        raise AnswersError(f"answers.json has {shown}, which the set does not ask (its questions: {keys[0]} to "
                           f"{keys[-1]})")
    results = []
    for q in s.questions:
        given = answers.get(q.key)
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise AnswersError(f"{q.key} must be an object of answers like {{\"{next(iter(q.answers))}\": ...}}, "
                               f"got {_kind(given)}")
        unknown = [k for k in given if k not in q.answers]
        if unknown:
            raise AnswersError(f"{q.key} has no quantity named {unknown[0][:40]!r}; it asks {', '.join(q.answers)}")
        result = QuestionResult(q.key)
        for key, right in q.answers.items():
            _marks(given.get(key), right, f"{q.key} {key}", result.marks, rel_tol, abs_tol)
        results.append(result)
    return Grade(results)


def _marks(given: Any, right: Any, where: str, out: list[Mark], rel_tol: float, abs_tol: float,
           matrix_row: bool = False) -> None:
    """Compare one asked quantity (a number, a vector or a matrix, a list of rows), entry by entry."""
    if isinstance(right, list):
        if given is None:
            given = [None] * len(right)
        rows = isinstance(right[0], list)
        if not isinstance(given, list) or len(given) != len(right):
            what = "rows" if rows else "numbers"
            raise AnswersError(f"{where} must be a list of {len(right)} {what}, got {_kind(given)}")
        for i, (g, r) in enumerate(zip(given, right)):
            place = f"{where} row {i + 1}" if rows else f"{where}, column {i + 1}" if matrix_row else \
                f"{where} entry {i + 1}"
            _marks(g, r, place, out, rel_tol, abs_tol, matrix_row=rows)
        return
    typed = ""
    if given is not None:
        given, typed = answer_number(given, where)
    ok = given is not None and abs(given - right) <= abs_tol + rel_tol * abs(right)
    out.append(Mark(where.split(" ", 1)[1], given, right, ok, typed))


def answer_number(given: Any, where: str) -> tuple[float, str]:
    """One entry of answers.json as (its number, the text the student wrote or "" for a JSON number). Text is
    read as ``autograd-lite check`` and the quiz page read an answer (``parse_number``: "-1/2", "1/3e2");
    anything else that is not a finite number is an ``AnswersError`` naming ``where``.

    >>> answer_number("-1/2", "q1 df/dx"), answer_number(4, "q1 f")
    ((-0.5, '-1/2'), (4.0, ''))
    >>> answer_number("1/0", "q1 df/dx")
    Traceback (most recent call last):
    nn.exercise_grading.AnswersError: q1 df/dx: the denominator of '1/0' is 0
    """
    if isinstance(given, str):
        try:
            return parse_number(given), " ".join(given.split())
        except ValueError as error:
            raise AnswersError(f"{where}: {error}") from None
    if isinstance(given, bool) or not isinstance(given, (int, float)):
        raise AnswersError(f"{where} must be {NUMBER_HELP} (a fraction as text: \"-1/2\"), or null; "
                           f"got {_kind(given)}")
    try:
        value = float(given)
    except OverflowError:  # a whole number of 309 digits or more (a float overflows to inf, caught below)
        raise AnswersError(f"{where}: a whole number of {_size(int(given))} is too large for a number") from None
    if not math.isfinite(value):
        raise AnswersError(f"{where} must be a finite number, got {given}")
    return value, ""


def _size(n: int) -> str:
    try:
        return f"{len(str(abs(n))):,} digits"
    except ValueError:  # str() refuses more than 4,300 digits too
        return f"{n.bit_length():,} bits"


def _shown(mark: Mark) -> str:
    """The answer given, as written: "-1/2 = -0.5" for text whose number reads differently."""
    assert mark.given is not None
    value = number(mark.given)
    return value if not mark.typed or mark.typed == value else f"{mark.typed} = {value}"


def _kind(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return f"{str(x).lower()} (true/false)"
    if isinstance(x, str):
        return f"the text {x[:30]!r}" + ("…" if len(x) > 30 else "")
    if isinstance(x, list):
        return f"a list of {len(x)}"
    if isinstance(x, dict):
        return "an object"
    return f"{x!r:.30}"

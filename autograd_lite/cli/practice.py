"""Practice: check gradients worked out by hand, or quiz yourself on a backward pass, from a formula.

    autograd-lite check "x*y + x" x=3 y=-2 --grad x=-1 --grad y=3      exit 0: both right
    autograd-lite check "x*y + x" x=3 y=-2 --grad x=-2                 exit 1: x is wrong; the right value and
                                                                       x's chain-rule steps are printed
    autograd-lite check "log(x)" x=0 --grad x=1                        exit 2: nothing checked, log(0) is not
                                                                       a number (as for a usage error)
    autograd-lite quiz "tanh(w*x + b)" x=1 w=0.5 b=-0.2 -o quiz.html   a page to fill in, offline

The same from Python, for notebooks: ``check("x*y + x", {"x": 3, "y": -2}, {"x": -1})`` (a ``CheckResult``) and
``quiz("tanh(w*x + b)", {...})`` (a ``Quiz``, shown inline by Jupyter); both also take a Value instead of a formula.
The work is done by ``teaching.check`` and ``teaching.quiz``; this module reads the formula and the options.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from ..core.engine import Value
from ..teaching.check import ABS_TOL, MAX_TOL, NUMBER_HELP, TOL, CheckResult, check_gradients, parse_number
from ..teaching.quiz import Quiz, QuizSizeError, backward_quiz
from .args import (
    check_output,
    check_suffix,
    name_some,
    number_between,
    output_path,
    say,
    shorten,
    whole_number,
    write_output,
)
from .commands import EPILOG, EXIT_FAILED, EXIT_OK, MAX_PRECISION, UsageError, formula, formula_arguments, formula_graph
from .expr import MAX_ASSIGNMENTS, ExpressionError

TITLE_LENGTH = 200  # characters of a quiz page's --title
PAGE_SUFFIXES = (".html", ".htm")  # the quiz is a page to open in a browser, as the training player is


def check(root_or_expression: Value | str, values: Mapping[str, float] | None = None,
          grads: Mapping[str | Value, float | str] | None = None, *, tol: float = TOL,
          abs_tol: float = ABS_TOL) -> CheckResult:
    """Check gradients worked out by hand: ``grads`` maps a variable's name to d root / d variable.

    >>> result = check("x*y + x", {"x": 3, "y": -2}, {"x": -1, "y": 3}); result.ok
    True
    >>> print(check("x*y + x", {"x": 3, "y": -2}, {"x": "-2"}).to_text().splitlines()[0])
    df/dx = -2: wrong, the right value is -1

    ``root_or_expression``: a formula (as the command line takes it, with ``values`` for its variables) or a
    Value (its labelled leaves are the variables; no ``values``). An answer may be a number or text ("-1/2").
    Right means within ``tol`` of the right value, relatively, or within ``abs_tol`` (a floor for gradients
    that are 0). The result shows as text, Markdown or HTML; ``result.wrong`` lists what is wrong, with its steps.
    """
    return check_gradients(_root(root_or_expression, values, "check"), grads or {}, tol=tol, abs_tol=abs_tol)


def quiz(root_or_expression: Value | str, values: Mapping[str, float] | None = None, *, title: str = "",
         tol: float = TOL, abs_tol: float = ABS_TOL, precision: int = 6) -> Quiz:
    """A quiz page on the backward pass of a formula (or a Value): each step's local derivative and running total.

    >>> q = quiz("tanh(w*x + b)", {"x": 1, "w": 0.5, "b": -0.2}); q.blank_count, q.questions[0].title
    (10, 'Step 1 of 5: edge v2 → y')

    ``q.save("quiz.html")`` writes the page; in Jupyter, ``q`` alone shows it (inline, scripts running).
    """
    if not title and isinstance(root_or_expression, str):
        title = f"Backpropagation quiz: {root_or_expression}"
    return backward_quiz(_root(root_or_expression, values, "quiz"), title=title, tol=tol, abs_tol=abs_tol,
                         precision=precision)


def _root(root_or_expression: Value | str, values: Mapping[str, float] | None, who: str) -> Value:
    if isinstance(root_or_expression, Value):
        if values:
            raise ValueError(f"{who}: values are for a formula given as text; a Value has its numbers already")
        return root_or_expression
    if not isinstance(root_or_expression, str):
        raise TypeError(f"{who}: expected a formula (text) or a Value, got {type(root_or_expression).__name__}")
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise TypeError(f"{who}: values must map each variable's name to its number, got {type(values).__name__}")
    try:
        return formula_graph(root_or_expression, dict(values))[0]
    except UsageError as error:
        raise ValueError(f"{who}: {error}") from None


# --- the commands ----------------------------------------------------------------------------------
def add_practice_commands(commands: Any) -> None:
    """Add ``check`` and ``quiz`` to the command line's subparsers."""
    tolerances = [
        (("--tol",), dict(type=number_between(0.0, MAX_TOL), default=TOL, metavar="T",
                          help=f"relative tolerance of an answer, 0 to {MAX_TOL:g} (default {TOL:g}: 0.1%%)")),
        (("--abs-tol",), dict(type=number_between(0.0, MAX_TOL), default=ABS_TOL, metavar="A",
                              help=f"an answer within A of the right value is right too, whatever its size: the floor "
                                   f"for gradients that are 0 (default {ABS_TOL:g})")),
    ]
    p = commands.add_parser("check", help="check gradients you worked out by hand", epilog=_CHECK_EPILOG,
                            description="Check your gradients of a formula: each wrong one is shown with the right "
                                        "value and the chain-rule steps that lead to it.")
    formula_arguments(p)
    p.add_argument("--grad", action="append", default=[], metavar="NAME=NUMBER",
                   help=f"your d(formula)/d(NAME), as {NUMBER_HELP}; repeat for each variable")
    for flags, options in tolerances:
        p.add_argument(*flags, **options)
    p.add_argument("--precision", type=whole_number(1, MAX_PRECISION), default=6,
                   help=f"significant digits shown, 1 to {MAX_PRECISION} (default 6)")
    p.set_defaults(run=_check, verdict=True)

    p = commands.add_parser("quiz", help="a page that quizzes you on a formula's backward pass", epilog=EPILOG,
                            description="Write a self-contained HTML page: for each step of the backward pass, type "
                                        "the local derivative and the new running gradient; each box is checked at "
                                        "once, with a hint and the answer at hand.")
    formula_arguments(p)
    p.add_argument("-o", "--output", metavar="FILE", type=output_path,
                   help="write the page to FILE, a name ending in .html (quiz.html), instead of standard output")
    p.add_argument("--title", type=_title, default="", help="the page's title")
    for flags, options in tolerances:
        p.add_argument(*flags, **options)
    p.add_argument("--precision", type=whole_number(1, MAX_PRECISION), default=6,
                   help=f"significant digits of the numbers on the page, 1 to {MAX_PRECISION} (default 6)")
    p.set_defaults(run=_quiz)


_CHECK_EPILOG = ("exit codes: 0 every given gradient is right; 1 one is wrong (its right value and steps are "
                 "printed); 2 no verdict: a usage error (bad option, refused expression, bad NAME=VALUE or "
                 "--grad), values at which the formula or its gradient cannot be computed (log(x) at x=0, "
                 "exp(1000)), or output that cannot be written; 130 interrupted (Ctrl-C)")


def _title(text: str) -> str:
    if len(text) > TITLE_LENGTH:
        raise argparse.ArgumentTypeError(f"a title of at most {TITLE_LENGTH} characters, got {len(text):,}")
    return text


def parse_grads(items: list[str], variables: Mapping[str, Value]) -> dict[str, float]:
    """``--grad`` items (``["x=-1", "y=1/2"]``) as {name: number}; a UsageError names what is wrong.

    >>> parse_grads(["x=-1", "y=1/2"], {"x": Value(1.0), "y": Value(2.0)})
    {'x': -1.0, 'y': 0.5}
    """
    if not items:
        raise UsageError("give the gradients to check with --grad NAME=NUMBER (like --grad x=-1), one per variable")
    if len(items) > MAX_ASSIGNMENTS:
        raise UsageError(f"{len(items):,} --grad options; the limit is {MAX_ASSIGNMENTS} (an expression cannot "
                         "have more variables)")
    grads: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise UsageError(f"--grad '{shorten(item)}': expected NAME=NUMBER (like --grad x=-1)")
        if name not in variables:
            raise UsageError(f"--grad {shorten(name)}: {shorten(name)} is not a variable of the expression "
                             f"(its variables: {name_some(sorted(variables), 10) or 'none'})")
        if name in grads:
            raise UsageError(f"--grad {shorten(name)} is given twice")
        try:
            grads[name] = parse_number(text)
        except ValueError as error:
            raise UsageError(f"--grad {shorten(name)}: {error}") from None
    return grads


def _check(args: argparse.Namespace) -> int:
    """Exit 0 or 1 is the verdict; whatever keeps a verdict from being made or told is exit 2 (``verdict``)."""
    try:
        root, leaves = formula(args)
        grads = parse_grads(args.grad, leaves)
        result = check_gradients(root, grads, tol=args.tol, abs_tol=args.abs_tol)
    except ExpressionError:
        raise
    except (ValueError, ArithmeticError) as error:  # the engine's message names the op, its operands and why
        raise UsageError(f"nothing checked: at these values the formula or its gradient cannot be computed: "
                         f"{error}") from None
    write_output(result.to_text(precision=args.precision) + "\n", None)
    if result.ok:
        return EXIT_OK
    wrong = [c.name for c in result.wrong]
    say(f"autograd-lite check: {len(wrong)} of {len(result.checks)} gradients wrong: {name_some(wrong, 10)}")
    return EXIT_FAILED


def _quiz(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_suffix(args.output, "-o", PAGE_SUFFIXES, "the quiz is an HTML page; ",
                     " (or no -o: the page goes to standard output)")
        check_output(args.output, "-o", pipe_ok=True)
    root, _ = formula(args)
    try:
        page = backward_quiz(root, title=args.title or f"Backpropagation quiz: {args.expression}", tol=args.tol,
                             abs_tol=args.abs_tol, precision=args.precision)
    except QuizSizeError as error:  # no steps, or more than MAX_STEPS: the expression is not one to quiz on
        raise UsageError(str(error)) from None
    write_output(page.to_html(), args.output)
    return EXIT_OK

"""Check a student's gradients: right or wrong within a tolerance, and for each wrong one the right value and
the chain-rule steps (``explain``'s) on the paths from the root to that variable.

    >>> from autograd_lite import Value
    >>> x, y = Value(3.0, label="x"), Value(-2.0, label="y"); f = x * y + x; f.label = "f"
    >>> result = check_gradients(f, {"x": -1, "y": 3}); result.ok, [c.right for c in result.checks]
    (True, [-1.0, 3.0])
    >>> check_gradients(f, {"x": "-2"}).wrong[0].name
    'x'

An answer is right when ``|given - right| <= max(tol * |right|, abs_tol)``: relative, so the scale of a gradient
does not matter, with an absolute floor (``ABS_TOL``, 1e-6) so a gradient that is exactly 0 (or a rounding error
away from it) accepts an answer of 0, or any hand-rounded number within the floor.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.engine import Value
from ..core.graph import topological_order
from . import labels
from .explain import Explanation, Step, explain
from .formatting import factor, number, param_binding

TOL = 1e-3  # relative tolerance of an answer
ABS_TOL = 1e-6  # absolute floor: a true gradient of 0 accepts |answer| <= 1e-6
MAX_TOL = 1.0  # a tolerance above 100% accepts anything: refused
SHOWN_STEPS = 40  # chain-rule steps printed per wrong variable; the rest are counted (explain lists them all)
MAX_ANSWER = 100  # characters of an answer's text

_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # ASCII digits, as the page's script
_NUMBER = re.compile(_DECIMAL)
_FRACTION = re.compile(rf"({_DECIMAL})\s*/\s*({_DECIMAL})")
NUMBER_HELP = "a number such as 0.5, -1/2 or 1e-3"


def parse_number(text: str) -> float:
    """An answer as a student types it: a decimal ("0.5", "-2", "1e-3") or a fraction of two ("-1/2", "1/3e2").

    >>> parse_number("-1/2"), parse_number(" 1e-3 "), parse_number("−0.25")
    (-0.5, 0.001, -0.25)
    >>> parse_number("2*x")
    Traceback (most recent call last):
    ValueError: expected a number such as 0.5, -1/2 or 1e-3, got '2*x'

    The quiz page's script reads answers by the same rules (no eval there either). A Unicode minus sign (−, as
    pages print it) counts as '-'. Not accepted: nan, inf, a zero denominator, a result too large for a float.
    """
    if not isinstance(text, str):
        raise TypeError(f"an answer must be text or a number, got {type(text).__name__}")
    shown = labels.shorten(labels.printable(text.strip()), 40)
    clean = text.strip().replace("\u2212", "-")
    if len(clean) <= MAX_ANSWER:
        if _NUMBER.fullmatch(clean):
            value = float(clean)
        elif (parts := _FRACTION.fullmatch(clean)) is not None:
            top, bottom = float(parts[1]), float(parts[2])
            if bottom == 0.0:
                raise ValueError(f"the denominator of '{shown}' is 0")
            value = top / bottom
        else:
            value = None
        if value is not None:
            if not math.isfinite(value):
                raise ValueError(f"'{shown}' is too large for a number")
            return value
    raise ValueError(f"expected {NUMBER_HELP}, got '{shown}'")


def check_tolerance(tol: object, what: str = "tol") -> float:
    """``tol`` as a float from 0 to ``MAX_TOL``, else a ValueError naming ``what``."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 <= tol <= MAX_TOL:
        raise ValueError(f"{what} must be a number from 0 to {MAX_TOL:g}, got {tol!r}")
    return float(tol)


def is_right(given: float, right: float, tol: float = TOL, abs_tol: float = ABS_TOL) -> bool:
    """Whether ``given`` matches ``right``: within ``tol`` of it, relatively, or within the floor ``abs_tol``.

    >>> is_right(0.4998, 0.5), is_right(0.49, 0.5), is_right(1e-9, 0.0), is_right(0.01, 0.0)
    (True, False, True, False)
    """
    return abs(given - right) <= max(tol * abs(right), abs_tol)


@dataclass(frozen=True)
class GradientCheck:
    """One variable: the gradient the student gave, the right one, and the steps that reach the variable."""

    name: str
    given: float
    right: float
    ok: bool
    steps: tuple[Step, ...]  # explain's steps on the paths from the root to this variable, in backward order


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: one ``GradientCheck`` per given gradient. Shows as text, Markdown or HTML.

    >>> from autograd_lite import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
    >>> print(check_gradients(y, {"x": 4}).to_text())
    dy/dx = 4: right
    """

    root: str  # the root's name
    checks: tuple[GradientCheck, ...]
    tol: float
    abs_tol: float

    @property
    def ok(self) -> bool:
        """True when every given gradient is right."""
        return all(c.ok for c in self.checks)

    @property
    def wrong(self) -> list[GradientCheck]:
        """The checks that failed, in the order given."""
        return [c for c in self.checks if not c.ok]

    def to_text(self, precision: int = 6) -> str:
        """One line per gradient; each wrong one followed by the right value and its chain-rule steps."""
        num = lambda x: number(x, precision)
        out = []
        for c in self.checks:
            d = f"d{self.root}/d{c.name}"
            if c.ok:
                out.append(f"{d} = {num(c.given)}: right")
                continue
            out.append(f"{d} = {num(c.given)}: wrong, the right value is {num(c.right)}")
            out.extend("  " + line for line in steps_text(c.steps, self.root, c.name, c.right, precision))
        if not self.ok:
            out.append(f"(an answer is right within {self.tol:g} of the right value, relatively, "
                       f"or within {self.abs_tol:g})")
        return "\n".join(map(labels.printable, out))

    def to_markdown(self, precision: int = 6) -> str:
        """A table of the answers, then each wrong one's steps in a code block."""
        num = lambda x: number(x, precision)
        out = ["| gradient | yours | right value | |", "|---|---|---|---|"]
        for c in self.checks:
            d = labels.markdown_code(f"d{self.root}/d{c.name}")
            out.append(f"| {d} | {num(c.given)} | {num(c.right)} | {'✓ right' if c.ok else '✗ wrong'} |")
        for c in self.wrong:
            text = "\n".join(steps_text(c.steps, self.root, c.name, c.right, precision)).replace("```", "'''")
            out += ["", f"**{labels.markdown(c.name)}**: the chain-rule steps that reach it", "", "```", text, "```"]
        return "\n".join(out)

    def to_html(self, precision: int = 6) -> str:
        """An HTML fragment (for Jupyter): the table, and each wrong answer's steps in a folded block."""
        num = lambda x: number(x, precision)
        h = labels.html_text
        rows = "".join(
            f"<tr><td><code>{h(f'd{self.root}/d{c.name}')}</code></td><td>{num(c.given)}</td><td>{num(c.right)}</td>"
            f"<td style='color:{'#15803d' if c.ok else '#b91c1c'}'>{'✓ right' if c.ok else '✗ wrong'}</td></tr>"
            for c in self.checks)
        details = "".join(
            f"<details open><summary>{h(c.name)}: the chain-rule steps that reach it</summary>"
            f"<pre>{html.escape(chr(10).join(steps_text(c.steps, self.root, c.name, c.right, precision)))}</pre>"
            "</details>"
            for c in self.wrong)
        return (f"<table><tr><th>gradient</th><th>yours</th><th>right value</th><th></th></tr>{rows}</table>"
                f"{details}")

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        wrong = [c.name for c in self.wrong]
        return f"CheckResult({len(self.checks)} checked, {'all right' if not wrong else 'wrong: ' + ', '.join(wrong)})"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.to_html()


# the gradients given, keyed by a leaf's name or the leaf (Mapping's key is invariant: a dict of names fits too)
Gradients = Mapping[str, float | str] | Mapping[Value, float | str] | Mapping[str | Value, float | str]


def check_gradients(root: Value, grads: Gradients, tol: float = TOL,
                    abs_tol: float = ABS_TOL) -> CheckResult:
    """Check the gradients d root / d variable in ``grads`` (keyed by a labelled leaf's name, or the leaf).

    >>> from autograd_lite import Value
    >>> w = Value(0.5, label="w"); y = (2 * w).tanh(); y.label = "y"
    >>> check_gradients(y, {"w": 0.84}, tol=0.01).ok, check_gradients(y, {w: "0.8"}).ok
    (True, False)

    A value may be a number or an answer's text (``parse_number``: "-1/2"). ``.grad`` is not changed.
    """
    if not isinstance(root, Value):
        raise TypeError(f"check: the root must be a Value, got {type(root).__name__}")
    tol, abs_tol = check_tolerance(tol), check_tolerance(abs_tol, "abs_tol")
    if not isinstance(grads, Mapping) or not grads:
        raise ValueError("check: give at least one gradient, as {name: value}")
    order = topological_order(root)
    leaves: dict[str, Value] = {}
    shared: set[str] = set()  # labels that two different leaves carry: a name would not say which one
    for v in order:
        if not v.inputs and v.label:
            if v.label in leaves and leaves[v.label] is not v:
                shared.add(v.label)
            leaves.setdefault(v.label, v)
    e = explain(root)
    checks: list[tuple[Value, float]] = []
    for key, given in grads.items():
        if isinstance(key, str) and key in shared:
            raise ValueError(f"check: two different leaves are named {labels.name(key)}; give the gradient of "
                             "each with its Value as the key, or label them apart")
        leaf = _leaf(key, leaves, order)
        if any(leaf is seen for seen, _ in checks):
            raise ValueError(f"check: the gradient of {labels.name(e.names[leaf])} is given twice")
        checks.append((leaf, _number(given, e.names[leaf])))
    results = []
    for leaf, given in checks:
        right = e.grad(leaf)
        results.append(GradientCheck(name=e.names[leaf], given=given, right=right,
                                     ok=is_right(given, right, tol, abs_tol), steps=tuple(steps_to(e, leaf))))
    return CheckResult(root=e.names[root], checks=tuple(results), tol=tol, abs_tol=abs_tol)


def steps_to(e: Explanation, leaf: Value) -> list[Step]:
    """The steps of ``e`` on the paths from the root down to ``leaf``: every edge whose input depends on it.

    >>> from autograd_lite import Value
    >>> x, y = Value(1.0, label="x"), Value(2.0, label="y"); f = (x * y).exp() + y
    >>> [(s.name, s.input_name) for s in steps_to(explain(f), x)]
    [('v3', 'v2'), ('v2', 'v1'), ('v1', 'x')]
    """
    reaches = {leaf}
    for node in topological_order(e.root):  # inputs first: a node depends on leaf when one of its inputs does
        if any(x in reaches for x in node.inputs):
            reaches.add(node)
    return [s for s in e.steps if s.input in reaches]


def steps_text(steps: tuple[Step, ...] | list[Step], root: str, name: str, right: float,
               precision: int = 6) -> list[str]:
    """The chain-rule steps as lines of text, at most ``SHOWN_STEPS`` of them, ending with the total."""
    num = lambda x: number(x, precision)
    if not steps:
        return [f"{name} is not in the graph of {root}: d{root}/d{name} = 0"]
    out = []
    for s in steps[:SHOWN_STEPS]:
        out.append(f"step {s.index}: edge {s.input_name} -> {s.name}")
        if s.local is None:  # skipped
            out.append(f"    d{root}/d{s.name} = 0 here, so this edge adds nothing (backward skips it)")
            continue
        value = num(s.local)
        how = formula_of(s) + (f" = {s.evaluated}" if s.evaluated and s.evaluated not in (value, s.partial) else "")
        out.append(f"    local    d{s.name}/d{s.input_name} = {value}  ({how})")
        out.append(f"    chain    d{root}/d{s.input_name} += d{root}/d{s.name} * d{s.name}/d{s.input_name}"
                   f" = {num(s.upstream)} * {factor(s.local, precision)} = {num(s.contribution)}"
                   f"  (total {num(s.total)}, {s.count} of {s.users})")
    if len(steps) > SHOWN_STEPS:
        out.append(f"... and {len(steps) - SHOWN_STEPS:,} more steps (autograd-lite explain lists them all)")
    out.append(f"so d{root}/d{name} = {num(right)}")
    return out


def formula_of(s: Step) -> str:
    """The step's local derivative as a formula: in the graph's own names where ``explain`` writes them
    (``named_formula``: "d(w * x)/dw = x"), else the op table's with what its names stand for
    ("d(a * b)/da = b, with a = w, b = x").

    >>> from autograd_lite import Value
    >>> w = Value(0.5, label="w"); formula_of(explain(w.tanh()).steps[0]).startswith("d tanh(")
    True
    """
    named = getattr(s, "named_formula", "")  # newer explain: the formula in the graph's names
    if named:
        return named
    where = ", ".join(filter(None, [s.bindings, param_binding(s, lambda p: number(p, 6))]))
    return s.formula + (f", with {where}" if where else "")


def _leaf(key: object, leaves: dict[str, Value], order: list[Value]) -> Value:
    if isinstance(key, Value):
        if key.inputs or key not in set(order):
            raise ValueError("check: a Value given as a key must be a leaf of the root's graph")
        return key
    if not isinstance(key, str):
        raise TypeError(f"check: a gradient's key must be a variable's name or its Value, got {type(key).__name__}")
    if key not in leaves:
        known = ", ".join(labels.name(n, 20) for n in list(leaves)[:10]) or "none"
        raise ValueError(f"check: {labels.name(key)} is not a variable of the expression (its variables: {known})")
    return leaves[key]


def _number(given: object, name: str) -> float:
    if isinstance(given, str):
        try:
            return parse_number(given)
        except ValueError as error:
            raise ValueError(f"check: the gradient of {labels.name(name)}: {error}") from None
    if isinstance(given, int) and not isinstance(given, bool) and abs(given) > 1e300:
        raise ValueError(f"check: the gradient of {labels.name(name)} is too large for a number "
                         f"({given.bit_length()} bits)")
    if isinstance(given, bool) or not isinstance(given, (int, float)) or not math.isfinite(given):
        raise ValueError(f"check: the gradient of {labels.name(name)} must be a finite number, got {given!r}")
    return float(given)

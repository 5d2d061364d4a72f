"""Homework by hand: random formulas over a chosen mix of ops, with numbers a student can work with.

    >>> e = expression_exercise(seed=7, ops=("add", "mul", "pow"))
    >>> e.expression, e.values
    ('(x + (x + y))**2 + y', {'x': 1.0, 'y': 1.5})
    >>> e.answers
    {'f': 13.75, 'df/dx': 14.0, 'df/dy': 8.0}

Each exercise is a formula in ``x``, ``y`` (and maybe ``z``) over the ops asked for (``EXERCISE_OPS`` lists the
ones on offer; every name is an op of the op table, ``OPS``), its variables' values (whole numbers and halves),
a table of the values a student cannot work out by hand (``tanh(0.5) ≈ 0.4621`` and its derivative), and the
answers: ``f`` and ``df/dv`` for every variable, from the engine (``explain``, whose steps are the worked
solution). A formula is kept only when the work is doable by hand:

- every number the student computes without the table has at most 3 decimals and is at most ``LARGEST`` in size;
- a function the student needs the table for (exp, tanh ...) is only applied to such a number, so the table
  reads ``tanh(0.5)``, never ``tanh(0.46211...)``;
- every answer is 0 or at least ``SMALLEST`` in size, and a table value is taken at |u| <= ``TABLE_RANGE``;
- no ReLU or |u| sits at its kink (u = 0), no operation fails (log of a negative number, division by 0);
- no answer comes from a sum of terms that nearly cancel: rounded table values would then give a wrong answer.

The same ``seed`` and ``index`` give the same exercise, on every platform (``random.Random`` seeded with text).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..core import scalar_math
from ..core.engine import Value, apply_op
from ..core.errors import MATH_ERRORS
from ..core.ops import OPS
from .explain import Explanation, explain
from .formatting import number

EXERCISE_OPS = ("add", "sub", "mul", "div", "neg", "pow", "relu", "abs",
                "exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "sin", "cos")
"""The ops an exercise may use (every one an op of the op table); ``--ops`` picks among them."""
BY_HAND = frozenset({"add", "sub", "mul", "div", "neg", "pow", "relu", "abs"})  # computable from any number
DEFAULT_OPS = ("add", "sub", "mul", "pow", "relu", "tanh", "exp")
INPUTS = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)  # the values of the variables
CONSTANTS = (2.0, 3.0)  # numbers that appear in a formula
EXPONENTS = (2.0, 3.0)  # of pow
LARGEST = 100.0  # no number the student computes is larger than this
LARGEST_GRADIENT = 1000.0
SMALLEST = 0.01  # an answer is 0 or at least this in size
TABLE_RANGE = 3.0  # a function the table gives is taken at |u| <= 3 (tanh(40) is 1, to any table)
CANCELLATION = 10.0  # an answer is at least 1/10 of the sum of the sizes of the terms it adds up
ATTEMPTS = 2000  # formulas tried per exercise (a few are usually enough)
TABLE_DIGITS = 4  # significant digits of a table value
MAX_OPS_TEXT = 1000  # characters of an --ops list

for _name in EXERCISE_OPS:  # the op table is the one list of ops: an exercise op must be one of them
    assert _name in OPS, f"exercise op {_name!r} is not in the op table"


@dataclass(frozen=True)
class TableValue:
    """A number the sheet gives: a function's value (or its derivative's) where the formula needs it."""

    text: str  # "tanh(0.5)" or "d/du tanh(u) = 1 - tanh(u)^2 at u = 0.5"
    latex: str
    value: float

    @property
    def shown(self) -> str:
        """The value as the sheet prints it (``TABLE_DIGITS`` significant digits)."""
        return number(self.value, TABLE_DIGITS)


@dataclass(frozen=True, eq=False)
class ExpressionExercise:
    """One formula to differentiate by hand, with everything the sheet, the solutions and the grader need."""

    expression: str  # Python syntax, as ``autograd-lite explain`` takes it
    latex: str
    values: dict[str, float]
    table: tuple[TableValue, ...]
    answers: dict[str, float]  # "f" and "df/dv" for each variable, in the order the sheet asks them
    explanation: Explanation = field(repr=False)

    @property
    def command(self) -> str:
        """The ``autograd-lite explain`` command line that shows the same steps."""
        values = " ".join(f"{name}={number(v, 6)}" for name, v in self.values.items())
        return f'autograd-lite explain "{self.expression}" {values}'


@dataclass(frozen=True)
class _Node:
    op: str = ""  # "" for a leaf
    children: tuple[_Node, ...] = ()
    name: str = ""  # a leaf's variable name ("" for a constant)
    constant: float = 0.0
    param: float | None = None  # pow's exponent

    def variables(self) -> set[str]:
        if not self.op:
            return {self.name} if self.name else set()
        return set().union(*(c.variables() for c in self.children))


def exercise_ops(names: str | Iterable[str]) -> tuple[str, ...]:
    """The op names of ``"add,mul,tanh"`` (or a list), checked against the op table; ValueError naming a bad one.

    >>> exercise_ops("add, tanh,add")
    ('add', 'tanh')
    >>> exercise_ops("add,dot")
    Traceback (most recent call last):
    ValueError: the op 'dot' is in the op table but not offered in exercises; choose from add, sub, mul, div, neg, \
pow, relu, abs, exp, log, sqrt, tanh, sigmoid, softplus, sin, cos
    """
    if isinstance(names, str):
        if len(names) > MAX_OPS_TEXT:
            raise ValueError(f"the list of ops is {len(names):,} characters long; the limit is {MAX_OPS_TEXT:,}")
        names = names.split(",")
    chosen: list[str] = []
    for raw in names:
        if not isinstance(raw, str):
            raise ValueError(f"an op name must be text, got {type(raw).__name__}")
        name = raw.strip()
        if not name:
            continue
        if name not in OPS:
            shown = name if len(name) <= 40 else name[:39] + "…"
            raise ValueError(f"{shown!r} is not an op of the op table; choose from {', '.join(EXERCISE_OPS)}")
        if name not in EXERCISE_OPS:
            raise ValueError(f"the op {name!r} is in the op table but not offered in exercises; "
                             f"choose from {', '.join(EXERCISE_OPS)}")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValueError(f"no ops given; choose from {', '.join(EXERCISE_OPS)}")
    return tuple(chosen)


def expression_exercise(seed: int, ops: str | Sequence[str] = DEFAULT_OPS, index: int = 0) -> ExpressionExercise:
    """Exercise number ``index`` of the set ``seed``: a formula over ``ops`` that is doable by hand.

    >>> e = expression_exercise(1, "mul,tanh"); e.expression, e.values, [t.text for t in e.table]
    ('tanh(x) * y', {'x': 1.5, 'y': -1.5}, ['tanh(1.5)', 'd/du tanh(u) = 1 - tanh(u)^2 at u = 1.5'])
    >>> [t.shown for t in e.table], round(e.answers["df/dx"], 6)   # -1.5 (1 - tanh(1.5)^2)
    (['0.9051', '0.1807'], -0.27106)
    """
    chosen = exercise_ops(ops)
    rng = random.Random(f"autograd-lite expression exercise {int(seed)} {int(index)}")
    for attempt in range(ATTEMPTS):
        names = ("x", "y", "z")[:rng.choice((2, 2, 3))]
        size = rng.randint(2, 4) if attempt < ATTEMPTS // 2 else rng.randint(1, 2)
        tree = _grow(rng, chosen, size, names)
        if not _sensible(tree) or not tree.op:
            continue
        values = {name: rng.choice(INPUTS) for name in sorted(tree.variables())}
        exercise = _exercise(tree, values)
        if exercise is not None:
            return exercise
    raise RuntimeError(f"found no formula doable by hand over {', '.join(chosen)} in {ATTEMPTS} tries")


# --- growing a formula ----------------------------------------------------------------------------
def _grow(rng: random.Random, ops: Sequence[str], size: int, names: Sequence[str]) -> _Node:
    """A random formula with ``size`` ops: a leaf is a variable (mostly) or a small constant."""
    if size == 0:
        if rng.random() < 0.15:
            return _Node(constant=rng.choice(CONSTANTS))
        return _Node(name=rng.choice(names))
    op = rng.choice(ops)
    if OPS[op].arity == 2:
        left = rng.randint(0, size - 1)
        return _Node(op, (_grow(rng, ops, left, names), _grow(rng, ops, size - 1 - left, names)))
    param = rng.choice(EXPONENTS) if op == "pow" else None
    return _Node(op, (_grow(rng, ops, size - 1, names),), param=param)


def _sensible(node: _Node) -> bool:
    """No part without a variable (``tanh(2)``, ``2 * 3``), no op twice in a row (``--x``): no one writes them."""
    if not node.op:
        return True
    if not node.variables():
        return False
    if OPS[node.op].arity == 1 and node.children[0].op == node.op:
        return False  # --x, relu(relu(x)), sqrt(sqrt(x))
    return all(_sensible(c) for c in node.children)


# --- checking a formula and its numbers ------------------------------------------------------------
def _nice(x: float) -> bool:
    """At most 3 decimals and at most LARGEST in size: a number a student works with by hand."""
    return abs(x) <= LARGEST and abs(x * 1000 - round(x * 1000)) < 1e-6


def _exercise(tree: _Node, values: dict[str, float]) -> ExpressionExercise | None:
    leaves = {name: Value(v, label=name) for name, v in values.items()}
    nodes: list[tuple[_Node, Value]] = []
    try:
        root = _build(tree, leaves, nodes)
        root.label = "f"
        e = explain(root)
    except MATH_ERRORS:
        return None
    table: list[TableValue] = []
    for node, value in nodes:
        if not node.op:
            continue
        inputs = [x.data for x in value.inputs]
        if node.op in ("relu", "abs") and inputs[0] == 0.0:
            return None  # the kink: which derivative counts is a convention, not an exercise
        if node.op in BY_HAND:
            if all(map(_nice, inputs)) and not _nice(value.data):
                return None  # 1/3 or a huge power: not by hand
            if abs(value.data) > LARGEST:
                return None
            continue
        if not _nice(inputs[0]) or abs(inputs[0]) > TABLE_RANGE:
            return None  # tanh(0.46211...) or tanh(40): no table has it
        try:
            table.extend(_table_values(node, inputs[0], value.data))
        except MATH_ERRORS:
            return None  # sqrt at 0: no derivative (backward skips it only where nothing flows back)
    grads = [e.grad(leaf) for leaf in leaves.values()]
    if not any(grads) or any(abs(g) > LARGEST_GRADIENT for g in grads) or _cancels(e):
        return None
    if any(0 < abs(answer) < SMALLEST for answer in (root.data, *grads)):
        return None  # 3e-05: "0" would be graded right
    answers = {"f": root.data} | {f"df/d{name}": g for name, g in zip(leaves, grads)}
    unique = tuple(dict((t.text, t) for t in table).values())
    return ExpressionExercise(_text(tree), _latex(tree), dict(values), unique, answers, e)


def _build(node: _Node, leaves: dict[str, Value], nodes: list[tuple[_Node, Value]]) -> Value:
    if not node.op:
        value = leaves[node.name] if node.name else Value(node.constant)
    else:
        inputs = [_build(c, leaves, nodes) for c in node.children]
        value = apply_op(OPS[node.op], inputs, node.param)
    nodes.append((node, value))
    return value


def _table_values(node: _Node, u: float, y: float) -> list[TableValue]:
    """The value of a function the student needs the table for, and its derivative's, where not nice."""
    op = OPS[node.op]
    d = op.local(scalar_math, (u,), y, node.param)[0]
    if _nice(y) and _nice(d):
        return []
    at = number(u, 6)
    formula = op.partial(0, 1)
    return [TableValue(op.show([at], node.param), op.show([at], node.param, latex=True), y),
            TableValue(f"d/du {op.show(['u'], node.param)} = {formula} at u = {at}",
                       rf"\left.\frac{{d}}{{du}} {op.show(['u'], node.param, latex=True)}\right|_{{u = {at}}}"
                       f" = {op.partial(0, 1, latex=True)}", d)]


def _cancels(e: Explanation) -> bool:
    """True when a gradient is much smaller than the terms it sums: rounded table values would spoil it."""
    sizes: dict[Value, float] = {}
    for step in e.steps:
        sizes[step.input] = sizes.get(step.input, 0.0) + abs(step.contribution)
    return any(abs(e.grad(node)) * CANCELLATION < size for node, size in sizes.items())


# --- writing a formula ------------------------------------------------------------------------------
_RANK = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}  # how tightly an infix op binds
_LEAF = 9


def _rank(node: _Node) -> int:
    return _RANK.get(node.op, _LEAF) if node.op else _LEAF


def _leaf_text(node: _Node) -> str:
    return node.name or number(node.constant, 6)


def _operands(node: _Node, render: Callable[[_Node], str], wrap: Callable[[str], str], encloses: bool,
              calls: bool) -> list[str]:
    """The children's text, each in parentheses where the parent's notation needs it (``encloses``: the parent
    puts its operand in parentheses or braces itself, as ``tanh(...)`` and ``\\frac{...}{...}`` do; ``calls``: a
    function call is bare enough to be a base or an operand, as in Python's ``tanh(x)**2``)."""
    out = []
    for i, child in enumerate(node.children):
        text = render(child)
        parent, rank = _rank(node), _rank(child)
        infix = rank < _LEAF or not calls
        needs = bool(child.op) and not encloses and (
            (parent in (_LEAF, _RANK["pow"]) and infix) or child.op == "neg" or rank < parent
            or (rank == parent and i == 1))
        out.append(wrap(text) if needs else text)
    return out


def _text(node: _Node) -> str:
    """Python syntax, what ``autograd-lite explain`` reads: ``tanh(x * y + 2)``, ``abs(x)``, ``(x + y)**2``."""
    if not node.op:
        return _leaf_text(node)
    operands = _operands(node, _text, lambda t: f"({t})", node.op not in _RANK, True)
    if node.op == "abs":  # the op table writes |u|, which is not Python
        return f"abs({operands[0]})"
    return OPS[node.op].show(operands, node.param)


def _latex(node: _Node) -> str:
    """LaTeX in the op table's notation: ``\\tanh(x \\cdot y + 2)``, ``\\frac{x}{y}``, ``\\ln \\left(x + y\\right)``."""
    if not node.op:
        return _leaf_text(node)
    op = OPS[node.op]
    template = op.expression_latex
    encloses = "({0})" in template or "{{{0}}}" in template or r"\lvert" in template or node.op == "div"
    operands = _operands(node, _latex, lambda t: rf"\left({t}\right)", encloses, False)
    return op.show(operands, node.param, latex=True)

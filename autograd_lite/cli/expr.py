"""A safe parser for formulas like ``tanh(w*x + b)``: Python's ``ast`` and a whitelist, never ``eval``.

    >>> root, leaves = parse_expression("tanh(w*x + b)", {"x": 1.0, "w": 0.5, "b": -0.2})
    >>> round(root.data, 4), sorted(leaves)
    (0.2913, ['b', 'w', 'x'])

Allowed: numbers, the given variable names, ``+ - * / **``, unary ``-``/``+``, and calls of
the engine's functions (every one-input op of the op table: ``tanh``, ``exp``, ``relu`` ...;
``leaky_relu(x, slope)``, ``elu(x, alpha)``; ``sum(...)``, ``logsumexp(...)``,
``dot([w1, w2], [x1, x2])``). Anything else (attributes, subscripts, lambdas, keywords,
``__import__``, unknown names, exponents above 64 in size) raises ``ExpressionError``.

Every message that repeats what the user typed goes through ``shorten`` (one line, printable,
cut in the middle with an ellipsis) or ``name_some`` ("a, b, c and 997 more"), so no input makes
a long error line.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Callable, Mapping

from ..core import nary
from ..core.engine import Value
from ..core.ops import BUILT_IN, OPS
from .args import shorten

MAX_LENGTH = 2000  # characters in an expression
MAX_NODES = 400  # syntax-tree nodes: the graph stays small enough to draw and explain
MAX_EXPONENT = 64.0  # |p| in x ** p: larger powers only overflow or underflow
MAX_ASSIGNMENTS = MAX_NODES  # NAME=VALUE arguments: an expression of MAX_NODES parts cannot use more names



class ExpressionError(ValueError):
    """An expression or a ``NAME=VALUE`` assignment that is not allowed, with the reason."""





def _functions() -> dict[str, tuple[Callable, int, int]]:
    """name -> (function, fewest args, most args), built from the op table's built-in ops (no second list)."""
    table: dict[str, tuple[Callable, int, int]] = {}
    for name, op in OPS.items():
        if name not in BUILT_IN:  # the whitelist does not grow with ops a program defines at run time
            continue
        if op.arity == 1 and name != "neg" and name != "pow":
            method = abs if name == "abs" else getattr(Value, name)
            takes_param = "{p}" in op.symbol  # leaky_relu(x, slope), elu(x, alpha)
            table[name] = (method, 1, 2 if takes_param else 1)
        elif op.arity == 0:
            table[name] = (getattr(nary, name), 1, 2 if name == "dot" else MAX_NODES)
    return table


FUNCTIONS = _functions()


def parse_expression(expression: str, variables: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the graph of ``expression`` with a leaf Value (labelled with its name) per variable.

    >>> root, leaves = parse_expression("x**2 + 3*x", {"x": 2.0}); root.backward(); leaves["x"].grad
    7.0

    Returns ``(root, leaves)``; a variable used twice is the same leaf, so its gradient sums
    both uses. Raises ``ExpressionError`` for anything outside the whitelist, naming it.
    """
    if not isinstance(expression, str):
        raise ExpressionError(f"the expression must be a string, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(expression):,} characters long; the limit is {MAX_LENGTH:,}")
    bad = next((i for i, c in enumerate(expression) if "\ud800" <= c <= "\udfff" or c == "\0"), None)
    if bad is not None:  # bytes that were not UTF-8 on the command line arrive as lone surrogates
        what = "a null byte" if expression[bad] == "\0" else "a byte that is not UTF-8 text"
        raise ExpressionError(f"the expression contains {what} at column {bad + 1}")
    for name in variables:
        check_name(name)
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"not a valid expression{where}: {shorten(error.msg, 80)}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    size = sum(1 for _ in ast.walk(tree))
    if size > MAX_NODES:
        raise ExpressionError(f"the expression has {size} parts; the limit is {MAX_NODES}")
    leaves = {name: Value(float(value), label=name) for name, value in variables.items()}
    try:
        root = _Builder(leaves).build(tree.body)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    if not isinstance(root, Value):
        root = Value(root)
    return root, {name: leaf for name, leaf in leaves.items() if name in _names(tree)}


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["x=1", "w=0.5"]`` -> ``{"x": 1.0, "w": 0.5}``; ExpressionError for a bad or repeated one.

    >>> parse_assignments(["x=1", "b=-0.2"])
    {'x': 1.0, 'b': -0.2}

    At most ``MAX_ASSIGNMENTS`` of them: an expression that may have ``MAX_NODES`` parts cannot use more.
    """
    if len(items) > MAX_ASSIGNMENTS:
        raise ExpressionError(f"{len(items):,} NAME=VALUE arguments; the limit is {MAX_ASSIGNMENTS} "
                              "(an expression cannot use more variables)")
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not text:
            raise ExpressionError(f"expected NAME=VALUE (like x=1.5), got '{shorten(item)}'")
        check_name(name)
        if name in values:
            raise ExpressionError(f"{shorten(name)} is given twice")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"the value of {shorten(name)} must be a number, got '{shorten(text)}'") from None
        if not math.isfinite(value):
            raise ExpressionError(f"the value of {shorten(name)} must be a finite number, got '{shorten(text)}'")
        values[name] = value
    return values


def check_name(name: str) -> None:
    """A variable name must be a plain identifier that is not a keyword or a function name."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        shown = shorten(name) if isinstance(name, str) else type(name).__name__
        raise ExpressionError(f"'{shown}' is not a valid variable name (ASCII letters, digits, _; no leading digit)")
    if keyword.iskeyword(name) or name.startswith("__"):
        raise ExpressionError(f"'{shorten(name)}' cannot be a variable name")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function; pick another variable name")


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


class _Builder:
    """Walks the whitelisted syntax tree bottom-up, building Values; refuses everything else."""

    _binary = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}

    def __init__(self, leaves: dict[str, Value]) -> None:
        self.leaves = leaves

    def build(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return Value(self.number(node))  # a constant leaf, so the engine checks every result
        if isinstance(node, ast.Name):
            if node.id in self.leaves:
                return self.leaves[node.id]
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)")
            raise ExpressionError(f"unknown name '{shorten(node.id)}' at column {node.col_offset + 1}; "
                                  f"give it a value with {shorten(node.id)}=NUMBER")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base = self.build(node.left)
            exponent = self.constant(node.right)
            if exponent is None:  # a Value exponent: the powv op
                power = self.build(node.right)
                if abs(power.data) > MAX_EXPONENT:
                    raise ExpressionError(
                        f"the exponent {exact(power.data)} is too large (the limit is {MAX_EXPONENT:g})")
                return base ** power
            if abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(f"the exponent {exact(exponent)} is too large (the limit is {MAX_EXPONENT:g})")
            return base ** exponent
        if isinstance(node, ast.BinOp) and type(node.op) in self._binary:
            return self._binary[type(node.op)](self.build(node.left), self.build(node.right))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise ExpressionError(f"{_describe(node)} is not allowed (only numbers, names, + - * / **, "
                              f"and calls of {', '.join(sorted(FUNCTIONS))})")

    def call(self, node: ast.Call) -> Value:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = shorten(node.func.id) if isinstance(node.func, ast.Name) else _describe(node.func)
            raise ExpressionError(f"cannot call {what}; the functions are {', '.join(sorted(FUNCTIONS))}")
        name = node.func.id
        function, least, most = FUNCTIONS[name]
        if node.keywords:
            raise ExpressionError(f"{name}(): keyword arguments are not allowed; pass them by position")
        if not least <= len(node.args) <= most:
            expected = str(least) if least == most else f"{least} to {most}"
            raise ExpressionError(f"{name}() takes {expected} argument(s), got {len(node.args)}")
        if name == "dot":
            lists = [a for a in node.args if isinstance(a, ast.List)]
            if len(node.args) != 2 or len(lists) != 2:
                raise ExpressionError("dot() takes two lists of the same length: dot([w1, w2], [x1, x2])")
            if len(lists[0].elts) != len(lists[1].elts):
                raise ExpressionError(f"dot() got {len(lists[0].elts)} weights but {len(lists[1].elts)} "
                                      "inputs; the two lists must have the same length")
            ws, xs = ([self.build(e) for e in a.elts] for a in lists)
            return function(ws, xs)
        if OPS[name].arity == 1 and most == 2:  # the op's constant: a plain number
            args: list[Value | float] = [self.build(node.args[0])]
            if len(node.args) == 2:
                param = self.constant(node.args[1])
                if param is None:
                    raise ExpressionError(f"{name}(): the second argument must be a number")
                args.append(param)
            return function(*args)
        values = [self.build(a) for a in node.args]
        return function(values) if OPS[name].arity == 0 else function(values[0])

    def constant(self, node: ast.AST) -> float | None:
        """The number a (possibly signed) literal stands for, else None."""
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        return sign * self.number(node) if isinstance(node, ast.Constant) else None

    @staticmethod
    def number(node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"{shorten(repr(value))} is not allowed: only real numbers")
        try:
            value = float(value)
        except OverflowError:
            raise ExpressionError("a number in the expression is too large for a float") from None
        if not math.isfinite(value):
            raise ExpressionError("a number in the expression is too large for a float")
        return value


def _describe(node: ast.AST) -> str:
    names = {ast.Attribute: "attribute access (a.b)", ast.Subscript: "indexing (a[i])", ast.Lambda: "lambda",
             ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "if/else",
             ast.List: "a list (only inside dot())", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
             ast.JoinedStr: "an f-string", ast.NamedExpr: "the := operator", ast.Starred: "*args"}
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {type(node.op).__name__}"
    return names.get(type(node), type(node).__name__)


def exact(x: float) -> str:
    """``x`` as short as ``:g`` writes it when that is exact, else every digit: a message never rounds a refused
    number onto its limit.

    >>> exact(64.0), exact(64.0000001), exact(1e300)
    ('64', '64.0000001', '1e+300')
    """
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))

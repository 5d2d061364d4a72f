r"""The op table's formulas in the user's own names: d(w * x)/dw = x, never "d(a * b)/da = b with a = w, b = x".

An op's formulas (``core/ops.py``; ``define_op`` reads them from its code with ``core/formula.py``) call the
inputs ``u``, ``a``, ``b``, ``x_i``, ``w_i``, the output ``y`` and the op's constant ``p`` / ``slope`` /
``alpha``. ``fill`` reads a formula once, token by token, and puts in for each of those names what stands for
it in this graph: the node's name (as the output style writes it) or, for a constant, its number. A name put
in is never read again, so a user's names (``a``, ``y``, ``b_1``, ``{0}``, ``\1``, ``x_1`` and ``x_12``) cannot
collide with the formula's, nor with each other.

    >>> fill("-a / b^2", {"a": "w", "b": "(x + 1)"}.get)
    '-w / (x + 1)^2'
    >>> fill(r"-\frac{a}{b^2}", {"a": "w", "b": "a"}.get, "latex")
    '-\\frac{w}{a^2}'

``Names`` writes one explanation's nodes, expressions and local-derivative formulas in a style: ``"text"``
(Unicode, the notes' symbols as ``notation.symbol`` writes them), ``"latex"`` (for ``$...$``) or ``"html"``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..core.handwritten import is_hand_written, op_of, op_symbol
from ..core.ops import BUILT_IN, Op
from . import labels
from .formatting import factor
from .notation import symbol

if TYPE_CHECKING:
    from ..core.engine import Value

STYLES = ("text", "latex", "html")
SHOWN_INPUTS = 6  # an n-ary node with more inputs is written "first, ..., last"

_TOKENS = {
    "text": re.compile(r"\b\w+\b"),
    "html": re.compile(r"(?P<skip><[^>]*>|&#?\w+;)|\b\w+\b"),  # a tag or an entity is not a name
    "latex": re.compile(r"\\mathrm\{(?P<rm>[A-Za-z]\w*)\}|\\(?P<cmd>[A-Za-z]+)|\\.|"
                        r"(?P<word>[A-Za-z]+)(?:_(?:\{(?P<braced>[^{}]*)\}|(?P<sub>[A-Za-z0-9])))?"),
}
# a name a formula can hold without parentheses: x, v1, w.0, z_1^[2], 0.5, and one example's x_1^(2), z_1^[1](2)
_ATOM = re.compile(r"[\w.\[\]^']+(?:(?:(?<=\])|\^)\([0-9A-Za-z]+\))?")
_DOTS = {"text": "...", "latex": r"\dots", "html": "…"}
_SLOT = re.compile(r"([xw])_([0-9]+)")
_NUMBER = re.compile(r"-?[0-9.]+(?:e[-+]?[0-9]+)?|-?inf|nan")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_OPEN, _CLOSE = "\ue000", "\ue001"  # around an operand's index in an expression template (private-use characters)


def atomic(name: str) -> bool:
    """True when ``name`` reads as one operand inside a formula; else it is put in parentheses.

    >>> atomic("w.0"), atomic("z_1^[2]"), atomic("-1"), atomic("x + 1")
    (True, True, False, False)
    >>> atomic("x_1^(2)"), atomic("z_1^[1](2)"), atomic("x_1 (2)"), atomic("f(x)")
    (True, True, False, False)
    """
    return bool(_ATOM.fullmatch(name)) and not name.startswith("-")


def fill(template: str, lookup: Callable[[str], str | None], style: str = "text",
         commands: frozenset[str] = frozenset()) -> str:
    r"""``template`` with every name that ``lookup`` knows replaced by what it returns, in one pass.

    >>> fill("exp(x_1 - y)", {"x_1": "y", "y": "x_1"}.get)
    'exp(y - x_1)'
    >>> fill("tanh(u)", {"u": "(-2)"}.get), fill("u", {"u": "(-2)"}.get)
    ('tanh(-2)', '-2')

    A replacement in parentheses loses them where the template already has them around the name (or where the
    name is the whole template). In LaTeX a name is a letter group with an optional subscript (``x_{3}``) or
    ``\mathrm{slope}``; a command (``\alpha``) counts only when it is in ``commands``. In HTML tags and entities
    are left alone.
    """
    pattern = _TOKENS[style]
    whole = template.strip()

    def put(match: re.Match) -> str:
        key = _key(match, style, commands)
        found = None if key is None else lookup(key)
        if found is None:
            return match.group(0)
        enclosed = template[match.start() - 1:match.start()] + template[match.end():match.end() + 1] in ("()", "{}")
        if found.startswith("(") and found.endswith(")") and (enclosed or match.group(0) == whole and _NUMBER.fullmatch(
                found[1:-1])):
            return found[1:-1]
        return found

    return pattern.sub(put, template)


def _key(match: re.Match, style: str, commands: frozenset[str]) -> str | None:
    if style == "text":
        return match.group(0)
    if style == "html":
        return None if match.group("skip") else match.group(0)
    if match.group("rm"):
        return match.group("rm")
    if match.group("cmd"):
        return match.group("cmd") if match.group("cmd") in commands else None
    if not match.group("word"):
        return None
    sub = match.group("braced") if match.group("braced") is not None else match.group("sub")
    return match.group("word") + ("" if sub is None else "_" + sub)


def abbreviate(count: int, dot: bool = False) -> list[int | None]:
    """Which of ``count`` operands an expression writes (``None`` for "..."): all of up to six, else the first
    and last (and, for ``dot``, the ends of both halves).

    >>> abbreviate(3), abbreviate(9), abbreviate(8, dot=True)
    ([0, 1, 2], [0, None, 8], [0, None, 3, 4, None, 7])
    """
    if count <= SHOWN_INPUTS:
        return list(range(count))
    if dot:
        half = count // 2
        return [0, None, half - 1, half, None, count - 1]
    return [0, None, count - 1]


class Names:
    r"""How one explanation writes its nodes in each style: names, operands, expressions and formulas.

    >>> from autograd_lite import Value
    >>> w, x = Value(2.0, label="w"), Value(3.0, label="x_1"); y = w * x + 1
    >>> from autograd_lite.teaching.formatting import node_names
    >>> from autograd_lite import topological_order
    >>> names = Names(node_names(topological_order(y)))
    >>> names.formula(y.inputs[0], 1, "text"), names.formula(y.inputs[0], 1, "latex")
    ('d(w * x₁)/dx₁ = w', '\\frac{\\partial (\\mathrm{w} \\cdot x_{1})}{\\partial x_{1}} = \\mathrm{w}')
    >>> names.expression(y, "text")
    'v1 + 1'
    """

    def __init__(self, names: dict[Value, str]) -> None:
        self.names = names
        self._cache: dict[tuple[Value, str], str] = {}
        self._infix: dict[tuple[Value, str], bool] = {}  # whether a node's expression is infix ("a * b")
        self._expressions: dict[tuple[Value, str], str] = {}
        self._counts: dict[Value, Counter[Value]] = {}  # how many slots each input fills, for slot marks

    def name(self, node: Value, style: str = "text") -> str:
        """The node's name in ``style``: a label through ``notation.symbol``, a constant as its number."""
        key = (node, style)
        found = self._cache.get(key)
        if found is None:
            plain = self.names[node]
            if not node.label and not node.inputs:  # a number: no \mathrm, no escaping needed
                found = plain
            else:
                found = symbol(plain, style)
            self._cache[key] = found
        return found

    def operand(self, node: Value, style: str = "text") -> str:
        """The name as an operand: in parentheses unless it is one token (``(-1)``, ``(p, q)``)."""
        key = (node, style + " operand")
        found = self._cache.get(key)
        if found is None:
            shown = self.name(node, style)
            found = self._cache[key] = shown if atomic(self.names[node]) else f"({shown})"
        return found

    def expression(self, node: Value, style: str = "text", slots: bool = False) -> str:
        """How ``node`` was computed, in its inputs' names: ``w * x``, ``w \\cdot x``; "" for a leaf.

        An operand the template already encloses (``tanh({0})``, ``e^{{{0}}}``) goes in bare; elsewhere a name that
        is not one token gets parentheses: ``tanh(a b)``, ``(a b) * x``.
        """
        if not node.inputs:
            return ""
        if slots:  # an input in two operand slots (x * x): each occurrence marked x⁽¹⁾, x⁽²⁾; not cached
            return self._expression(node, style, self._marks(node, style))
        if (node, style) not in self._expressions:  # a node with n inputs has n steps: written once
            self._expressions[node, style] = self._expression(node, style, None)
        return self._expressions[node, style]

    def _expression(self, node: Value, style: str, slot_marks: Callable[[int], str] | None) -> str:
        op, by_hand = op_of(node), is_hand_written(node)
        picked = abbreviate(len(node.inputs), op.name == "dot")
        marks = [f"{_OPEN}{i}{_CLOSE}" for i in range(len(picked))]
        if style == "latex":
            template = _hand_written_latex(node, marks) if by_hand else op.show(marks, node.param, latex=True)
        else:
            template = op.show(marks, None if by_hand else node.param)
        self._infix[node, style] = spaced(template)  # read from the template: a name may hold "(" or " "
        parts = re.split(f"{_OPEN}([0-9]+){_CLOSE}", template)
        escape: dict[str, Callable[[str], str]] = {
            "text": labels.printable, "latex": str, "html": lambda t: labels.html_text(t).replace(" * ", " · ")}
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(escape[style](part) if by_hand or style == "html" else part)
                continue
            k = picked[int(part)]
            if k is None:
                out.append(_DOTS[style])
                continue
            enclosed = parts[i - 1][-1:] + parts[i + 1][:1] in ("()", "{}")
            x = node.inputs[k]
            shown = self.name(x, style) if enclosed and slot_marks is None else self.operand(x, style)
            out.append(shown + (slot_marks(k) if slot_marks else ""))
        return "".join(out)

    def _marks(self, node: Value, style: str) -> Callable[[int], str]:
        """Input k's slot mark where that input fills more than one slot of ``node`` (x⁽²⁾), else ""."""
        counts = self._counts.get(node)
        if counts is None:
            counts = self._counts[node] = Counter(node.inputs)
        return lambda k: slot_mark(k, style) if counts[node.inputs[k]] > 1 else ""

    def lookup(self, node: Value, op: Op, style: str, numbers: bool = False,
               slots: bool = False) -> Callable[[str], str | None]:
        """What each of the op's formula names stands for at ``node``: an input's operand name (its number with
        ``numbers``), ``y`` the node's, the constant its number. Found from the name itself, so a node with
        10,000 inputs costs no more per step than one with two."""
        count = len(node.inputs)
        fixed = {v: k for k, v in enumerate(op.operand_names(count))} if op.arity else None
        param = None if is_hand_written(node) or node.param is None else factor(node.param, 6)
        shown = (lambda v: factor(v.data, 4)) if numbers else (lambda v: self.operand(v, style))
        marks = self._marks(node, style) if slots and not numbers else None

        def find(key: str) -> str | None:
            k = fixed.get(key) if fixed is not None else _slot(op, key, count)
            if k is not None:
                return shown(node.inputs[k]) + (marks(k) if marks else "")
            if key == "y":
                return shown(node)
            return param if param is not None and key == op.param_name else None

        return find

    def partial(self, node: Value, position: int, style: str = "text", numbers: bool = False,
                slots: bool = False) -> str:
        """d node / d (input ``position``) as the op table writes it, in this graph's names (or, with ``numbers``,
        with the numbers put in: ``1 - tanh(0.3)^2``)."""
        op = op_of(node)
        count = len(node.inputs)
        if style == "latex":
            template = labels.latex_formula(op.partial(position, count, latex=True))  # an op's text: untrusted
        else:
            template = op.partial(position, count)
            if style == "html":
                template = math_html(labels.html_text(template))
        commands = frozenset({op.param_name}) if op.param_name and op.name in BUILT_IN else frozenset()
        return fill(template, self.lookup(node, op, style, numbers, slots), style, commands)

    def formula(self, node: Value, position: int, style: str = "text", slots: bool = False) -> str:
        """``d(w * x)/dw = x``: the local derivative's formula for input ``position`` of ``node``.

        ``slots`` (the input fills several operand slots of ``node``, ``Step.slot``): each of its occurrences is
        marked with its slot, so the partial in one slot is not mistaken for the whole derivative:
        ``d(x⁽¹⁾ * x⁽²⁾)/dx⁽¹⁾ = x⁽²⁾``, never ``d(x * x)/dx = x``.
        """
        x = node.inputs[position]
        expression = self.expression(node, style, slots)
        partial = self.partial(node, position, style, slots=slots)
        infix = self._infix[node, style]
        below = self.operand(x, style) + (self._marks(node, style)(position) if slots else "")
        if style == "latex":
            top = f"({expression})" if infix else expression
            return rf"\frac{{\partial {top}}}{{\partial {below}}} = {partial}"
        d = "∂" if style == "html" else "d"
        return f"{d}{f'({expression})' if infix else ' ' + expression}/{d}{below} = {partial}"


def slot_mark(k: int, style: str) -> str:
    """The mark of operand slot ``k`` (0-based) on a name that fills several slots of one node: ``⁽²⁾``.

    >>> slot_mark(0, "text"), slot_mark(11, "text"), slot_mark(1, "latex"), slot_mark(1, "html")
    ('⁽¹⁾', '⁽¹²⁾', '{}^{(2)}', '<sup>(2)</sup>')
    """
    n = str(k + 1)
    if style == "latex":
        return "{}^{(" + n + ")}"  # {} first: the name may end in a superscript already (a_1^{[1]})
    if style == "html":
        return f"<sup>({n})</sup>"
    return "⁽" + n.translate(_SUPERSCRIPT) + "⁾"


def _slot(op: Op, key: str, count: int) -> int | None:
    """The input an n-ary op's formula name stands for: ``x_3`` -> 2; dot's ``w_i`` / ``x_i`` halves."""
    match = _SLOT.fullmatch(key)
    if match is None or len(match.group(2)) > 9:
        return None
    i = int(match.group(2)) - 1
    if op.name == "dot":
        half = count // 2
        k = i if match.group(1) == "w" else half + i
        return k if 0 <= i < half else None
    return i if match.group(1) == "x" and 0 <= i < count else None


def wrap(expression: str) -> str:
    r"""Parenthesise an infix expression so "d(a + b)/da" reads right; "tanh(u)" stays bare.

    >>> wrap("a + b"), wrap("tanh(a b)"), wrap("v / (a b)"), wrap(r"\frac{v}{\mathrm{a\ b}}")
    ('(a + b)', ' tanh(a b)', '(v / (a b))', ' \\frac{v}{\\mathrm{a\\ b}}')
    """
    return f"({expression})" if spaced(expression) else f" {expression}"


def spaced(expression: str) -> bool:
    """True when ``expression`` has a space outside every bracket: an infix expression such as ``a * b``."""
    depth = 0
    for c in expression:
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c == " " and depth <= 0:
            return True
    return False


def math_html(text: str) -> str:
    """Formula text (already HTML-escaped) made readable: powers as superscripts, * as a centred dot.

    >>> math_html("p * u^(p-1)"), math_html("-a / b^2")
    ('p · u<sup>p-1</sup>', '-a / b<sup>2</sup>')
    """
    text = re.sub(r"\^\(([^()]*)\)", r"<sup>\1</sup>", text)
    text = re.sub(r"\^(-?[\w.]+)", r"<sup>\1</sup>", text)
    return text.replace("**", "^").replace(" * ", " · ")


def _hand_written_latex(node: Value, operands: list[str]) -> str:
    """A hand-made node's expression in LaTeX. Its symbol is the user's text (``Value(t, (x,), "<b>")``), so it
    is escaped here for LaTeX; micrograd's own symbols read as the op table writes them."""
    text = op_symbol(node)
    if len(operands) == 2 and text in ("+", "-", "*", "/", "**"):
        return op_of(node).show(operands, latex=True)
    if len(operands) == 1 and text.startswith("**"):  # micrograd's power: '**2'
        return f"{operands[0]}^{{{labels.latex_escape(text[2:])}}}"
    return rf"\operatorname{{{labels.latex_escape(text)}}}({', '.join(operands)})"

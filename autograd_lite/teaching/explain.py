"""The chain rule step by step: what ``backward()`` does, one edge of the graph at a time.

    >>> from autograd_lite import Value, explain
    >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.label = "y"; steps = explain(y).steps
    >>> [(s.name, s.input_name, round(s.contribution, 4)) for s in steps]
    [('y', 'v1', 0.0013), ('v1', 'x', 0.0027), ('v1', 'x', 0.0027)]

``explain(root)`` lists the forward pass, then walks the graph from the root back to the
leaves. For every edge ``input -> node`` it records the local derivative d node / d input (its
formula and its value, both from the op table), the gradient arriving at ``node`` from above,
their product, and the running total of d root / d input, which is final once every user of
``input`` has sent its share. Renderers: ``to_text()`` (terminal), ``to_markdown()`` (LaTeX
formulas, shown by Jupyter) and ``to_html()`` (a self-contained walkthrough, one frame per step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core import scalar_math
from ..core.engine import Value, as_float
from ..core.errors import MATH_ERRORS, describe_backward_failure, reworded
from ..core.graph import topological_order
from ..core.handwritten import is_hand_written, op_of
from .explain_text import to_markdown, to_text
from .formatting import factor, latex_var, node_names, number

_SHOWN_INPUTS = 6  # an n-ary node with more inputs is listed as "first, ..., last"


@dataclass(frozen=True)
class Line:
    """One node of the forward pass: ``name = expression = value`` (a leaf has no expression)."""

    node: Value
    name: str
    expression: str
    value: float


@dataclass(frozen=True)
class Step:
    """One edge ``input -> node`` of the backward pass: the chain rule applied once.

    ``contribution = local * upstream`` is what this edge adds to d root / d input; ``total`` is
    d root / d input after adding it, final when ``count == users``.
    """

    index: int  # 1-based, in backward order
    node: Value
    input: Value
    position: int  # which input of node
    name: str  # display name of node
    input_name: str
    op: str  # the op's name in OPS
    formula: str  # generic, from the op table: "d tanh(u)/du = 1 - tanh(u)^2"
    formula_latex: str
    expression: str  # the op in the formula's names: "tanh(u)", "a * b"
    partial: str  # d expression / d variable, from the op table: "1 - tanh(u)^2"
    variable: str  # the formula's name for this input: "u", "a", "x_3"
    bindings: str  # which node each formula name stands for: "a = w, b = x"
    evaluated: str  # the partial with the numbers put in: "1 - tanh(0.3)^2" ("" for a hand-made node)
    param: float | None  # the op's constant (exponent, slope), if any
    local: float  # d node / d input
    upstream: float  # d root / d node
    contribution: float  # local * upstream
    total: float  # d root / d input so far
    count: int  # this is contribution number `count` ...
    users: int  # ... of `users` that input receives

    @property
    def final(self) -> bool:
        """True when ``total`` is the input's complete gradient."""
        return self.count == self.users


@dataclass
class Explanation:
    """The forward pass and the backward steps of one graph; render with ``to_text`` etc.

    >>> e = explain(Value(3.0, label="a").exp()); len(e.forward), len(e.steps), round(e.grad(e.forward[0].node), 4)
    (2, 1, 20.0855)
    """

    root: Value
    names: dict[Value, str]
    forward: list[Line]
    steps: list[Step]
    grads: dict[Value, float] = field(repr=False)  # d root / d node for every node

    def expression(self, node: Value) -> str:
        """How ``node`` was computed, with its inputs' names ("w * x"); "" for a leaf.

        >>> w, x = Value(2.0, label="w"), Value(3.0, label="x"); explain(w * x).expression((w * x).inputs[0])
        ''
        """
        return _line(node, self.names).expression

    def grad(self, node: Value) -> float:
        """d root / d node as the steps computed it (0.0 for a node not in the graph).

        >>> a = Value(3.0, label="a"); explain(a * a).grad(a)
        6.0
        """
        return self.grads.get(node, 0.0)

    def to_text(self, precision: int = 4) -> str:
        """Plain text for a terminal: the forward listing, then one paragraph per step.

        >>> print(explain(Value(2.0, label="x") * 3).to_text().splitlines()[-1])
        Gradients of the labelled leaves: dv1/dx = 3
        """
        return to_text(self, precision)

    def to_markdown(self, precision: int = 4) -> str:
        """Markdown with LaTeX formulas (``$...$``), as Jupyter and GitHub display it.

        >>> print(explain(Value(2.0, label="x").exp()).to_markdown().splitlines()[-1][:48])
        1. edge `x` → `v1`: $\\frac{\\partial \\mathrm{v1}}
        """
        return to_markdown(self, precision)

    def to_html(self, precision: int = 4, title: str = "Backpropagation, step by step") -> str:
        """A self-contained HTML page: one frame per step, the diagram with the current edge lit.

        >>> explain(Value(2.0, label="x").tanh()).to_html().count('<section class="frame"')
        1
        """
        from .walkthrough import to_html

        return to_html(self, precision=precision, title=title)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Explanation(root={self.names[self.root]!r}, {len(self.forward)} nodes, {len(self.steps)} steps)"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def explain(root: Value, gradient: float = 1.0) -> Explanation:
    """The chain rule for ``root``, edge by edge in backward order (no ``.grad`` is changed).

    >>> a = Value(3.0, label="a"); b = a * a; b.label = "b"
    >>> [round(s.contribution, 1) for s in explain(b).steps]   # 3 + 3 = d(a^2)/da
    [3.0, 3.0]

    ``gradient`` seeds d root / d root, as in ``root.backward(gradient)``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain: root must be a Value, got {type(root).__name__}")
    seed = as_float(gradient, "explain(gradient)")
    order = topological_order(root)
    names = node_names(order)
    forward = [_line(node, names) for node in _reading_order(order)]

    users: dict[Value, int] = {}
    for node in order:
        for x in node.inputs:
            users[x] = users.get(x, 0) + 1

    grads = dict.fromkeys(order, 0.0)
    grads[root] = seed
    received: dict[Value, int] = {}
    steps: list[Step] = []
    for node in reversed(order):  # every user of a node comes before it, so grads[node] is complete
        if not node.inputs:
            continue
        op = op_of(node)  # a hand-made node (micrograd's way) gets its partials from its _backward
        by_hand = is_hand_written(node)
        param = None if by_hand else node.param
        xs = tuple(x.data for x in node.inputs)
        try:
            partials = op.local(scalar_math, xs, node.data, param)
        except MATH_ERRORS as error:
            raise reworded(error, describe_backward_failure(node, str(error))) from None
        variables = op.operand_names(len(xs))
        shown = op.show(_abbreviate(variables), param)
        shown_latex = op.show([r"\dots" if v == "..." else latex_var(v) for v in _abbreviate(variables)],
                              param, latex=True)
        values = dict(zip(variables, xs), y=node.data)
        if op.param_name:  # the constant's name in the op table's formulas
            values[op.param_name] = param
        bindings = ", ".join(f"{v} = {names[x]}" for v, x in zip(variables, node.inputs) if v != names[x])
        for i, (x, d) in enumerate(zip(node.inputs, partials)):
            d = float(d)
            contribution = d * grads[node]
            grads[x] += contribution
            received[x] = received.get(x, 0) + 1
            v = variables[i]
            partial = op.partial(i, len(xs))
            if not op.arity:  # n-ary: name this input and every operand the partial uses ("x_1" for w_1)
                bindings = _bindings(variables, node.inputs, names, i, partial, names[node])
            steps.append(Step(
                index=len(steps) + 1, node=node, input=x, position=i, name=names[node], input_name=names[x],
                op=op.name,
                formula=f"d{_wrap(shown)}/d{v} = {partial}",
                formula_latex=rf"\frac{{\partial {_wrap(shown_latex)}}}{{\partial {latex_var(v)}}}"
                              f" = {op.partial(i, len(xs), latex=True)}",
                expression=shown, partial=partial, variable=v, bindings=bindings,
                evaluated="" if by_hand else _substitute(partial, values), param=param,
                local=d, upstream=grads[node], contribution=contribution, total=grads[x],
                count=received[x], users=users[x],
            ))
    return Explanation(root=root, names=names, forward=forward, steps=steps, grads=grads)


def _reading_order(order: list[Value]) -> list[Value]:
    """``order`` with each leaf moved down to just before its first user, so the forward listing of an MLP
    reads layer by layer (a topological order may list layer 2's weights before all of layer 1)."""
    if not order[-1].inputs:
        return order
    listed: set[Value] = set()
    out: list[Value] = []
    for node in order:
        for x in node.inputs:
            if not x.inputs and x not in listed:
                listed.add(x)
                out.append(x)
        if node.inputs:
            out.append(node)
    return out


# --- names -----------------------------------------------------------------------------
def _bindings(variables: list[str], inputs: tuple[Value, ...], names: dict[Value, str], i: int, partial: str,
              result: str) -> str:
    """"w_1 = w.0, x_1 = 1": input i of an n-ary node, then the operands (and y, the result) its partial uses."""
    used = [i] + [k for k, v in enumerate(variables) if k != i and re.search(rf"\b{v}\b", partial)]
    pairs = [(variables[k], names[inputs[k]]) for k in used] + ([("y", result)] if re.search(r"\by\b", partial) else [])
    return ", ".join(f"{v} = {name}" for v, name in pairs if v != name)


def _abbreviate(names: list[str]) -> list[str]:
    if len(names) <= _SHOWN_INPUTS:
        return names
    if names[0].startswith("w_"):  # dot: keep both halves recognisable
        half = len(names) // 2
        return [names[0], "...", names[half - 1], names[half], "...", names[-1]]
    return [names[0], "...", names[-1]]


def _line(node: Value, names: dict[Value, str]) -> Line:
    if not node.inputs:
        return Line(node, names[node], "", node.data)
    param = None if is_hand_written(node) else node.param
    return Line(node, names[node], op_of(node).show(_abbreviate([names[x] for x in node.inputs]), param), node.data)


# --- formatting --------------------------------------------------------------------------
def _substitute(formula: str, values: dict[str, float]) -> str:
    """Put numbers in for the operand names of a text formula ("1 - tanh(u)^2" -> "1 - tanh(0.3)^2")."""
    def put(match: re.Match) -> str:
        x = values[match.group(0)]
        enclosed = formula[match.start() - 1:match.start()] == "(" and formula[match.end():match.end() + 1] == ")"
        return factor(x, 4) if not enclosed else number(x, 4)

    if formula.strip() in values:  # the partial is one operand ("b", "x_2"): just its number
        return number(values[formula.strip()], 4)
    pattern = r"\b(" + "|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)) + r")\b"
    return re.sub(pattern, put, formula)


def _wrap(expression: str) -> str:
    """Parenthesise an infix expression so "d(a + b)/da" reads right; "tanh(u)" stays bare."""
    return f"({expression})" if " " in expression and not expression.endswith(")") else f" {expression}"

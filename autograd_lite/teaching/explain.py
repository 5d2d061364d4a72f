"""The chain rule step by step: what ``backward()`` does, one edge of the graph at a time.

    >>> from autograd_lite import Value, explain
    >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.label = "y"; steps = explain(y).steps
    >>> [(s.name, s.input_name, round(s.contribution, 4)) for s in steps]
    [('y', 'v1', 0.0013), ('v1', 'x', 0.0027), ('v1', 'x', 0.0027)]

``explain(root)`` lists the forward pass, then walks the graph from the root back to the
leaves. For every edge ``input -> node`` it records the local derivative d node / d input (its
formula and its value, both from the op table), the gradient arriving at ``node`` from above,
their product, and the running total of d root / d input, which is final once every user of
``input`` has sent its share. The formulas are written in the graph's own names ("d(w * x)/dw = x",
``named.py``), and a number in the formula (``0.5`` in ``w * x + 0.5``) is folded into its op
rather than listed as a node with steps of its own (``explain(root, constants=True)`` lists it).
Renderers: ``to_text()`` (terminal), ``to_markdown()`` (LaTeX formulas, shown by Jupyter) and
``to_html()`` (a self-contained walkthrough, one frame per step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core import scalar_math
from ..core.backprop import grad
from ..core.engine import Value, as_float
from ..core.errors import MATH_ERRORS, describe_backward_failure, reworded
from ..core.graph import topological_order
from ..core.handwritten import contributions, is_hand_written, op_of
from ..core.ops import Op
from . import labels
from .explain_text import fan_out, to_markdown, to_text
from .formatting import latex_var, node_names
from .named import Names, abbreviate, wrap

_WORD = re.compile(r"\b\w+\b")  # a name in a formula: an operand ("x_3", "u"), "y", or a function


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
    d root / d input after adding it, final when ``count == users``. Where the upstream gradient is 0,
    ``backward`` skips the node, so the step is ``skipped``: no local derivative, nothing added.

    The renderers show ``named_formula`` (the op table's formula with this graph's names put in); ``formula``,
    ``expression``, ``partial``, ``variable`` and ``pairs`` keep the op table's own names, for programs.
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
    pairs: tuple[tuple[str, str], ...]  # which node each formula name stands for: (("a", "w"), ("b", "x"))
    evaluated: str  # the partial with the numbers put in: "1 - tanh(0.3)^2" ("" for a hand-made node)
    param: float | None  # the op's constant (exponent, slope), if any
    local: float | None  # d node / d input; None where backward skips the node (``skipped``)
    upstream: float  # d root / d node
    contribution: float  # local * upstream (0.0 where skipped)
    total: float  # d root / d input so far
    count: int  # this is contribution number `count` ...
    users: int  # ... of `users` that input receives: one per edge out of it
    slot: str = ""  # "first", "second", "operand 3" where the input feeds the node more than once (x * x), else ""
    operations: int = 1  # how many different nodes the input feeds (x * x + x: 2, over 3 edges)
    named: Names | None = field(default=None, repr=False, compare=False)  # writes the formulas below on demand

    @property
    def named_formula(self) -> str:
        """The formula in this graph's names: ``d(w * x)/dw = x``, ``d(v1 + 0.5)/dv1 = 1`` (constants inside).

        >>> w, x = Value(2.0, label="w"), Value(3.0, label="x"); explain(w * x + 1).steps[-1].named_formula
        'd(w * x)/dx = w'
        """
        return self._named().formula(self.node, self.position, slots=bool(self.slot))

    @property
    def named_formula_latex(self) -> str:
        """``named_formula`` in LaTeX, the names through ``notation.symbol``: ``\\frac{\\partial ...}{...} = ...``."""
        return self._named().formula(self.node, self.position, "latex", slots=bool(self.slot))

    @property
    def evaluated_latex(self) -> str:
        """The partial's LaTeX with the numbers put in, ``1 - \\tanh^2(0.3)`` ("" for a hand-made node)."""
        if is_hand_written(self.node):
            return ""
        return self._named().partial(self.node, self.position, "latex", numbers=True)

    def _named(self) -> Names:
        return self.named if self.named is not None else Names(node_names(topological_order(self.node)))

    @property
    def final(self) -> bool:
        """True when ``total`` is the input's complete gradient."""
        return self.count == self.users

    @property
    def skipped(self) -> bool:
        """True when the upstream gradient is 0: ``backward`` skips the node and computes none of its derivatives.

        >>> x = Value(2.0, label="x"); [s.skipped for s in explain(0 * x.log()).steps]
        [False, True]
        """
        return self.local is None

    @property
    def fan_out(self) -> str:
        """How the input's gradient is gathered: ``"x feeds 2 operations over 3 edges"``.

        >>> x = Value(2.0, label="x"); explain(x * x + x).steps[-1].fan_out
        'x feeds 2 operations over 3 edges'
        """
        return fan_out(self, self.input_name)

    @property
    def bindings(self) -> str:
        """Which node each formula name stands for, as text: ``"a = w, b = x"``."""
        return ", ".join(f"{v} = {name}" for v, name in self.pairs)


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
    constants: frozenset[Value] = field(default=frozenset(), repr=False)  # folded into their ops: no steps, no lines
    _expressions: dict[Value, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def expression(self, node: Value) -> str:
        """How ``node`` was computed, with its inputs' names ("w * x"); "" for a leaf.

        >>> w, x = Value(2.0, label="w"), Value(3.0, label="x"); explain(w * x).expression((w * x).inputs[0])
        ''

        Read from the forward listing, not built again: a renderer asks once per step, and a node with
        n inputs has n steps, so building its expression each time would cost n^2.
        """
        if not self._expressions:
            self._expressions.update((line.node, line.expression) for line in self.forward)
        found = self._expressions.get(node)
        return self.named.expression(node) if found is None else found

    @property
    def named(self) -> Names:
        """The nodes, expressions and formulas written in each style (``"text"``, ``"latex"``, ``"html"``)."""
        if "_named" not in self.__dict__:
            self.__dict__["_named"] = Names(self.names)
        return self.__dict__["_named"]

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

        >>> print(explain(Value(2.0, label="x").exp()).to_markdown().splitlines()[-6])
           - $= e^{2} = 7.389$
        """
        return to_markdown(self, precision)

    def to_html(self, precision: int = 4, title: str = "Backpropagation, step by step", *,
                max_diagram_nodes: int | None = None, max_frames: int | None = None, scale: float = 1.0) -> str:
        """A self-contained HTML page: one frame per step, the diagram with the current edge lit.

        >>> explain(Value(2.0, label="x").tanh()).to_html().count('<section class="frame"')
        1

        A graph of more than ``max_diagram_nodes`` nodes (default ``walkthrough.DIAGRAM_NODES``, 600) is not
        drawn, and at most ``max_frames`` steps (default ``walkthrough.FRAMES``, 1,000) get a frame; the page
        says what it left out. ``scale`` (0.5 to 3) enlarges the whole page for a projector.
        """
        from . import walkthrough

        limits = {"max_diagram_nodes": max_diagram_nodes, "max_frames": max_frames}
        return walkthrough.to_html(self, precision=precision, title=title, scale=scale,
                                   **{k: v for k, v in limits.items() if v is not None})

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Explanation(root={self.names[self.root]!r}, {len(self.forward)} nodes, {len(self.steps)} steps)"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str | None:
        """Jupyter: the walkthrough page (``to_html``) in a sandboxed iframe; past 200 steps, None (the Markdown)."""
        if len(self.steps) > 200:
            return None
        return labels.notebook_frame(self.to_html(), "backpropagation, step by step", 640)


def explain(root: Value, gradient: float = 1.0, *, constants: bool = False) -> Explanation:
    """The chain rule for ``root``, edge by edge in backward order (no ``.grad`` is changed).

    >>> a = Value(3.0, label="a"); b = a * a; b.label = "b"
    >>> [round(s.contribution, 1) for s in explain(b).steps]   # 3 + 3 = d(a^2)/da
    [3.0, 3.0]
    >>> w = Value(-0.5, label="w"); y = (w * 3 + 0.5) * 2
    >>> [s.named_formula for s in explain(y).steps]
    ['d(v2 * 2)/dv2 = 2', 'd(v1 + 0.5)/dv1 = 1', 'd(w * 3)/dw = 3']

    ``gradient`` seeds d root / d root, as in ``root.backward(gradient)``. A number in the formula (a leaf with
    no label that feeds one edge: ``0.5`` in ``w * x + 0.5``) is a constant: it is written inside its op's
    formula and gets no step and no line of its own; ``constants=True`` lists it as a node, with its steps. A graph
    whose leaves are all such numbers keeps them all: they are what it is about.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain: root must be a Value, got {type(root).__name__}")
    if not isinstance(constants, bool):
        raise TypeError(f"explain: constants must be True or False, got {type(constants).__name__}")
    seed = as_float(gradient, "explain(gradient)")
    order = topological_order(root)
    # backward's own reverse pass first: the gradients are its numbers, and what it refuses (an overflow,
    # a derivative out of its domain) is refused here with its exception and its message
    grads = {node: 0.0 + g.data for node, g in zip(order, grad(root, order, gradient=seed))}  # 0.0 +: as .grad
    names = node_names(order)
    named = Names(names)

    users: dict[Value, int] = {}  # edges out of each node
    feeds: dict[Value, int] = {}  # different nodes each node feeds
    for node in order:
        for x in node.inputs:
            users[x] = users.get(x, 0) + 1
        for x in dict.fromkeys(node.inputs):
            feeds[x] = feeds.get(x, 0) + 1
    folded = frozenset() if constants else frozenset(
        x for x in order if not x.inputs and not x.label and users.get(x) == 1)
    if folded and all(x in folded for x in order if not x.inputs):  # numbers only (Value(2.0).tanh()): all of
        folded = frozenset()  # them are what the user asks about
    forward = [Line(node, names[node], named.expression(node), node.data)
               for node in _reading_order(order) if node not in folded]

    totals = dict.fromkeys(order, 0.0)  # d root / d node so far, added up in backward's order
    totals[root] = seed
    received: dict[Value, int] = {}
    steps: list[Step] = []
    for node in reversed(order):  # every user of a node comes before it, so totals[node] is complete
        if not node.inputs:
            continue
        op = op_of(node)  # a hand-made node (micrograd's way) gets its partials from its _backward
        by_hand = is_hand_written(node)
        param = None if by_hand else node.param
        xs = tuple(x.data for x in node.inputs)
        upstream = totals[node]
        # backward skips a node nothing flows back through (0 times any local derivative adds nothing), and
        # never computes its derivatives, which may be inf there (log at 5e-324): such a step shows no local value
        partials: tuple[float | None, ...] = (None,) * len(xs)
        shares: tuple[float, ...] = (0.0,) * len(xs)
        if upstream != 0.0:
            partials, shares = _partials(node, op, xs, param, upstream, by_hand)
        variables = op.operand_names(len(xs))
        picked = [variables[k] if k is not None else "..." for k in abbreviate(len(xs), op.name == "dot")]
        shown = op.show(picked, param)
        shown_latex = (_hand_written_latex(op, picked) if by_hand else
                       op.show([r"\dots" if v == "..." else latex_var(v) for v in picked], param, latex=True))
        repeated = len(set(node.inputs)) < len(xs)
        top, top_latex = wrap(shown), wrap(shown_latex)  # the generic formula's "d(a * b)"
        if by_hand:  # its symbol is the user's text
            shown = labels.printable(shown)
        pairs = tuple((v, names[x]) for v, x in zip(variables, node.inputs) if v != names[x])
        index = {v: k for k, v in enumerate(variables)} if not op.arity else {}
        for i, (x, d, share) in enumerate(zip(node.inputs, partials, shares)):
            if x in folded:
                continue
            if d is not None:
                totals[x] += share
            received[x] = received.get(x, 0) + 1
            v = variables[i]
            partial = op.partial(i, len(xs))
            if not op.arity:  # n-ary: name this input and every operand the partial uses ("x_1" for w_1)
                pairs = _bindings(variables, index, node.inputs, names, i, partial, names[node])
            steps.append(Step(
                index=len(steps) + 1, node=node, input=x, position=i, name=names[node], input_name=names[x],
                op=op.name,
                formula=f"d{top}/d{v} = {partial}",
                formula_latex=rf"\frac{{\partial {top_latex}}}{{\partial {latex_var(v)}}}"
                              f" = {op.partial(i, len(xs), latex=True)}",
                expression=shown, partial=partial, variable=v, pairs=pairs,
                evaluated="" if by_hand else named.partial(node, i, numbers=True), param=param,
                local=None if d is None else float(d), upstream=upstream, contribution=share, total=totals[x],
                count=received[x], users=users[x],
                named=named, slot=_ordinal(i) if repeated and node.inputs.count(x) > 1 else "", operations=feeds[x],
            ))
    e = Explanation(root=root, names=names, forward=forward, steps=steps, grads=grads, constants=folded)
    e.__dict__["_named"] = named
    return e


def _ordinal(i: int) -> str:
    """The operand slot a parallel edge goes into: "first", "second", ... "operand 7"."""
    words = ("first", "second", "third", "fourth", "fifth", "sixth")
    return words[i] if i < len(words) else f"operand {i + 1}"


def _partials(node: Value, op: Op, xs: tuple[float, ...], param: object, upstream: float,
              by_hand: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The local derivatives of ``node`` and what each input gets, computed as ``backward`` computes them."""
    try:
        if by_hand:  # backward runs the closure with out.grad = upstream; dividing by it would not be the same float
            return contributions(node, 1.0), contributions(node, upstream)
        partials = op.local(scalar_math, xs, node.data, param)
        return partials, tuple(d * upstream for d in partials)
    except MATH_ERRORS as error:
        raise reworded(error, describe_backward_failure(node, str(error))) from None


def _hand_written_latex(op: Op, operands: list[str]) -> str:
    """A hand-made node's expression in LaTeX, in the formula's names (its symbol escaped: it is the user's text)."""
    return op.show([r"\dots" if v == "..." else latex_var(v) for v in operands], latex=True)


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
def _bindings(variables: list[str], index: dict[str, int], inputs: tuple[Value, ...], names: dict[Value, str],
              i: int, partial: str, result: str) -> tuple[tuple[str, str], ...]:
    """(w_1, w.0), (x_1, 1): input i of an n-ary node, then the operands (and y, the result) its partial uses.

    ``index`` maps each formula name to its input position; the partial is read word by word, so a node with
    thousands of inputs costs the length of one formula per step, not the number of inputs.
    """
    words = dict.fromkeys(_WORD.findall(partial))
    used = [i] + sorted(index[w] for w in words if w in index and index[w] != i)
    pairs = [(variables[k], names[inputs[k]]) for k in used] + ([("y", result)] if "y" in words else [])
    return tuple((v, name) for v, name in pairs if v != name)

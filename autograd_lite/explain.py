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
from typing import Any

from . import scalar_math
from .backprop import _backward_failure
from .engine import Value, _as_float
from .graph import topological_order
from .ops import OPS

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
    evaluated: str  # the partial with the numbers put in: "1 - tanh(0.3)^2"
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
        return _text(self, precision)

    def to_markdown(self, precision: int = 4) -> str:
        """Markdown with LaTeX formulas (``$...$``), as Jupyter and GitHub display it.

        >>> print(explain(Value(2.0, label="x").exp()).to_markdown().splitlines()[-1][:48])
        1. edge `x` → `v1`: $\\frac{\\partial \\mathrm{v1}}
        """
        return _markdown(self, precision)

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
    seed = _as_float(gradient, "explain(gradient)")
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
        op = OPS[node.op]
        xs = tuple(x.data for x in node.inputs)
        try:
            partials = op.local(scalar_math, xs, node.data, node.param)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise type(error)(_backward_failure(node, str(error))) from None
        variables = op.operand_names(len(xs))
        shown = op.show(_abbreviate(variables), node.param)
        shown_latex = op.show([r"\dots" if v == "..." else _latex_var(v) for v in _abbreviate(variables)],
                              node.param, latex=True)
        values = dict(zip(variables, xs), y=node.data)
        if op.param_name:  # the constant's name in the op table's formulas
            values[op.param_name] = node.param
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
                formula_latex=rf"\frac{{\partial {_wrap(shown_latex)}}}{{\partial {_latex_var(v)}}}"
                              f" = {op.partial(i, len(xs), latex=True)}",
                expression=shown, partial=partial, variable=v, bindings=bindings,
                evaluated=_substitute(partial, values), param=node.param,
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
def node_names(order: list[Value]) -> dict[Value, str]:
    """A display name per node: its label, else ``v1, v2, ...`` for results, the number for a constant.

    >>> a = Value(2.0, label="a"); b = a * 3; list(node_names(topological_order(b)).values())
    ['a', '3', 'v1']
    """
    taken = {v.label for v in order if v.label}
    names: dict[Value, str] = {}
    k = 0
    for v in order:
        if v.label:
            names[v] = v.label
        elif not v.inputs:
            names[v] = _number(v.data, 6)
        else:
            k += 1
            while f"v{k}" in taken:
                k += 1
            names[v] = f"v{k}"
    return names


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
    op = OPS[node.op]
    return Line(node, names[node], op.show(_abbreviate([names[x] for x in node.inputs]), node.param), node.data)


# --- formatting --------------------------------------------------------------------------
def _number(x: float, precision: int) -> str:
    """``x`` with ``precision`` significant digits, without a trailing '.0' or exponent noise."""
    text = f"{x:.{precision}g}"
    return "0" if text == "-0" else text


def _substitute(formula: str, values: dict[str, float]) -> str:
    """Put numbers in for the operand names of a text formula ("1 - tanh(u)^2" -> "1 - tanh(0.3)^2")."""
    def number(match: re.Match) -> str:
        x = values[match.group(0)]
        enclosed = formula[match.start() - 1:match.start()] == "(" and formula[match.end():match.end() + 1] == ")"
        return _operand(x, 4) if not enclosed else _number(x, 4)

    if formula.strip() in values:  # the partial is one operand ("b", "x_2"): just its number
        return _number(values[formula.strip()], 4)
    pattern = r"\b(" + "|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)) + r")\b"
    return re.sub(pattern, number, formula)


def _operand(x: float, precision: int) -> str:
    """A number to put after an operator: negative ones in parentheses, "0.5 * (-2)" rather than "0.5 * -2"."""
    text = _number(x, precision)
    return f"({text})" if text.startswith("-") else text


def _latex_var(name: str) -> str:
    """``x_3`` -> ``x_{3}``; ``u`` stays ``u``."""
    base, _, sub = name.partition("_")
    return f"{base}_{{{sub}}}" if sub else base


def _latex_text(text: str) -> str:
    """Escape a plain string for ``\\mathrm{...}``."""
    return re.sub(r"([_#%&${}])", r"\\\1", text)


def _latex_bindings(bindings: str, tex: Any) -> str:
    """"a = w, b = x" -> "a = \\mathrm{w},\\ b = \\mathrm{x}" (formula names in math italics, node names upright)."""
    pairs = (part.partition(" = ") for part in bindings.split(", "))
    return r",\ ".join(f"{_latex_var(var)} = {tex(name)}" for var, _, name in pairs)


def _param_binding(s: Step, num: Any) -> str:
    """"slope = 0.1": the op's constant under the name its formula uses ("" when the op has none)."""
    return f"{OPS[s.op].param_name or 'p'} = {num(s.param)}" if s.param is not None else ""


def _wrap(expression: str) -> str:
    """Parenthesise an infix expression so "d(a + b)/da" reads right; "tanh(u)" stays bare."""
    return f"({expression})" if " " in expression and not expression.endswith(")") else f" {expression}"


def _d(top: str, bottom: str) -> str:
    return f"d{top}/d{bottom}"


def _text(e: Explanation, precision: int) -> str:
    num = lambda x: _number(x, precision)
    root = e.names[e.root]
    width = max(len(line.name) for line in e.forward)
    out = ["Forward pass (each node after its inputs)"]
    for line in e.forward:
        what = f"= {line.expression} " if line.expression else ""
        out.append(f"  {line.name:<{width}} {what}= {num(line.value)}")
    out.append("")
    out.append(f"Backward pass: the chain rule, one edge at a time, from {_d(root, root)} = {num(e.grads[e.root])}")
    for s in e.steps:
        where = ", ".join(filter(None, [s.bindings, _param_binding(s, lambda p: _number(p, 6))]))
        share = f"{s.count} of {s.users}" + (", final" if s.final else "")
        out.append(f"{s.index:>3}. edge {s.input_name} -> {s.name}  ({s.name} = {e.expression(s.node)})")
        with_ = f"  with {where}" if where else ""
        out.append(f"     local     {_d(s.name, s.input_name)} = {s.formula}{with_}")
        value = num(s.local)
        out.append(f"               = {s.evaluated} = {value}" if s.evaluated != value else f"               = {value}")
        out.append(f"     upstream  {_d(root, s.name)} = {num(s.upstream)}")
        out.append(f"     product   {num(s.upstream)} * {_operand(s.local, precision)} = {num(s.contribution)}")
        out.append(f"     total     {_d(root, s.input_name)} = {num(s.total)}  ({share})")
    leaves = [line for line in e.forward if not line.node.inputs and line.node.label]
    if leaves:
        out.append("")
        out.append("Gradients of the labelled leaves: "
                   + ", ".join(f"{_d(root, line.name)} = {num(e.grads[line.node])}" for line in leaves))
    return "\n".join(out)


def _markdown(e: Explanation, precision: int) -> str:
    num = lambda x: _number(x, precision)
    tex = lambda name: rf"\mathrm{{{_latex_text(name)}}}"
    frac = lambda top, bottom: rf"\frac{{\partial {tex(top)}}}{{\partial {tex(bottom)}}}"
    root = e.names[e.root]
    out = ["**Forward pass** (each node after its inputs)", "", "| node | computed as | value |", "|---|---|---|"]
    for line in e.forward:
        expression = f"`{line.expression}`" if line.expression else "leaf"
        out.append(f"| `{line.name}` | {expression} | {num(line.value)} |")
    seed = f"${frac(root, root)} = {num(e.grads[e.root])}$"
    out += ["", f"**Backward pass**: the chain rule, one edge at a time, from {seed}", ""]
    for s in e.steps:
        share = f"{s.count} of {s.users}" + (", final" if s.final else "")
        out.append(
            f"{s.index}. edge `{s.input_name}` → `{s.name}`: "
            f"${frac(s.name, s.input_name)} = {s.formula_latex}"
            + ("$ " if s.partial.strip() == num(s.local) else f" = {num(s.local)}$ ")  # no "= 1 = 1"
            + (f"(with ${_latex_bindings(s.bindings, tex)}$); " if s.bindings else "; ")
            + f"${frac(root, s.input_name)} \\mathrel{{+}}= {num(s.upstream)} \\cdot {_operand(s.local, precision)}"
            f" = {num(s.contribution)}$, "
            f"total ${num(s.total)}$ ({share})"
        )
    return "\n".join(out)


# --- an MLP layer by layer: the engine's numbers beside the notes' closed form -------------------
@dataclass
class LayerCheck:
    """One layer l: delta^l = dL/dz^l and dL/dW^l, dL/db^l from the engine and from the notes' formulas."""

    index: int  # l = 1 .. L
    activation: str
    formula: str  # how the closed form gets delta^l
    delta_engine: Any
    delta_formula: Any
    dW_engine: Any
    dW_formula: Any
    db_engine: Any
    db_formula: Any

    def difference(self) -> float:
        """The largest |engine - closed form| over delta, dW and db of this layer."""
        import numpy as np

        return max(float(np.max(np.abs(a - b))) for a, b in
                   ((self.delta_engine, self.delta_formula), (self.dW_engine, self.dW_formula),
                    (self.db_engine, self.db_formula)))


@dataclass
class LayerView:
    """``explain_layers``' result: one ``LayerCheck`` per layer, output layer first (backward order)."""

    loss: str
    cost: float  # the closed form's
    engine_cost: float
    layers: list[LayerCheck]

    def to_text(self, precision: int = 6) -> str:
        """Per layer: delta from the engine beside the formula, then dL/dW = delta (a^{l-1})^T.

        >>> import nn; view = explain_layers(nn.MLP(2, [2, 1], seed=0), [1.0, 2.0], [0.5])
        >>> print(view.to_text().splitlines()[3])
        layer 2 (linear): delta^2 = (a^2 - t) * g'(z^2)  (L = 1/2 ||a^2 - t||^2, note 004)
        """
        return _layers_text(self, precision)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        worst = max(layer.difference() for layer in self.layers)
        return f"LayerView(loss={self.loss!r}, {len(self.layers)} layers, largest difference {worst:.2g})"

    def _repr_markdown_(self) -> str:
        return "```\n" + self.to_text() + "\n```"


_OUTPUT_DELTA = {  # the notes' delta at the output layer, by loss
    "bce": "delta^{l} = a^{l} - t  (sigmoid + log loss, notes 000/003)",
    "cross_entropy": "delta^{l} = y_hat - y  (softmax + cross-entropy, eq. 19, 22d)",
    "mse": "delta^{l} = (a^{l} - t) * g'(z^{l})  (L = 1/2 ||a^{l} - t||^2, note 004)",
}


def explain_layers(model: Any, x: Any, target: Any, loss: str = "mse") -> LayerView:
    """The engine's delta and weight gradients of an ``nn.MLP`` beside the notes' numpy formulas.

    >>> import nn; model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    >>> view = explain_layers(model, [1.0, -2.0], [1.0], loss="bce"); view.layers[-1].difference() < 1e-12
    True

    ``loss``: "mse" (L = 1/2 ||a^L - t||^2), "bce" (sigmoid output) or "cross_entropy" (softmax
    output; ``target`` a class index or a one-hot list). One example ``x``; no ``.grad`` changes.
    """
    import numpy as np

    from nn import losses, reference
    from nn.activations import check_choice

    from .backprop import grad
    from .engine import sum as value_sum

    check_choice(loss, "loss", tuple(reference.LOSSES))
    if not (hasattr(model, "trace") and hasattr(model, "to_numpy") and hasattr(model, "layers")):
        raise TypeError(f"explain_layers: model must be an nn.MLP, got {type(model).__name__}")
    output = model.output_activation
    if output not in reference.LOSSES[loss]:
        raise ValueError(f"explain_layers: loss {loss!r} goes with output activation "
                         f"{' or '.join(reference.LOSSES[loss])}, but the model's is {output!r}")
    trace = model.trace(x)
    a_L = trace.a[-1]
    if loss == "cross_entropy" and np.ndim(target) == 0:
        t = np.eye(len(a_L))[int(target)]
    else:
        t = np.asarray(target, dtype=float).reshape(-1)
        if t.shape != (len(a_L),):
            raise ValueError(f"explain_layers: target must hold {len(a_L)} numbers, got shape {np.shape(target)}")
    # the notes' losses, summed over the outputs, from nn.losses' formulas (PyTorch's means, no 1/2)
    if loss == "mse":  # L = 1/2 ||a^L - t||^2 (note 002)
        L = 0.5 * value_sum(losses.TERMS["mse"](a_L, t.tolist()))
    elif loss == "bce":  # L = -sum [t log a + (1 - t) log(1 - a)] (notes 000)
        L = losses.binary_cross_entropy(a_L, t.tolist()) * len(a_L)
    else:  # L = -sum y_k log y_hat_k (eq. 9) on the softmax layer's probabilities
        L = -value_sum([tk * a.log() for a, tk in zip(a_L, t) if tk != 0.0])
    zs = [z for layer in trace.z for z in layer]
    weights = [w for layer in model.layers for neuron in layer.neurons for w in neuron.w]
    biases = [neuron.b for layer in model.layers for neuron in layer.neurons]
    grads = iter(g.data for g in grad(L, zs + weights + biases))
    delta = [np.array([next(grads) for _ in layer]) for layer in trace.z]
    dW = [np.array([[next(grads) for _ in n.w] for n in layer.neurons]) for layer in model.layers]
    db = [np.array([next(grads) for _ in layer.neurons]) for layer in model.layers]

    x0 = np.array([float(v) for v in trace.a[0]])
    closed = reference.backprop(model.to_numpy(), x0, t, hidden=model.activation, output=output, loss=loss)
    checks = []
    for i in reversed(range(len(model.layers))):
        last = i == len(model.layers) - 1
        formula = _OUTPUT_DELTA[loss] if last else "delta^{l} = (W^{n})^T delta^{n} * g'(z^{l})  (eq. 21c, 22c)"
        checks.append(LayerCheck(
            index=i + 1, activation=output if last else model.activation, formula=formula.format(l=i + 1, n=i + 2),
            delta_engine=delta[i], delta_formula=closed.delta[i], dW_engine=dW[i], dW_formula=closed.dW[i],
            db_engine=db[i], db_formula=closed.db[i]))
    return LayerView(loss=loss, cost=closed.cost, engine_cost=L.data, layers=checks)


def _layers_text(view: LayerView, precision: int) -> str:
    num = lambda x: f"{x + 0.0: .{precision}g}"  # + 0.0 turns -0.0 into 0.0
    width = precision + 8
    out = [f"Backpropagation layer by layer, loss {view.loss}: engine {num(view.engine_cost).strip()}, "
           f"formula {num(view.cost).strip()}",
           "engine: autodiff of the graph; formula: the notes' closed form in numpy", ""]
    for layer in view.layers:
        n = layer.index
        out.append(f"layer {n} ({layer.activation}): {layer.formula}")
        out.append(f"  {'k':>3}  {'delta engine':>{width}}  {'delta formula':>{width}}  {'|difference|':>12}")
        for k, (a, b) in enumerate(zip(layer.delta_engine, layer.delta_formula)):
            out.append(f"  {k + 1:>3}  {num(a):>{width}}  {num(b):>{width}}  {abs(a - b):>12.2g}")
        out.append(f"  dL/dW^{n} = delta^{n} (a^{n - 1})^T  (eq. 21a, 22a), {layer.dW_engine.shape[0]}x"
                   f"{layer.dW_engine.shape[1]}; dL/db^{n} = delta^{n}  (eq. 21b, 22b)")
        rows = layer.dW_engine.shape[0]
        for k in range(min(rows, 4)):
            engine = ", ".join(num(v).strip() for v in layer.dW_engine[k][:4])
            formula = ", ".join(num(v).strip() for v in layer.dW_formula[k][:4])
            more = ", ..." if layer.dW_engine.shape[1] > 4 else ""
            out.append(f"  row {k + 1}: engine [{engine}{more}]  formula [{formula}{more}]")
        if rows > 4:
            out.append(f"  ... {rows - 4} more rows")
        out.append(f"  largest |engine - formula| in delta, dW, db: {layer.difference():.2g}")
        out.append("")
    return "\n".join(out).rstrip()

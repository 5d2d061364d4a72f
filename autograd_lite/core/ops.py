"""The op table: every operation the engine knows, written once.

Each entry names an operation, how it is shown, its forward function and its local
derivatives. The engine (eager floats), ``grad(create_graph=True)`` (Values, for higher
orders), the compiled tape (numpy batches), the graph renderer and the step-by-step
explainer all read this one table.

Forward and local derivatives are written against a math namespace ``m`` (``m.exp``,
``m.step`` ...) so one formula serves floats, numpy arrays and Values alike:

- ``forward(m, xs, p)``: the output from the input values ``xs`` and the op's constant
  parameter ``p`` (an exponent, a slope; ``None`` for most ops).
- ``local(m, xs, y, p)``: the tuple of partial derivatives ``d y / d xs[i]``, where ``y`` is
  the output already computed. Reusing ``y`` (tanh: ``1 - y*y``) is cheaper and, with
  Values, keeps higher-order graphs small.

Names in the formulas: ``u`` for a unary op's input, ``a`` and ``b`` for binary ops,
``x_i`` / ``w_i`` for n-ary ones, ``y`` for the output.

Users add ops of their own with ``autograd_lite.define_op`` (``custom_ops.py``), which checks
them and calls ``register`` here; every consumer then finds them in ``OPS`` like the built-ins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import mul
from typing import Any

Forward = Callable[[Any, tuple, Any], Any]
Local = Callable[[Any, tuple, Any, Any], tuple]


@dataclass(frozen=True)
class Op:
    """One operation: its name, how it is drawn and explained, and how it computes."""

    name: str  # the engine's ``Value.op``
    symbol: str  # short label for diagrams ("+", "tanh", "**{p}")
    arity: int  # number of inputs; 0 means any number (sum, dot, logsumexp)
    forward: Forward
    local: Local
    expression: str  # the forward as text, e.g. "tanh({0})"; {p} is the parameter
    partials: tuple[str, ...]  # d y / d input, as text, one per input (n-ary: per kind)
    partials_latex: tuple[str, ...]
    expression_latex: str  # the forward as LaTeX, same placeholders as ``expression``
    param_name: str = ""  # what the formulas call the op's constant ("p", "slope", "alpha")

    def label(self, param: Any = None) -> str:
        """The symbol drawn in an op node: ``op.label(3) == '**3'`` for ``pow``."""
        return self.symbol.format(p=_number(param))

    def show(self, names: list[str], param: Any = None, latex: bool = False) -> str:
        """The forward as text (or LaTeX) with operand names: ``OPS['add'].show(['a', 'b']) == 'a + b'``."""
        template = self.expression_latex if latex else self.expression
        if self.arity == 0:
            return template.format(args=", ".join(names), p=_number(param))
        return template.format(*names, p=_number(param))

    def operand_names(self, count: int) -> list[str]:
        """The names the formulas use for ``count`` inputs.

        >>> OPS['dot'].operand_names(4)
        ['w_1', 'w_2', 'x_1', 'x_2']
        """
        if self.arity:
            return operand_names(self.arity)
        if self.name == "dot":
            n = count // 2
            return [f"w_{i + 1}" for i in range(n)] + [f"x_{i + 1}" for i in range(n)]
        return [f"x_{i + 1}" for i in range(count)]

    def partial(self, index: int, count: int, latex: bool = False) -> str:
        """Formula of d y / d (input ``index`` of ``count``): ``OPS['tanh'].partial(0, 1) == '1 - y^2'``."""
        table = self.partials_latex if latex else self.partials
        if self.name == "dot":  # inputs are w_1..w_n then x_1..x_n
            n = count // 2
            kind, i = (0, index) if index < n else (1, index - n)
            return table[kind].replace("_i", f"_{i + 1}").replace("{i}", str(i + 1))
        if self.arity == 0:
            return table[0].replace("_i", f"_{index + 1}").replace("{i}", str(index + 1))
        return table[index]


def operand_names(count: int) -> list[str]:
    """What the formulas call an op's inputs: ``u`` alone, ``a`` and ``b`` as a pair, else ``x_1 ... x_n``.

    >>> operand_names(1), operand_names(3)
    (['u'], ['x_1', 'x_2', 'x_3'])
    """
    if count == 1:
        return ["u"]
    if count == 2:
        return ["a", "b"]
    return [f"x_{i + 1}" for i in range(count)]  # as the n-ary ops (sum, logsumexp) name theirs


def _number(p: Any) -> str:
    if p is None:
        return ""
    p = float(p)
    return str(int(p)) if p.is_integer() and abs(p) < 1e15 else repr(p)


def _dot_forward(m: Any, xs: tuple, p: Any) -> Any:
    n = len(xs) // 2
    return sum(map(mul, xs[:n], xs[n:]))


def _dot_local(m: Any, xs: tuple, y: Any, p: Any) -> tuple:
    n = len(xs) // 2
    return tuple(xs[n:]) + tuple(xs[:n])  # d/dw_i = x_i, d/dx_i = w_i


_table = [
    # name, symbol, arity, forward, local, expression, partials (text), partials (LaTeX)
    Op("add", "+", 2,
       lambda m, xs, p: xs[0] + xs[1],
       lambda m, xs, y, p: (1.0, 1.0),
       "{0} + {1}", ("1", "1"), ("1", "1"), r"{0} + {1}"),
    Op("sub", "-", 2,
       lambda m, xs, p: xs[0] - xs[1],
       lambda m, xs, y, p: (1.0, -1.0),
       "{0} - {1}", ("1", "-1"), ("1", "-1"), r"{0} - {1}"),
    Op("mul", "*", 2,
       lambda m, xs, p: xs[0] * xs[1],
       lambda m, xs, y, p: (xs[1], xs[0]),
       "{0} * {1}", ("b", "a"), ("b", "a"), r"{0} \cdot {1}"),
    Op("div", "/", 2,
       lambda m, xs, p: m.div(xs[0], xs[1]),
       lambda m, xs, y, p: (m.div(1.0, xs[1]), -m.div(y, xs[1])),  # d(a/b)/db = -a/b^2 = -y/b
       "{0} / {1}", ("1 / b", "-a / b^2"), (r"\frac{1}{b}", r"-\frac{a}{b^2}"), r"\frac{{{0}}}{{{1}}}"),
    Op("neg", "neg", 1,
       lambda m, xs, p: -xs[0],
       lambda m, xs, y, p: (-1.0,),
       "-{0}", ("-1",), ("-1",), r"-{0}"),
    Op("pow", "**{p}", 1,
       lambda m, xs, p: m.pow(xs[0], p),
       lambda m, xs, y, p: (p * m.pow(xs[0], p - 1.0) if p != 0.0 else 0.0,),  # u**0 is constant, even at u = 0
       "{0}**{p}", ("p * u^(p-1)",), (r"p\,u^{p-1}",), r"{0}^{{{p}}}", param_name="p"),
    Op("powv", "**", 2,
       lambda m, xs, p: m.pow(xs[0], xs[1]),
       # d/da is 0 where b = 0 (even at a = 0); d/db is 0 where a = 0 (b >= 0 there, else the forward failed),
       # as PyTorch takes the limits; a < 0 still has no real log and is refused
       lambda m, xs, y, p: (m.scaled_pow(xs[1], xs[0], xs[1] - 1.0), m.xlogy(y * m.step(m.abs(xs[0])), xs[0])),
       "{0}**{1}", ("b * a^(b-1)", "a^b * log(a)"), (r"b\,a^{b-1}", r"a^b \ln a"), r"{0}^{{{1}}}"),
    Op("exp", "exp", 1,
       lambda m, xs, p: m.exp(xs[0]),
       lambda m, xs, y, p: (y,),
       "exp({0})", ("exp(u)",), (r"e^{u}",), r"e^{{{0}}}"),
    Op("log", "log", 1,
       lambda m, xs, p: m.log(xs[0]),
       lambda m, xs, y, p: (m.div(1.0, xs[0]),),
       "log({0})", ("1 / u",), (r"\frac{1}{u}",), r"\ln {0}"),
    Op("sqrt", "sqrt", 1,
       lambda m, xs, p: m.sqrt(xs[0]),
       lambda m, xs, y, p: (m.div(0.5, y),),
       "sqrt({0})", ("1 / (2 sqrt(u))",), (r"\frac{1}{2\sqrt{u}}",), r"\sqrt{{{0}}}"),
    Op("tanh", "tanh", 1,
       lambda m, xs, p: m.tanh(xs[0]),
       lambda m, xs, y, p: (1.0 - y * y,),
       "tanh({0})", ("1 - tanh(u)^2",), (r"1 - \tanh^2(u)",), r"\tanh({0})"),
    Op("sigmoid", "sigmoid", 1,
       lambda m, xs, p: m.sigmoid(xs[0]),
       lambda m, xs, y, p: (y * (1.0 - y),),  # sigma' = sigma (1 - sigma), notes 000
       "sigmoid({0})", ("sigmoid(u) * (1 - sigmoid(u))",), (r"\sigma(u)\,(1 - \sigma(u))",), r"\sigma({0})"),
    Op("relu", "ReLU", 1,
       lambda m, xs, p: m.relu(xs[0]),
       lambda m, xs, y, p: (m.step(xs[0]),),
       "relu({0})", ("1 if u > 0 else 0",), (r"[u > 0]",), r"\operatorname{{relu}}({0})"),
    Op("leaky_relu", "LeakyReLU({p})", 1,
       lambda m, xs, p: m.leaky_relu(xs[0], p),
       lambda m, xs, y, p: (p + (1.0 - p) * m.step(xs[0]),),
       "leaky_relu({0}, {p})", ("1 if u > 0 else slope",), (r"[u > 0] + \mathrm{slope}\,[u \le 0]",), r"\operatorname{{leaky\_relu}}({0}, {p})", param_name="slope"),
    Op("elu", "ELU({p})", 1,
       lambda m, xs, p: m.elu(xs[0], p),
       # alpha e^u from u itself (exp(-relu(-u)) = e^min(u, 0)): y + alpha would cancel in the tail
       lambda m, xs, y, p: (m.step(xs[0]) + (1.0 - m.step(xs[0])) * p * m.exp(-m.relu(-xs[0])),),
       "elu({0}, {p})", ("1 if u > 0 else alpha * exp(u)",), (r"[u > 0] + [u \le 0]\,\alpha e^{u}",), r"\operatorname{{elu}}({0}, {p})", param_name="alpha"),
    Op("softplus", "softplus", 1,
       lambda m, xs, p: m.softplus(xs[0]),
       lambda m, xs, y, p: (m.sigmoid(xs[0]),),
       "softplus({0})", ("sigmoid(u)",), (r"\sigma(u)",), r"\operatorname{{softplus}}({0})"),
    Op("sin", "sin", 1,
       lambda m, xs, p: m.sin(xs[0]),
       lambda m, xs, y, p: (m.cos(xs[0]),),
       "sin({0})", ("cos(u)",), (r"\cos u",), r"\sin {0}"),
    Op("cos", "cos", 1,
       lambda m, xs, p: m.cos(xs[0]),
       lambda m, xs, y, p: (-m.sin(xs[0]),),
       "cos({0})", ("-sin(u)",), (r"-\sin u",), r"\cos {0}"),
    Op("abs", "abs", 1,
       lambda m, xs, p: m.abs(xs[0]),
       lambda m, xs, y, p: (m.sign(xs[0]),),
       "|{0}|", ("sign(u)",), (r"\operatorname{sign}(u)",), r"\lvert {0} \rvert"),
    Op("sum", "sum", 0,
       lambda m, xs, p: sum(xs),
       lambda m, xs, y, p: (1.0,) * len(xs),
       "sum({args})", ("1",), ("1",), r"\operatorname{{sum}}({args})"),
    Op("dot", "dot", 0,
       _dot_forward,
       _dot_local,
       "dot({args})", ("x_i", "w_i"), ("x_{i}", "w_{i}"), r"\operatorname{{dot}}({args})"),
    Op("logsumexp", "logsumexp", 0,
       lambda m, xs, p: m.logsumexp(*xs),
       lambda m, xs, y, p: tuple(m.exp(x - y) for x in xs),  # softmax_i
       "logsumexp({args})", ("exp(x_i - y)",), (r"e^{x_{i} - y}",), r"\operatorname{{logsumexp}}({args})"),
]

OPS: dict[str, Op] = {op.name: op for op in _table}
"""Every op by name: ``OPS['tanh'].partial(0, 1) == '1 - tanh(u)^2'``."""

LOCAL: dict[str, Local] = {name: op.local for name, op in OPS.items()}
"""Each op's local derivatives by name: the reverse pass looks one up per node, so it is kept flat."""

BUILT_IN = frozenset(OPS)  # the ops above; users may add others, not replace these

MATH_FUNCTIONS = ("exp", "log", "sqrt", "pow", "scaled_pow", "div", "xlogy", "tanh", "sigmoid", "softplus", "relu", "leaky_relu",
                  "elu", "logsumexp", "step", "sign", "sin", "cos", "abs")
"""What a math namespace provides (floats, numpy arrays, Values, formulas): the formulas may call all of these."""


def register(op: Op) -> None:
    """Add ``op`` under a new name, for every consumer (``define_op`` checks it first)."""
    if op.name in OPS:
        raise ValueError(f"an op named {op.name!r} is already in the table")
    OPS[op.name] = op
    LOCAL[op.name] = op.local

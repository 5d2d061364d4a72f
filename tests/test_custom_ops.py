"""User-defined ops (``autograd_lite.define_op``) through every consumer of the op table.

Each consumer is held to an oracle that does not come from the library: closed forms written
here with ``math``, and central finite differences (the ``fd`` fixture of conftest.py). The
compiled tape is held to the eager engine, as tests/test_tape.py does. Covered:

1. ``backward``: unary, binary, 3-input ops, an op with a constant, ops used twice and mixed
   with built-in ops;
2. ``grad(create_graph=True)``: second and third derivatives;
3. the compiled tape: loss, per-sample outputs and gradients equal the eager engine's;
4. ``draw``: the op's symbol (default, custom, with the constant ``{p}``);
5. ``explain``: the derivative's formula read from the code, its value, the numbers put in,
   and the text / Markdown (LaTeX) / HTML renderings; a formula given by the user;
6. error messages of a user op's forward and backward, eagerly and in the tape;
7. registration errors, and ``replace=True``;
8. the math-namespace contract: floats, numpy arrays, Values and formulas provide every
   function of ``MATH_FUNCTIONS``, and the numeric three agree;
9. hypothesis: random points and random batches;
10. ``formula.py``: text and LaTeX precedence, and what a formula refuses.

Op names are global to the process and cannot be registered twice, so every op here gets a
fresh name from ``fresh()``; ops are defined when the tests run, never at import, so other
test modules that list ``OPS`` while being collected see only the built-in ops.
"""

from __future__ import annotations

import itertools
import math
import re
import uuid
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import OPS, Value, array_math, scalar_math
from autograd_lite.core.formula import FormulaError, Symbol, formula_math
from autograd_lite.core.ops import MATH_FUNCTIONS
from autograd_lite.core.value_math import value_math

RTOL = ATOL = 1e-12  # the tape against the eager engine, as in test_tape.py
FD = {"rel": 1e-7, "abs": 1e-8}  # closed forms / engine against five-point central differences

_RUN = uuid.uuid4().hex[:6]
_COUNT = itertools.count()


def fresh(base: str) -> str:
    """An op name no other test has registered in this process."""
    return f"{base}_{_RUN}_{next(_COUNT)}"


# --- closed forms, written with math only --------------------------------------------------
def sigmoid(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u)) if u >= 0 else math.exp(u) / (1.0 + math.exp(u))


GELU_C, GELU_K = math.sqrt(2.0 / math.pi), 0.044715


def gelu(u: float) -> float:
    return 0.5 * u * (1.0 + math.tanh(GELU_C * (u + GELU_K * u ** 3)))


def gelu_prime(u: float) -> float:
    t = math.tanh(GELU_C * (u + GELU_K * u ** 3))
    return 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_K * u * u)


def swish_derivatives(u: float) -> tuple[float, float, float]:
    """d/du, d2/du2, d3/du3 of u * sigmoid(u), by hand: s' = s (1 - s)."""
    s = sigmoid(u)
    q = s * (1.0 - s)
    return (s + u * q,
            2.0 * q + u * q * (1.0 - 2.0 * s),
            3.0 * q * (1.0 - 2.0 * s) + u * q * (1.0 - 6.0 * s + 6.0 * s * s))


def bswish_prime(u: float, beta: float) -> float:
    s = sigmoid(beta * u)
    return s + beta * u * s * (1.0 - s)


# --- the ops under test -------------------------------------------------------------------
def _gelu_forward(m, u):
    return 0.5 * u * (1 + m.tanh(GELU_C * (u + GELU_K * u ** 3)))


def _gelu_derivative(m, u, y):
    t = m.tanh(GELU_C * (u + GELU_K * u ** 3))
    return 0.5 * (1 + t) + 0.5 * u * (1 - t ** 2) * GELU_C * (1 + 3 * GELU_K * u ** 2)


SWISH_PARTIAL = "sigmoid(u) + y * (1 - sigmoid(u))"


@pytest.fixture(scope="module")
def ops() -> SimpleNamespace:
    """The user ops most tests share, defined once (at run time, not at import)."""
    return SimpleNamespace(
        swish=ag.define_op(fresh("swish"), lambda m, u: u * m.sigmoid(u),
                           lambda m, u, y: m.sigmoid(u) + y * (1 - m.sigmoid(u))),
        gelu=ag.define_op(fresh("gelu"), _gelu_forward, _gelu_derivative),
        aexpb=ag.define_op(fresh("aexpb"), lambda m, a, b: a * m.exp(b), lambda m, a, b, y: (m.exp(b), y)),
        tri=ag.define_op(fresh("tri"), lambda m, a, b, c: a * b + m.sin(c) * a,
                         lambda m, a, b, c, y: (b + m.sin(c), a, a * m.cos(c))),
        bswish=ag.define_op(fresh("bswish"), lambda m, u, beta: u * m.sigmoid(beta * u),
                            lambda m, u, y, beta: m.sigmoid(beta * u) + beta * y * (1 - m.sigmoid(beta * u)),
                            param_name="beta", param_default=1.0),
        uexp=ag.define_op(fresh("uexp"), lambda m, u: u * m.exp(u), lambda m, u, y: m.exp(u) + y),
    )


def value_at(build, xs: list[float]) -> float:
    """``build`` on fresh leaves holding ``xs``: the function finite differences differentiate."""
    return build(*[Value(x) for x in xs]).data


def grads_of(build, xs: list[float]) -> list[float]:
    leaves = [Value(x) for x in xs]
    build(*leaves).backward()
    return [v.grad for v in leaves]


def assert_matches_fd(build, xs: list[float], fd) -> None:
    got = grads_of(build, xs)
    for i, g in enumerate(got):
        assert g == pytest.approx(fd(lambda p: value_at(build, p), xs, i), **FD), f"d/dx{i} at {xs}"


# === 1. backward ==============================================================================
@pytest.mark.parametrize("u", [-2.5, -0.3, 0.0, 0.7, 3.1])
def test_unary_ops_backward_match_closed_forms_and_finite_differences(ops, fd, u):
    for apply, f, f_prime in ((ops.swish, lambda t: t * sigmoid(t), lambda t: swish_derivatives(t)[0]),
                              (ops.gelu, gelu, gelu_prime)):
        x = Value(u, label="x")
        y = apply(x)
        y.backward()
        assert y.op == apply.__name__ and y.inputs == (x,) and y.param is None
        assert y.data == pytest.approx(f(u), rel=1e-14, abs=1e-15)
        assert x.grad == pytest.approx(f_prime(u), rel=1e-12, abs=1e-15)
        assert x.grad == pytest.approx(fd(lambda p: value_at(apply, p), [u], 0), **FD)


@pytest.mark.parametrize("a, b", [(0.5, -1.2), (-2.0, 0.3), (1.7, 1.1)])
def test_binary_op_backward(ops, fd, a, b):
    da, db = grads_of(ops.aexpb, [a, b])
    assert (da, db) == (pytest.approx(math.exp(b), rel=1e-14), pytest.approx(a * math.exp(b), rel=1e-14))
    assert_matches_fd(ops.aexpb, [a, b], fd)


def test_three_input_op_backward(ops, fd):
    a, b, c = 0.8, -1.3, 2.1
    y = ops.tri(*[Value(v) for v in (a, b, c)])
    assert y.data == pytest.approx(a * b + math.sin(c) * a, rel=1e-14)
    got = grads_of(ops.tri, [a, b, c])
    assert got == pytest.approx([b + math.sin(c), a, a * math.cos(c)], rel=1e-14)
    assert_matches_fd(ops.tri, [a, b, c], fd)


def test_op_with_a_constant_by_position_keyword_and_default(ops, fd):
    for beta, call in ((2.0, lambda x: ops.bswish(x, 2.0)), (0.5, lambda x: ops.bswish(x, beta=0.5)),
                       (1.0, lambda x: ops.bswish(x))):
        x = Value(-0.8)
        y = call(x)
        y.backward()
        assert y.param == beta
        assert y.data == pytest.approx(-0.8 * sigmoid(beta * -0.8), rel=1e-14)
        assert x.grad == pytest.approx(bswish_prime(-0.8, beta), rel=1e-12)
        assert x.grad == pytest.approx(fd(lambda p, call=call: value_at(call, p), [-0.8], 0), **FD)


def test_numbers_are_accepted_as_inputs_and_become_constants(ops):
    w = Value(0.4)
    y = ops.aexpb(2.0, w)
    y.backward()
    assert y.inputs[0].data == 2.0 and not y.inputs[0].inputs
    assert w.grad == pytest.approx(2.0 * math.exp(0.4), rel=1e-14)


def _mixed(ops, x, w):
    """User ops used twice, fed into and fed by built-in ops (*, +, tanh, sum, dot)."""
    h = ops.swish(w * x + 0.5)
    z = ops.aexpb(h, x * 0.3).tanh()
    return ag.sum([z * w, ops.swish(h), ag.dot([x, w], [h, z]), ops.tri(x, w, h), ops.bswish(z, 1.7)])


@pytest.mark.parametrize("xs", [[0.3, -0.7], [-1.4, 0.9], [2.0, 1.1]])
def test_ops_used_twice_and_mixed_with_built_in_ops(ops, fd, xs):
    build = lambda x, w: _mixed(ops, x, w)
    assert_matches_fd(build, xs, fd)
    x, w = Value(xs[0]), Value(xs[1])
    out = build(x, w)
    out.backward()
    first = (x.grad, w.grad)
    out.backward()  # accumulates, as for built-in ops
    assert (x.grad, w.grad) == pytest.approx((2 * first[0], 2 * first[1]), rel=1e-14)


# === 2. higher-order derivatives ===================================================================
def nth_derivative(apply, u: float, n: int) -> float:
    """d^n apply(x) / dx^n at u, by ``grad(create_graph=True)`` n - 1 times, then once plainly."""
    x = Value(u)
    d = apply(x)
    for _ in range(n - 1):
        (d,) = ag.grad(d, [x], create_graph=True)
    (d,) = ag.grad(d, [x])
    return d.data


@pytest.mark.parametrize("u", [-1.5, 0.2, 1.3])
def test_second_and_third_derivatives_match_closed_forms(ops, u):
    # u e^u: (u + 1) e^u, (u + 2) e^u, (u + 3) e^u
    for n in (1, 2, 3):
        assert nth_derivative(ops.uexp, u, n) == pytest.approx((u + n) * math.exp(u), rel=1e-12)
        assert nth_derivative(ops.swish, u, n) == pytest.approx(swish_derivatives(u)[n - 1], rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("u", [-1.1, 0.6, 2.2])
def test_higher_derivatives_match_finite_differences_of_the_lower_one(ops, fd, u):
    for apply in (ops.swish, ops.gelu, lambda x: ops.bswish(x, 1.8)):
        for n in (2, 3):
            lower = lambda p, apply=apply, n=n: nth_derivative(apply, p[0], n - 1)
            assert nth_derivative(apply, u, n) == pytest.approx(fd(lower, [u], 0), rel=1e-6, abs=1e-7)


def test_mixed_second_partials_of_a_binary_op(ops):
    a, b = Value(-0.7), Value(0.9)
    da, db = ag.grad(ops.aexpb(a, b), [a, b], create_graph=True)
    assert ag.grad(da, [a])[0].data == 0.0
    assert ag.grad(da, [b])[0].data == pytest.approx(math.exp(0.9), rel=1e-14)
    assert ag.grad(db, [a])[0].data == pytest.approx(math.exp(0.9), rel=1e-14)
    assert ag.grad(db, [b])[0].data == pytest.approx(-0.7 * math.exp(0.9), rel=1e-14)


def test_create_graph_gradients_equal_plain_gradients(ops):
    x, w = Value(0.45), Value(-1.2)
    with_graph = [g.data for g in ag.grad(_mixed(ops, x, w), [x, w], create_graph=True)]
    assert with_graph == pytest.approx([g.data for g in ag.grad(_mixed(ops, x, w), [x, w])], rel=1e-12)


# === 3. the compiled tape =====================================================================
def eager(fn, params, batch):
    """The reference: ``fn`` sample by sample on the engine, the mean, differentiated with ``ag.grad``."""
    outs = [fn(*[Value(float(col[b])) for col in batch]) for b in range(len(batch[0]))]
    total = ag.sum(outs) * (1.0 / len(outs))
    return total.data, np.array([g.data for g in ag.grad(total, params)]), np.array([o.data for o in outs])


def assert_tape_matches_eager(fn, params, batch):
    tape = ag.compile(fn, [float(col[0]) for col in batch], parameters=params)
    loss, grads = tape.value_and_grad(*batch)
    want_loss, want_grads, want_outs = eager(fn, params, batch)
    np.testing.assert_allclose(tape(*batch), want_outs, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(loss, want_loss, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads, want_grads, rtol=RTOL, atol=ATOL)
    return tape


def test_tape_equals_eager_for_a_loss_of_user_ops(ops):
    w, b = Value(0.7, label="w"), Value(-0.2, label="b")

    def loss(x, t):
        h = ops.swish(w * x + b)
        return (ops.gelu(h) - t) ** 2 + ops.aexpb(w, x * 0.3) * ops.bswish(h, 2.5) + ops.tri(x, w, b).tanh()

    rng = np.random.default_rng(0)
    tape = assert_tape_matches_eager(loss, [w, b], [rng.uniform(-2, 2, 9), rng.uniform(-1, 1, 9)])
    names = {ins.op for ins in tape.instructions}
    assert {ops.swish.__name__, ops.gelu.__name__, ops.aexpb.__name__, ops.tri.__name__} <= names


def test_tape_with_two_constants_shared_operands_and_uniform_user_nodes(ops):
    w = Value(1.3, label="w")

    def loss(x):  # same op at two constants; the same Value twice; nodes that do not depend on the batch
        return (ops.bswish(x, 0.5) + ops.bswish(x, 3.0) + ops.aexpb(x, x * 0.1) + ops.tri(x, x, w)
                + ops.tri(w, w, x) + ops.swish(w) * x + ops.tri(w, 2.0, w))

    assert_tape_matches_eager(loss, [w], [np.array([-1.5, -0.2, 0.0, 0.8, 1.9])])


def test_tape_backward_adds_the_mean_gradient_to_grad(ops):
    w = Value(0.6)
    tape = ag.compile(lambda x: ops.swish(w * x), [1.0], parameters=[w])
    xs = np.array([0.5, -1.0, 2.0])
    loss = tape.backward(xs)
    assert loss == pytest.approx(np.mean([w.data * x * sigmoid(w.data * x) for x in xs]), rel=1e-14)
    want = np.mean([x * swish_derivatives(w.data * x)[0] for x in xs])
    assert w.grad == pytest.approx(want, rel=1e-12)


# === 4. draw =================================================================================
def op_labels(graph) -> list[str]:
    """The texts of the op circles of a drawing, unquoted."""
    labels = []
    for line in graph.source.splitlines():
        head = line.strip()
        if head.startswith("n") and "op [label=" in head:
            label = head.split("[label=", 1)[1]
            labels.append(label[1:label.index('"', 1)] if label.startswith('"') else label.split(" ", 1)[0])
    return labels


def test_draw_shows_the_op_name_by_default(ops):
    x = Value(0.5, label="x")
    y = ops.aexpb(ops.swish(x), x)
    y.backward()
    assert op_labels(ag.draw(y)) == [ops.swish.__name__, ops.aexpb.__name__]


def test_draw_shows_a_custom_symbol_and_the_constant():
    plain = ag.define_op(fresh("sq"), lambda m, u: u * u, lambda m, u, y: 2 * u, symbol="u²")
    scaled = ag.define_op(fresh("scale"), lambda m, u, k: k * u, lambda m, u, y, k: k, param_name="k",
                          symbol="×{p}")
    braces = ag.define_op(fresh("br"), lambda m, u, k: k * u, lambda m, u, y, k: k, param_name="k",
                          symbol="{{{p}}}")
    default = ag.define_op(fresh("dflt"), lambda m, u, k: k * u, lambda m, u, y, k: k, param_name="k")
    x = Value(1.0, label="x")
    assert op_labels(ag.draw(plain(x))) == ["u²"]
    assert op_labels(ag.draw(scaled(x, 2.5))) == ["×2.5"]
    assert op_labels(ag.draw(scaled(x, 3))) == ["×3"]
    assert op_labels(ag.draw(braces(x, -1))) == ["{-1}"]
    assert op_labels(ag.draw(default(x, 0.25))) == [f"{default.__name__}(0.25)"]


# === 5. explain ==============================================================================
_READ = {"sigmoid": sigmoid, "exp": math.exp, "log": math.log, "tanh": math.tanh, "sin": math.sin,
         "cos": math.cos, "sqrt": math.sqrt}


def read_number(text: str) -> float:
    """Evaluate a formula with its numbers put in (``explain``'s ``evaluated``): an independent check of it."""
    return float(eval(text.replace("^", "**"), {"__builtins__": {}}, _READ))


@pytest.mark.parametrize("u", [0.7, -1.3])
def test_explain_reads_the_derivative_from_the_code(ops, u):
    x = Value(u, label="x")
    y = ops.swish(x)
    y.label = "y"
    (step,) = ag.explain(y).steps
    name = ops.swish.__name__
    assert step.op == name and step.input is x and step.variable == "u" and step.bindings == "u = x"
    assert step.partial == SWISH_PARTIAL == OPS[name].partial(0, 1)
    assert step.formula == f"d {name}(u)/du = {SWISH_PARTIAL}"
    assert step.local == pytest.approx(swish_derivatives(u)[0], rel=1e-12)
    assert "u" not in step.evaluated and "y" not in step.evaluated.replace("sigmoid", "")
    assert f"sigmoid({u:g})" in step.evaluated
    assert read_number(step.evaluated) == pytest.approx(step.local, rel=1e-3, abs=1e-3)  # numbers to 4 digits
    assert step.formula_latex.endswith(r"= \sigma(u) + y \, (1 - \sigma(u))")
    assert r"\operatorname{" + name.replace("_", r"\_") + "}(u)" in step.formula_latex


def test_explain_renders_user_ops_as_text_markdown_and_html(ops):
    x = Value(0.7, label="x")
    y = ops.swish(x)
    y.label = "y"
    e = ag.explain(y)
    text, markdown, page = e.to_text(), e.to_markdown(), e.to_html()
    assert f"y = {ops.swish.__name__}(x) = 0.4677" in text
    # the op's formula in the graph's own names (u is x, y is y), then with the numbers put in
    assert f"dy/dx = d {ops.swish.__name__}(x)/dx = sigmoid(x) + y * (1 - sigmoid(x))" in text
    assert "= sigmoid(0.7) + 0.4677 * (1 - sigmoid(0.7)) = 0.8234" in text
    assert r"= \sigma(\mathrm{x}) + \mathrm{y} \, (1 - \sigma(\mathrm{x}))$" in markdown
    assert r"$= \sigma(0.7) + 0.4677 \, (1 - \sigma(0.7)) = 0.8234$" in markdown
    assert r"\operatorname{" + ops.swish.__name__.replace("_", r"\_") + r"}(\mathrm{x})" in markdown
    assert page.count('<section class="frame"') == 1
    assert "sigmoid(x) + y · (1 - sigmoid(x))" in page and ops.swish.__name__ in page


def test_explain_steps_of_binary_three_input_and_constant_ops(ops):
    a, b = Value(-0.4, label="a"), Value(1.1, label="b")
    steps = ag.explain(ops.aexpb(a, b)).steps
    assert [(s.input_name, s.partial) for s in steps] == [("a", "exp(b)"), ("b", "y")]
    assert [s.local for s in steps] == pytest.approx([math.exp(1.1), -0.4 * math.exp(1.1)], rel=1e-14)
    assert steps[0].evaluated == "exp(1.1)"

    p, q, r = Value(0.5, label="p"), Value(2.0, label="q"), Value(-1.0, label="r")
    steps = ag.explain(ops.tri(p, q, r)).steps
    assert [s.partial for s in steps] == ["x_2 + sin(x_3)", "x_1", "x_1 * cos(x_3)"]
    assert [s.variable for s in steps] == ["x_1", "x_2", "x_3"]
    assert [read_number(s.evaluated) for s in steps] == pytest.approx([s.local for s in steps], rel=1e-3)

    x = Value(0.7, label="x")
    (step,) = ag.explain(ops.bswish(x, 2.0)).steps
    assert step.param == 2.0 and "beta" in step.partial and "beta" not in step.evaluated
    assert step.evaluated.startswith("sigmoid(2 * 0.7) + 2 * ")
    assert step.local == pytest.approx(bswish_prime(0.7, 2.0), rel=1e-12)
    assert step.named_formula.startswith(f"d {ops.bswish.__name__}(x, 2)/dx = sigmoid(2 * x) + 2 * ")


def test_explain_uses_a_formula_given_by_the_user():
    given = ag.define_op(fresh("given"), lambda m, u: u * m.sigmoid(u),
                         lambda m, u, y: m.sigmoid(u) + y * (1 - m.sigmoid(u)),
                         formula="sigmoid(u) * (1 + u * (1 - sigmoid(u)))",
                         formula_latex=r"\sigma(u)\,(1 + u\,\bar\sigma)")
    text_only = ag.define_op(fresh("given_text"), lambda m, a, b: a * b, lambda m, a, b, y: (b, a),
                             formula=["B", "A"])
    x = Value(0.3, label="x")
    (step,) = ag.explain(given(x)).steps
    assert step.partial == "sigmoid(u) * (1 + u * (1 - sigmoid(u)))"
    assert step.evaluated == "sigmoid(0.3) * (1 + 0.3 * (1 - sigmoid(0.3)))"
    assert read_number(step.evaluated) == pytest.approx(step.local, rel=1e-12)
    assert r"\sigma(\mathrm{x})\,(1 + \mathrm{x}\,\bar\sigma)" in ag.explain(given(x)).to_markdown()
    assert OPS[text_only.__name__].partials == ("B", "A")
    assert OPS[text_only.__name__].partials_latex == ("b", "a")  # LaTeX still read from the code


def test_explain_gradients_equal_backward(ops):
    x, w = Value(0.45, label="x"), Value(-1.2, label="w")
    out = _mixed(ops, x, w)
    e = ag.explain(out)
    out.backward()
    assert (e.grad(x), e.grad(w)) == pytest.approx((x.grad, w.grad), rel=1e-12)


# === 6. error messages ==========================================================================
@pytest.fixture(scope="module")
def risky() -> SimpleNamespace:
    """A log (forward fails for u <= 0) and sqrt(|u|), whose derivative divides by zero at u = 0."""
    return SimpleNamespace(
        log=ag.define_op(fresh("mylog"), lambda m, u: m.log(u), lambda m, u, y: 1 / u),
        root=ag.define_op(fresh("rootabs"), lambda m, u: m.sqrt(m.abs(u)), lambda m, u, y: m.sign(u) / (2 * y)),
    )


def test_forward_domain_error_names_op_operand_and_label(risky):
    with pytest.raises(ValueError) as info:
        risky.log(Value(-1.0, label="x"))
    message = str(info.value)
    name = risky.log.__name__
    assert message.startswith(f"{name}: cannot compute {name}(u) with u = -1.0 ('x')")
    assert "log is only defined for positive numbers" in message


def test_backward_domain_error_names_op_and_leaves_grads_unchanged(risky):
    x = Value(0.0, label="x")
    x.grad = 5.0
    y = risky.root(x) + x
    with pytest.raises(ZeroDivisionError) as info:
        y.backward()
    name = risky.root.__name__
    assert str(info.value).startswith(f"{name}: backward: the local derivatives (sign(u) / (2 * y)) of {name}(u) "
                                      "with u = 0.0 ('x')")
    assert x.grad == 5.0 and y.grad == 0.0
    with pytest.raises(ZeroDivisionError, match=f"^{name}: backward"):
        ag.explain(y)


def test_create_graph_domain_error_names_the_op(risky):
    x = Value(0.0, label="x")
    with pytest.raises(ZeroDivisionError) as info:
        ag.grad(risky.root(x), [x], create_graph=True)
    assert risky.root.__name__ in str(info.value) and "'x'" in str(info.value)


def test_tape_errors_name_the_sample_and_the_op(risky):
    w = Value(1.0, label="w")
    forward = ag.compile(lambda t: risky.log(t * w), [0.5], parameters=[w])
    with pytest.raises(ValueError) as info:
        forward(np.array([1.0, 2.0, -1.0]))
    assert f"(compiled), sample 2: {risky.log.__name__}: cannot compute" in str(info.value)
    assert "u = -1.0" in str(info.value)

    def loss(t):
        return risky.root(t * w)

    backward = ag.compile(loss, [0.5], parameters=[w])
    with pytest.raises(ZeroDivisionError) as info:
        backward.value_and_grad(np.array([1.0, 0.0, -1.0]))
    assert f"loss (compiled), sample 1: {risky.root.__name__}: backward: the local derivatives" in str(info.value)
    assert "u = 0.0" in str(info.value)


# === 7. registration ==========================================================================
def _identity(m, u):
    return u


def _one(m, u, y):
    return 1.0


def _control_flow(m, u):
    return u if u > 0 else 0 * u


def _control_flow_derivative(m, u, y):
    return 1.0 if u > 0 else 0.0


@pytest.mark.parametrize("kwargs, error, fragments", [
    ({"name": "tanh"}, ValueError, ["'tanh' is a built-in op"]),
    ({"name": "2x"}, ValueError, ["name must be a plain Python identifier", "'2x'"]),
    ({"name": "class"}, ValueError, ["name must be a plain Python identifier", "'class'"]),
    ({"name": "_x"}, ValueError, ["name must be a plain Python identifier", "'_x'"]),
    ({"name": ""}, ValueError, ["name must be a plain Python identifier", "''"]),
    ({"name": 3}, ValueError, ["name must be a plain Python identifier"]),
    ({"forward": None}, TypeError, ["forward must be a function", "NoneType"]),
    ({"forward": 2.0}, TypeError, ["forward must be a function", "float"]),
    ({"derivative": None}, TypeError, ["derivative must be a function", "NoneType"]),
    ({"derivative": "1"}, TypeError, ["derivative must be a function", "str"]),
    ({"forward": lambda m, *xs: xs[0]}, TypeError, ["no *args or keyword-only parameters"]),
    ({"forward": lambda m, u, *, k: u}, TypeError, ["no *args or keyword-only parameters"]),
    ({"forward": lambda m: 1.0}, TypeError, ["at least one input"]),
    ({"derivative": lambda m, u, y: (1.0, 1.0)}, ValueError, ["must give 1 partial derivative(s)", "got 2"]),
    ({"forward": lambda m, a, b: a * b, "derivative": lambda m, a, b, y: b}, ValueError,
     ["must give 2 partial derivative(s)", "d y / d a, d y / d b", "got 1"]),
    ({"derivative": lambda m, u: 1.0}, TypeError, ["calling it on symbols failed", "derivative(m, u, y)"]),
    ({"derivative": lambda m, u, y: None}, TypeError, ["derivative must give a formula", "NoneType"]),
    ({"forward": _control_flow}, TypeError, ["compares or converts 'u' as a number", "m.step(u)"]),
    ({"forward": lambda m, u: m.relu(u), "derivative": _control_flow_derivative}, TypeError,
     ["compares or converts 'u' as a number"]),
    ({"forward": lambda m, u: math.exp(u), "derivative": lambda m, u, y: y}, TypeError, ["math.*"]),
    ({"forward": lambda m, u: np.exp(u), "derivative": lambda m, u, y: y}, TypeError, ["numpy function"]),
    ({"forward": lambda m, u: m.exp(u), "derivative": lambda m, u, y: math.exp(u)}, TypeError, ["math.*"]),
    ({"forward": lambda m, u: m.exp(u), "derivative": lambda m, u, y: np.exp(u)}, TypeError, ["numpy function"]),
    ({"forward": lambda m, u: u ** 3, "derivative": lambda m, u, y: 2 * u}, ValueError,
     ["does not match the forward", "finite differences", "check=False"]),
    ({"forward": lambda m, u: m.log(u - 100), "derivative": lambda m, u, y: 1 / (u - 100)}, ValueError,
     ["failed at every test point", "check=False"]),
    ({"symbol": "f{"}, ValueError, ["symbol 'f{'", "{p} stands for the constant", "{{ and }}"]),
    ({"symbol": "f}"}, ValueError, ["symbol 'f}'"]),
    ({"symbol": "{q}"}, ValueError, ["symbol '{q}'"]),
    ({"symbol": 3}, TypeError, ["symbol must be a str"]),
    ({"formula": ("1", "2")}, ValueError, ["formula must be 1 string(s)"]),
    ({"formula_latex": [1]}, ValueError, ["formula_latex must be 1 string(s)"]),
    ({"param_name": "2k", "forward": lambda m, u, k: u, "derivative": lambda m, u, y, k: 1.0}, ValueError,
     ["param_name must be a plain Python identifier"]),
    ({"param_name": "k", "param_default": math.nan, "forward": lambda m, u, k: u,
      "derivative": lambda m, u, y, k: 1.0}, ValueError, ["param_default must be a finite number"]),
])
def test_registration_errors_say_what_is_wrong(kwargs, error, fragments):
    arguments = {"name": fresh("bad"), "forward": _identity, "derivative": _one, **kwargs}
    name = arguments["name"]
    with pytest.raises(error) as info:
        ag.define_op(arguments.pop("name"), arguments.pop("forward"), arguments.pop("derivative"), **arguments)
    for fragment in fragments:
        assert fragment in str(info.value)
    if isinstance(name, str) and name.startswith("bad_"):
        if "param_name" not in kwargs:
            assert f"define_op({name!r})" in str(info.value)  # the message names the op being defined
        assert name not in OPS  # a refused definition is not registered


def test_a_derivative_that_differs_on_values_is_refused():
    def derivative(m, u, y):  # right on floats and symbols, wrong on Values
        return 2 * u if isinstance(u, Value) else 3 * u ** 2

    with pytest.raises(ValueError, match="on floats but .* on Values"):
        ag.define_op(fresh("sneaky"), lambda m, u: u ** 3, derivative)


def test_registering_a_name_twice_needs_replace():
    name = fresh("twice")
    ag.define_op(name, lambda m, u: 2 * u, lambda m, u, y: 2.0)
    with pytest.raises(ValueError, match=rf"an op named '{name}' is already defined.*replace=True"):
        ag.define_op(name, lambda m, u: 2 * u, lambda m, u, y: 2.0)
    with pytest.raises(ValueError, match="built-in op"):
        ag.define_op("tanh", lambda m, u: m.tanh(u), lambda m, u, y: 1 - y * y, replace=True)


def test_check_false_accepts_a_deliberately_different_derivative():
    # a straight-through estimator: forward rounds to the sign, backward passes the gradient through
    name = fresh("ste")
    with pytest.raises(ValueError, match="does not match"):
        ag.define_op(name, lambda m, u: m.sign(u), lambda m, u, y: 1.0 + 0 * u)
    ste = ag.define_op(name, lambda m, u: m.sign(u), lambda m, u, y: 1.0 + 0 * u, check=False)
    x = Value(-0.3)
    y = ste(x) * 4.0
    y.backward()
    assert y.data == -4.0 and x.grad == 4.0


def test_replace_redefines_the_op_for_later_nodes():
    name = fresh("again")
    first = ag.define_op(name, lambda m, u: 2 * u, lambda m, u, y: 2.0)
    second = ag.define_op(name, lambda m, u: u ** 3, lambda m, u, y: 3 * u ** 2, replace=True)
    # the new definition gets a table name of its own, so nodes of the first keep their own derivative
    assert second.op.name == f"{name}#2" and OPS[second.op.name] is second.op and OPS[name] is first.op
    x = Value(1.5, label="x")
    y = second(x)
    assert y.op == f"{name}#2" and ag.explain(y).forward[-1].expression == f"{name}(x)"
    y.backward()
    assert (y.data, x.grad) == (3.375, 6.75)
    assert ag.explain(y).steps[0].partial == "3 * u^2"
    (d,) = ag.grad(second(x), [x], create_graph=True)
    assert ag.grad(d, [x])[0].data == 9.0
    w = Value(0.5)
    assert_tape_matches_eager(lambda t: second(w * t), [w], [np.array([1.0, -2.0])])


def test_nodes_made_before_replace_keep_their_derivative():
    name = fresh("stale")
    old = ag.define_op(name, lambda m, u: 2 * u, lambda m, u, y: 2.0)
    x = Value(1.0)
    y = old(x)
    ag.define_op(name, lambda m, u: 3 * u, lambda m, u, y: 3.0, replace=True)
    try:
        y.backward()
    except (RuntimeError, TypeError, ValueError):
        return  # refusing a stale node would be fine too
    assert (y.data, x.grad) == (2.0, 2.0)


def test_the_returned_function_checks_its_arguments(ops):
    name = ops.swish.__name__
    assert ops.swish.op is OPS[name] and ops.swish.__name__ == name
    assert SWISH_PARTIAL in ops.swish.__doc__
    with pytest.raises(TypeError, match=rf"{name} takes 1 input\(s\), got 2"):
        ops.swish(Value(1.0), 2.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'beta'"):
        ops.swish(Value(1.0), beta=2.0)
    with pytest.raises(TypeError, match="got a Value"):
        ops.bswish(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match="must be a Value or a real number"):
        ops.swish("x")


def test_the_constant_given_twice_is_refused(ops):
    with pytest.raises(TypeError):
        ops.bswish(Value(1.0), 2.0, beta=3.0)


@pytest.mark.parametrize("constant", ["the op's constant", "a number"])
def test_a_derivative_may_apply_m_to_a_constant(constant):
    if constant == "a number":
        scaled = ag.define_op(fresh("scaled"), lambda m, u: u * m.exp(2.0), lambda m, u, y: m.exp(2.0))
    else:
        scaled = ag.define_op(fresh("scaled"), lambda m, u, k: u * m.exp(k), lambda m, u, y, k: m.exp(k),
                              param_name="k", param_default=2.0)
    x = Value(0.3)
    (d,) = ag.grad(scaled(x), [x], create_graph=True)
    assert d.data == pytest.approx(math.exp(2.0), rel=1e-12)


def test_param_name_cannot_clash_with_an_operand_name():
    name = fresh("clash")
    try:
        op = ag.define_op(name, lambda m, x, k: k * x * x, lambda m, x, y, k: 2 * k * x, param_name="u")
    except ValueError as error:
        assert "param_name" in str(error)
        return
    (step,) = ag.explain(op(Value(0.5, label="x"), 3.0)).steps
    assert read_number(step.evaluated) == pytest.approx(step.local)  # 2 * 3 * 0.5 = 3


def test_a_forward_with_a_fractional_power_is_checked_or_refused_clearly():
    name = fresh("root")
    try:
        root = ag.define_op(name, lambda m, u: u ** 0.5, lambda m, u, y: 0.5 / y)
    except (TypeError, ValueError) as error:
        assert f"define_op({name!r})" in str(error)
        return
    x = Value(0.25)
    root(x).backward()
    assert x.grad == pytest.approx(1.0)


def test_a_symbol_with_an_attribute_field_is_refused_clearly():
    with pytest.raises(ValueError, match="symbol"):
        ag.define_op(fresh("sym"), _identity, _one, symbol="{p.x}")


def test_tape_accepts_integer_partials_of_a_three_input_op():
    lin = ag.define_op(fresh("lin3"), lambda m, a, b, c: a + 2 * b + 3 * c, lambda m, a, b, c, y: (1, 2, 3))
    w = Value(0.5)
    assert_tape_matches_eager(lambda x, t: lin(x, t, w * x), [w], [np.array([1.0, 2.0]), np.array([3.0, -4.0])])


# === 8. the math-namespace contract ===============================================================
# name: (argument rows, positions that are constants (a number, not an operand), an oracle written with math)
NAMESPACE_CASES = {
    "exp": ([(-3.0,), (0.0,), (2.5,), (-700.0,)], (), math.exp),
    "log": ([(1e-3,), (0.5,), (7.0,)], (), math.log),
    "sqrt": ([(0.0,), (0.3,), (9.0,)], (), math.sqrt),
    "pow": ([(1.7, 2.5), (-2.0, 3.0), (0.5, -1.0), (3.0, 0.0), (0.0, 2.0)], (1,), lambda x, p: x ** p),
    "scaled_pow": ([(2.0, 1.7, 2.5), (0.0, 0.0, -1.0), (-1.5, 3.0, 0.0), (0.0, 5e-324, -1.0)], (),
                   lambda c, x, p: 0.0 if c == 0 else c * x ** p),
    "div": ([(1.0, -4.0), (-3.0, 0.5), (0.0, 2.0)], (), lambda a, b: a / b),
    "xlogy": ([(0.0, 2.0), (1.5, 0.5), (-2.0, 3.0), (0.0, 0.0)], (), lambda x, y: 0.0 if x == 0 else x * math.log(y)),
    "tanh": ([(-30.0,), (-0.4,), (0.0,), (2.0,)], (), math.tanh),
    "sigmoid": ([(-800.0,), (-1.0,), (0.0,), (3.0,), (800.0,)], (), sigmoid),
    "softplus": ([(-40.0,), (-1.0,), (0.0,), (3.0,), (800.0,)], (),
                 lambda x: x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))),
    "relu": ([(-1.0,), (0.0,), (2.0,)], (), lambda x: max(x, 0.0)),
    "leaky_relu": ([(-1.0, 0.1), (0.0, 0.1), (2.0, 0.3)], (1,), lambda x, s: x if x > 0 else s * x),
    "elu": ([(-2.0, 0.7), (0.0, 0.7), (1.5, 0.7), (-800.0, 1.0)], (1,),
            lambda x, a: x if x > 0 else a * math.expm1(x)),
    "logsumexp": ([(1.0, 2.0, 3.0), (-1000.0, 1000.0, 0.0), (0.5, 0.5, 0.5)], (),
                  lambda *xs: max(xs) + math.log(math.fsum(math.exp(x - max(xs)) for x in xs))),
    "step": ([(-1.0,), (0.0,), (1e-300,)], (), lambda x: 1.0 if x > 0 else 0.0),
    "sign": ([(-2.0,), (0.0,), (3.0,)], (), lambda x: (x > 0) - (x < 0)),
    "sin": ([(-2.0,), (0.0,), (1.3,)], (), math.sin),
    "cos": ([(-2.0,), (0.0,), (1.3,)], (), math.cos),
    "abs": ([(-2.0,), (0.0,), (3.0,)], (), abs),
}


def test_every_math_function_is_in_every_namespace():
    assert set(NAMESPACE_CASES) == set(MATH_FUNCTIONS)
    for namespace in (scalar_math, array_math, value_math, formula_math):
        missing = [name for name in MATH_FUNCTIONS if not callable(getattr(namespace, name, None))]
        assert not missing, f"{namespace!r} lacks {missing}"


def _on_values(name: str, row: tuple, constants: tuple) -> float:
    args = [x if i in constants else Value(x) for i, x in enumerate(row)]
    out = getattr(value_math, name)(*args)
    return out.data if isinstance(out, Value) else float(out)


@pytest.mark.parametrize("name", MATH_FUNCTIONS)
def test_float_array_and_value_versions_agree(name):
    rows, constants, oracle = NAMESPACE_CASES[name]
    columns = [np.array(col) for col in zip(*rows)]
    on_arrays = getattr(array_math, name)(*columns)
    assert np.shape(on_arrays) == (len(rows),)
    for k, row in enumerate(rows):
        on_floats = getattr(scalar_math, name)(*row)
        assert isinstance(on_floats, (float, int))
        assert on_floats == pytest.approx(oracle(*row), rel=1e-12, abs=1e-300)
        assert on_arrays[k] == pytest.approx(on_floats, rel=1e-12, abs=1e-300)
        assert _on_values(name, row, constants) == pytest.approx(on_floats, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", MATH_FUNCTIONS)
def test_formula_versions_name_their_operands(name):
    rows, constants, _ = NAMESPACE_CASES[name]
    operands = [f"x_{i + 1}" for i in range(len(rows[0]))]
    args = [rows[0][i] if i in constants else Symbol.variable(v) for i, v in enumerate(operands)]
    out = getattr(formula_math, name)(*args)
    assert isinstance(out, Symbol)
    for i, v in enumerate(operands):
        if i not in constants:
            assert v in out.text and f"x_{{{i + 1}}}" in out.latex


@pytest.mark.parametrize("name, row, constants, error", [
    ("exp", (1000.0,), (), OverflowError),
    ("log", (0.0,), (), ValueError),
    ("log", (-1.0,), (), ValueError),
    ("sqrt", (-1.0,), (), ValueError),
    ("pow", (0.0, -1.0), (1,), ZeroDivisionError),
    ("pow", (-2.0, 0.5), (1,), ValueError),
    ("div", (1.0, 0.0), (), ZeroDivisionError),
    ("xlogy", (1.0, -1.0), (), ValueError),
])
def test_every_namespace_raises_the_same_error_on_bad_input(name, row, constants, error):
    with pytest.raises(error):
        getattr(scalar_math, name)(*row)
    with pytest.raises(error):
        getattr(array_math, name)(*[np.array([1.0 if i not in constants else x, x]) for i, x in enumerate(row)])
    with pytest.raises(error):
        _on_values(name, row, constants)


# === 9. hypothesis =============================================================================
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
safe = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
steppable = safe.filter(lambda v: v == 0.0 or abs(v) > 0.05)  # fd steps 1e-5 |x|: too small a step near 0
betas = st.floats(0.1, 3.0)


@FAST
@given(x=steppable, w=steppable, beta=betas)
def test_random_points_backward_matches_finite_differences(ops, fd, x, w, beta):
    def build(x, w):
        return (ops.swish(x * w) + ops.gelu(x - w) * ops.aexpb(w, 0.3 * x) + ops.tri(x, w, x)
                + ops.bswish(w, beta))

    got = grads_of(build, [x, w])
    for i in range(2):
        want = fd(lambda p: value_at(build, p), [x, w], i)
        assert got[i] == pytest.approx(want, rel=1e-6, abs=1e-7)


@st.composite
def batches(draw):
    """Two input columns (x, t) of one random batch size."""
    n = draw(st.integers(1, 8))
    column = st.lists(safe, min_size=n, max_size=n)
    return np.array(draw(column)), np.array(draw(column))


@FAST
@given(batch=batches(), w0=safe, b0=safe, beta=betas, layout=st.lists(st.sampled_from("xtwb"), min_size=3, max_size=3))
def test_random_batches_tape_equals_eager(ops, batch, w0, b0, beta, layout):
    """``layout``: which of x, t (batch inputs), w, b (parameters) feed the 3-input op, repeats allowed."""
    w, b = Value(w0, label="w"), Value(b0, label="b")

    def loss(x, t):
        operand = {"x": x, "t": t, "w": w, "b": b}
        return (ops.tri(*[operand[k] for k in layout]) + ops.swish(w * x + b) - t * ops.bswish(x, beta)
                + ops.aexpb(b, t * 0.2) + ops.gelu(t) * w)

    assert_tape_matches_eager(loss, [w, b], list(batch))


# === 10. formula.py ==============================================================================
A, B, C, U = (Symbol.variable(n) for n in "abcu")
NUMBERS = {"a": 1.3, "b": 0.7, "c": 2.9, "u": 1.6}
ON_FLOATS = SimpleNamespace(exp=math.exp, sigmoid=sigmoid)


def with_numbers(text: str) -> str:
    """The formula text with the numbers of NUMBERS put in for its variables."""
    return re.sub(r"\b([abcu])\b", lambda match: repr(NUMBERS[match.group(1)]), text)


@pytest.mark.parametrize("build, text, latex", [
    (lambda a, b, c, u, m: a - (b + c), "a - (b + c)", "a - (b + c)"),
    (lambda a, b, c, u, m: (a - b) - c, "a - b - c", "a - b - c"),
    (lambda a, b, c, u, m: a - (b - c), "a - (b - c)", "a - (b - c)"),
    (lambda a, b, c, u, m: a + (b - c), "a + b - c", "a + b - c"),
    (lambda a, b, c, u, m: a - b * c, "a - b * c", r"a - b \, c"),
    (lambda a, b, c, u, m: (a + b) * c, "(a + b) * c", r"(a + b) \, c"),
    (lambda a, b, c, u, m: a * (b + c), "a * (b + c)", r"a \, (b + c)"),
    (lambda a, b, c, u, m: a / (b * c), "a / (b * c)", r"\frac{a}{b \, c}"),
    (lambda a, b, c, u, m: a / b / c, "a / b / c", r"\frac{\frac{a}{b}}{c}"),
    (lambda a, b, c, u, m: a / (b / c), "a / (b / c)", r"\frac{a}{\frac{b}{c}}"),
    (lambda a, b, c, u, m: a / b * c, "a / b * c", r"\frac{a}{b} \, c"),
    (lambda a, b, c, u, m: (a + b) / c, "(a + b) / c", r"\frac{a + b}{c}"),
    (lambda a, b, c, u, m: 1 / (a + b), "1 / (a + b)", r"\frac{1}{a + b}"),
    (lambda a, b, c, u, m: (-u) ** 2, "(-u)^2", "(-u)^{2}"),
    (lambda a, b, c, u, m: -u ** 2, "-u^2", "-u^{2}"),
    (lambda a, b, c, u, m: -(a + b), "-(a + b)", "-(a + b)"),
    (lambda a, b, c, u, m: -a * b, "-a * b", r"-a \, b"),
    (lambda a, b, c, u, m: u ** (a + b), "u^(a + b)", "u^{a + b}"),
    (lambda a, b, c, u, m: (u ** a) ** b, "(u^a)^b", "(u^{a})^{b}"),
    (lambda a, b, c, u, m: u ** -1, "u^(-1)", "u^{-1}"),
    (lambda a, b, c, u, m: 2 ** u, "2^u", "2^{u}"),
    (lambda a, b, c, u, m: (a * b) ** 2, "(a * b)^2", r"(a \, b)^{2}"),
    (lambda a, b, c, u, m: 0.5 * u - 3, "0.5 * u - 3", r"0.5 \, u - 3"),
    (lambda a, b, c, u, m: m.exp(-u) * (1 - m.sigmoid(u)), "exp(-u) * (1 - sigmoid(u))",
     r"e^{-u} \, (1 - \sigma(u))"),
])
def test_symbol_precedence_in_text_and_latex(build, text, latex):
    formula = build(A, B, C, U, formula_math)
    assert (formula.text, formula.latex) == (text, latex)
    # the text means what the code computes: evaluated with numbers, it gives the code's value on floats
    want = build(*NUMBERS.values(), ON_FLOATS)
    assert read_number(with_numbers(formula.text)) == pytest.approx(want, rel=1e-14)


def test_variables_numbers_and_functions():
    assert Symbol.variable("x_2").latex == "x_{2}" and Symbol.variable("x_2").text == "x_2"
    assert (Symbol.of(3.0).text, Symbol.of(-0.25).text, Symbol.of(2).text) == ("3", "-0.25", "2")
    assert formula_math.step(U).latex == "[u > 0]" and formula_math.step(U).text == "step(u)"
    assert abs(A - B).text == "|a - b|" and abs(A - B).latex == r"\lvert a - b \rvert"
    assert formula_math.xlogy(A, B).text == "a * log(b)"
    assert formula_math.logsumexp(A, B, C).text == "logsumexp(a, b, c)"
    assert formula_math.leaky_relu(U, 0.1).latex == r"\operatorname{leaky\_relu}(u, 0.1)"


def test_latex_parenthesises_a_negative_right_factor():
    for formula in (U * -2, A * -B, A * -formula_math.sin(B)):
        assert r"\, -" not in formula.latex, formula.latex


@pytest.mark.parametrize("use", [
    lambda: bool(U), lambda: float(U), lambda: int(U), lambda: U > 0, lambda: U <= 1, lambda: U == 0,
    lambda: U != 0, lambda: max(U, 0), lambda: math.exp(U), lambda: math.sqrt(U), lambda: np.exp(U),
    lambda: np.tanh(U), lambda: np.array([1.0]) * U, lambda: Symbol.of(True), lambda: Symbol.of(math.nan),
    lambda: Symbol.of(math.inf), lambda: Symbol.of("u"), lambda: Symbol.of(None), lambda: Symbol.of(np.int64(2)),
    lambda: formula_math.exp("u"),
])
def test_what_a_formula_refuses(use):
    with pytest.raises(FormulaError) as info:
        use()
    assert isinstance(info.value, TypeError)  # so a wrong definition is a TypeError, as Python's own
    assert "formula" in str(info.value) or "as a number" in str(info.value)

"""Property-based tests: random expression DAGs with shared subexpressions, gradients vs finite differences.

A random program is a list of instructions; each applies an op to nodes made earlier (any
of them, so a node often feeds several parents, and ``a + a`` / ``b * b`` happen), and the
root sums every node made. Inputs outside an op's domain (or near a kink) skip that
instruction; the finite-difference replays keep the first build's choices. ``detach`` and
``no_grad`` instructions make nodes that gradients must treat as constants.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value, grad, no_grad

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _away_from_zero(x: float) -> bool:
    return abs(x) > 0.05


# name: (arity, build from a namespace m of functions and the operands, guard on the operands' data)
MENU: dict[str, tuple[int, Callable[..., Any], Callable[..., bool]]] = {
    "add": (2, lambda m, a, b: a + b, lambda a, b: True),
    "sub": (2, lambda m, a, b: a - b, lambda a, b: True),
    "mul": (2, lambda m, a, b: a * b, lambda a, b: True),
    "div": (2, lambda m, a, b: a / b, lambda a, b: abs(b) > 0.1),
    "rsub": (1, lambda m, a: 1.5 - a, lambda a: True),
    "scale": (1, lambda m, a: a * -0.7, lambda a: True),
    "neg": (1, lambda m, a: -a, lambda a: True),
    "square": (1, lambda m, a: a**2, lambda a: True),
    "cube": (1, lambda m, a: a**3, lambda a: abs(a) < 20),
    "inverse": (1, lambda m, a: a**-1, lambda a: abs(a) > 0.1),
    "root": (1, lambda m, a: a**0.5, lambda a: a > 0.05),
    "powv": (2, lambda m, a, b: a**b, lambda a, b: 0.1 < a < 20 and abs(b) < 3),
    "exp": (1, lambda m, a: m.exp(a), lambda a: a < 5),
    "log": (1, lambda m, a: m.log(a), lambda a: a > 0.05),
    "sqrt": (1, lambda m, a: m.sqrt(a), lambda a: a > 0.05),
    "tanh": (1, lambda m, a: m.tanh(a), lambda a: True),
    "sigmoid": (1, lambda m, a: m.sigmoid(a), lambda a: True),
    "softplus": (1, lambda m, a: m.softplus(a), lambda a: True),
    "sin": (1, lambda m, a: m.sin(a), lambda a: True),
    "cos": (1, lambda m, a: m.cos(a), lambda a: True),
    "relu": (1, lambda m, a: m.relu(a), _away_from_zero),
    "abs": (1, lambda m, a: abs(a), _away_from_zero),
    "leaky_relu": (1, lambda m, a: m.leaky_relu(a, 0.1), _away_from_zero),
    "elu": (1, lambda m, a: m.elu(a, 0.5), _away_from_zero),
    "sum": (3, lambda m, a, b, c: m.sum([a, b, c]), lambda a, b, c: True),
    "dot": (4, lambda m, a, b, c, d: m.dot([a, b], [c, d]), lambda a, b, c, d: True),
    "logsumexp": (3, lambda m, a, b, c: m.logsumexp([a, b, c]), lambda a, b, c: True),
    # constants as far as gradients go: replays (finite differences, PyTorch) use the first build's value
    "detach": (1, lambda m, a: m.detach(a), lambda a: True),
    "no_grad": (2, lambda m, a, b: m.untracked(lambda: (a * b).tanh() + a), lambda a, b: True),
}
FROZEN = {"detach", "no_grad"}


def _untracked_engine(f: Callable[[], Value]) -> Value:
    with no_grad():
        return f()
ENGINE = SimpleNamespace(
    exp=Value.exp, log=Value.log, sqrt=Value.sqrt, tanh=Value.tanh, sigmoid=Value.sigmoid, softplus=Value.softplus,
    sin=Value.sin, cos=Value.cos, relu=Value.relu, leaky_relu=Value.leaky_relu, elu=Value.elu,
    sum=ag.sum, dot=ag.dot, logsumexp=ag.logsumexp, detach=Value.detach, untracked=_untracked_engine, constant=Value,
)


def _torch_namespace(torch: Any) -> SimpleNamespace:
    F = torch.nn.functional
    return SimpleNamespace(
        exp=torch.exp, log=torch.log, sqrt=torch.sqrt, tanh=torch.tanh, sigmoid=torch.sigmoid, softplus=F.softplus,
        sin=torch.sin, cos=torch.cos, relu=torch.relu, leaky_relu=F.leaky_relu, elu=F.elu,
        sum=lambda vs: torch.stack(vs).sum(), dot=lambda ws, xs: torch.dot(torch.stack(ws), torch.stack(xs)),
        logsumexp=lambda vs: torch.logsumexp(torch.stack(vs), 0),
        constant=lambda v: torch.tensor(v, dtype=torch.float64),
    )


instruction = st.tuples(st.sampled_from(sorted(MENU)), st.lists(st.integers(0, 10_000), min_size=4, max_size=4))
programs = st.lists(instruction, min_size=1, max_size=12)
leaf_values = st.lists(
    st.floats(-2.0, 2.0).filter(lambda x: x == 0.0 or abs(x) > 0.05), min_size=1, max_size=4
)


def run(program: list, leaves: list[Any], m: SimpleNamespace = ENGINE, replay: list | None = None):
    """Build the DAG on ``leaves`` with the functions in ``m``; return the root and a record to ``replay`` it.

    The record holds, per instruction, None (its guard skipped it), the value of a frozen node
    (detach, no_grad), or True. A replay follows it, so perturbed inputs build the same graph.
    """
    nodes = list(leaves)
    record: list[Any] = []
    for k, (name, picks) in enumerate(program):
        arity, build, guard = MENU[name]
        operands = [nodes[i % len(nodes)] for i in picks[:arity]]
        if replay is None:
            node = build(m, *operands) if guard(*[v.data for v in operands]) else None
            record.append(None if node is None else node.data if name in FROZEN else True)
        else:
            record.append(replay[k])
            node = None if replay[k] is None else m.constant(replay[k]) if name in FROZEN else build(m, *operands)
        if node is not None:
            nodes.append(node)
    return m.sum(nodes), record


def _build_or_reject(program: list, xs: list[float]) -> tuple[list[Value], Value, list]:
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    try:
        root, record = run(program, leaves)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)  # a random program may overflow; that is not what these tests are about
    assume(abs(root.data) < 1e8)
    return leaves, root, record


def _value_at(program: list, record: list) -> Callable[[list[float]], float]:
    def f(xs: list[float]) -> float:
        with no_grad():  # the forward only
            return run(program, [Value(x) for x in xs], replay=record)[0].data

    return f


def _close(got: float, want: float, scale: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-7 * (1.0 + scale))


@FAST
@given(program=programs, xs=leaf_values)
def test_dag_gradients_match_finite_differences(program: list, xs: list[float], fd) -> None:
    leaves, root, record = _build_or_reject(program, xs)
    root.backward()
    f = _value_at(program, record)
    for i, leaf in enumerate(leaves):
        expected = fd(f, xs, i)
        assert _close(leaf.grad, expected, abs(root.data)), (i, leaf.grad, expected)
    # grad() agrees with backward exactly, with and without create_graph, and leaves .grad alone
    before = [v.grad for v in leaves]
    assert [g.data for g in grad(root, leaves)] == before
    assert [g.data for g in grad(root, leaves, create_graph=True)] == pytest.approx(before, rel=1e-12, abs=1e-12)
    assert [v.grad for v in leaves] == before


@FAST
@given(program=programs, xs=leaf_values)
def test_second_backward_doubles_every_gradient(program: list, xs: list[float]) -> None:
    leaves, root, record = _build_or_reject(program, xs)
    root.backward()
    first = [v.grad for v in leaves]
    root.backward()
    assert [v.grad for v in leaves] == [2 * g for g in first]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, xs=leaf_values)
def test_dag_second_derivatives_match_finite_differences(program: list, xs: list[float], fd) -> None:
    leaves, root, record = _build_or_reject(program, xs)
    firsts = grad(root, leaves, create_graph=True)
    row = grad(firsts[0], leaves)  # d2 root / d x0 d xj

    def first(x: list[float]) -> float:
        vs = [Value(v) for v in x]
        return grad(run(program, vs, replay=record)[0], [vs[0]])[0].data

    for j in range(len(leaves)):
        expected = fd(first, xs, j)
        assert _close(row[j].data, expected, abs(firsts[0].data) + abs(root.data)), (j, row[j].data, expected)


@FAST
@given(program=programs, xs=leaf_values)
def test_dag_gradients_match_pytorch(program: list, xs: list[float]) -> None:
    """An independent engine as oracle (float64); skipped where PyTorch is not installed."""
    torch = pytest.importorskip("torch")
    leaves, root, record = _build_or_reject(program, xs)
    root.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out, _ = run(program, tensors, _torch_namespace(torch), record)
    out.backward()
    assert out.item() == pytest.approx(root.data, rel=1e-9, abs=1e-9)
    for leaf, t in zip(leaves, tensors):
        assert leaf.grad == pytest.approx(0.0 if t.grad is None else t.grad.item(), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, xs=leaf_values)
def test_dag_second_derivatives_match_pytorch(program: list, xs: list[float]) -> None:
    torch = pytest.importorskip("torch")
    # PyTorch masks pow's base derivative where the exponent is 0, which loses a term of the second derivative:
    # d2/dx2 [x + e^x + (e^x)^x] at x = 0 is 3 (finite differences and this engine), PyTorch 2.13 says 2.
    assume(0.0 not in xs)
    leaves, root, record = _build_or_reject(program, xs)
    row = grad(grad(root, leaves, create_graph=True)[0], leaves)
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out, _ = run(program, tensors, _torch_namespace(torch), record)
    (first,) = torch.autograd.grad(out, tensors[0], create_graph=True, allow_unused=True)
    if first is None or not first.requires_grad:  # x0 unused, or enters linearly
        expected = [0.0] * len(xs)
    else:
        expected = [0.0 if g is None else g.item() for g in torch.autograd.grad(first, tensors, allow_unused=True)]
    assert [h.data for h in row] == pytest.approx(expected, rel=1e-9, abs=1e-9)

"""Exercise sets: formulas (from ``autograd_lite.expression_exercise``) and small MLPs to backpropagate by hand.

    >>> s = make_set(seed=1, count=2, kind="network")
    >>> [(q.key, q.exercise.sizes, q.exercise.hidden, q.exercise.output) for q in s.questions]
    [('q1', (2, 3, 2), 'relu', 'linear'), ('q2', (2, 3, 2), 'relu', 'linear')]
    >>> s.questions[1].answers["delta^[2]"]
    [-0.75, 1.25]

A network exercise is a 2-2-1 or 2-3-2 MLP in the notes' notation: W^[l] is n_l x n_{l-1} (notes 003/004), its
entry (k, j) is w_jk^[l], the weight from node j of layer l-1 to node k of layer l (note 001). The numbers are
chosen so the arithmetic is doable by hand: whole-number inputs, weights and biases in halves, a ReLU hidden
layer (or tanh, with its values given), a linear output with the notes' 1/2 squared error (or a sigmoid output
with cross-entropy, its values given). Every answer is the notes' closed form (``nn.reference.backprop``):
the forward z^[l], a^[l], then delta^[L] and the recursion delta^[l] = (W^[l+1])^T delta^[l+1] * g'(z^[l])
(eq. 21c), dC/dW^[l] = delta^[l] (a^[l-1])^T (eq. 21a), dC/db^[l] = delta^[l] (eq. 21b).

The same seed gives the same set: each question draws from ``random.Random`` seeded with text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_lite import OPS, exercise_ops, expression_exercise, scalar_math

from . import reference

KINDS = ("expression", "network")
MAX_COUNT = 100  # questions in one set
MAX_SEED = 2**32 - 1
SHAPES = ((2, 2, 1), (2, 3, 2))
MODELS = (("relu", "linear"), ("relu", "sigmoid"), ("tanh", "linear"))  # (hidden g, output)
INPUTS = (-2.0, -1.0, 1.0, 2.0)
WEIGHTS = (-1.5, -1.0, -0.5, 0.5, 1.0, 1.5)
BIASES = (-1.0, -0.5, 0.0, 0.5, 1.0)
TARGETS = {"mse": (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0), "bce": (0.0, 1.0)}
LARGEST = 20.0  # no asked number is larger than this
SMALLEST = 0.01  # an asked number is 0 or at least this in size
ATTEMPTS = 1000
TABLE_DIGITS = 4

Answer = Any  # a float, a list of floats (a vector) or a list of lists (a matrix, row k, column j)


@dataclass(frozen=True)
class Given:
    """A value the sheet gives, as a function at a point: ``tanh(0.5) ≈ 0.4621``."""

    text: str
    latex: str
    value: float

    @property
    def shown(self) -> str:
        """The value as printed: ``TABLE_DIGITS`` significant digits."""
        return f"{self.value:.{TABLE_DIGITS}g}"


@dataclass(frozen=True, eq=False)
class NetworkExercise:
    """One MLP, one example: the weights, the input, the target, the values given, and the notes' backprop."""

    sizes: tuple[int, ...]  # (n_0, n_1, n_2)
    hidden: str  # g of layer 1
    output: str  # g of layer 2
    loss: str  # "mse" (1/2 ||a - y||^2) or "bce"
    x: np.ndarray
    target: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)  # [(W^[1], b^[1]), (W^[2], b^[2])]
    table: tuple[Given, ...]
    backprop: reference.Backprop = field(repr=False)

    @property
    def answers(self) -> dict[str, Answer]:
        """What the sheet asks, by name: a^[2], the deltas, dC/dW^[l] (n_l x n_{l-1}) and dC/db^[l]."""
        bp = self.backprop
        out: dict[str, Answer] = {"a^[2]": bp.a[2].tolist()}
        for layer in (2, 1):
            out[f"delta^[{layer}]"] = bp.delta[layer - 1].tolist()
        for layer in (2, 1):
            out[f"dC/dW^[{layer}]"] = bp.dW[layer - 1].tolist()
            out[f"dC/db^[{layer}]"] = bp.db[layer - 1].tolist()
        return out


@dataclass(frozen=True, eq=False)
class Question:
    """Question ``key`` (q1, q2 ...) of a set: its exercise and the answers it asks for."""

    key: str
    kind: str
    exercise: Any  # an autograd_lite ExpressionExercise or a NetworkExercise
    answers: dict[str, Answer]


@dataclass(frozen=True, eq=False)
class ExerciseSet:
    """The questions of one ``(seed, count, kind, ops)``: the same arguments give the same set."""

    seed: int
    count: int
    kind: str
    ops: tuple[str, ...]  # the op mix (expression kind; empty for networks)
    questions: list[Question]

    def _repr_markdown_(self) -> str:
        """Jupyter shows the sheet (``sheet.md``: Markdown with LaTeX), as ``autograd-lite exercises`` writes it."""
        from .exercise_sheet import sheet_markdown  # it imports this module

        return sheet_markdown(self)


def make_set(seed: int, count: int, kind: str = "expression", ops: Any = None) -> ExerciseSet:
    """``count`` questions of ``kind`` for ``seed`` (ops: the expression kind's op mix); ValueError past a bound.

    >>> [q.exercise.expression for q in make_set(5, 3, ops="add,mul,exp").questions]
    ['exp(z + y) + (x + z)', 'x * x * y + y', 'x * exp(x) + y * x']
    """
    if kind not in KINDS:
        raise ValueError(f"the kind must be one of {', '.join(KINDS)}, got {str(kind)[:40]!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED:,}, got {str(seed)[:40]}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"the count must be a whole number from 1 to {MAX_COUNT}, got {str(count)[:40]}")
    if kind == "network":
        if ops:
            raise ValueError("an op mix is for expression exercises; a network's ops are its activations")
        questions = [Question(f"q{i + 1}", kind, e, e.answers) for i, e in
                     enumerate(network_exercise(seed, i) for i in range(count))]
        return ExerciseSet(seed, count, kind, (), questions)
    chosen = exercise_ops(DEFAULT_OPS if ops is None else ops)
    questions = []
    for i in range(count):
        e = expression_exercise(seed, chosen, i)
        questions.append(Question(f"q{i + 1}", kind, e, dict(e.answers)))
    return ExerciseSet(seed, count, kind, chosen, questions)


DEFAULT_OPS = ("add", "sub", "mul", "pow", "relu", "tanh", "exp")


def network_exercise(seed: int, index: int = 0) -> NetworkExercise:
    """Network exercise number ``index`` of the set ``seed``, with numbers doable by hand.

    >>> e = network_exercise(1, 1); e.sizes, e.x.tolist(), e.layers[0][0].tolist()
    ((2, 3, 2), [-1.0, 1.0], [[1.5, -1.5], [0.5, -0.5], [-1.5, 0.5]])
    """
    rng = random.Random(f"autograd-lite network exercise {int(seed)} {int(index)}")
    for _ in range(ATTEMPTS):
        sizes = rng.choice(SHAPES)
        hidden, output = rng.choice(MODELS)
        loss = "bce" if output == "sigmoid" else "mse"
        layers = []
        for fan_in, width in zip(sizes, sizes[1:]):
            W = np.array([[rng.choice(WEIGHTS) for _ in range(fan_in)] for _ in range(width)])
            layers.append((W, np.array([rng.choice(BIASES) for _ in range(width)])))
        x = np.array([rng.choice(INPUTS) for _ in range(sizes[0])])
        target = np.array([rng.choice(TARGETS[loss]) for _ in range(sizes[-1])])
        exercise = _checked(sizes, hidden, output, loss, x, target, layers)
        if exercise is not None:
            return exercise
    raise RuntimeError(f"found no network doable by hand in {ATTEMPTS} tries")


def nice(x: float) -> bool:
    """At most 3 decimals: ``nice(0.125)`` is True, ``nice(0.0625)`` is False."""
    return abs(x * 1000 - round(x * 1000)) < 1e-6


def _checked(sizes: tuple[int, ...], hidden: str, output: str, loss: str, x: np.ndarray, target: np.ndarray,
             layers: list[tuple[np.ndarray, np.ndarray]]) -> NetworkExercise | None:
    bp = reference.backprop(layers, x, target, hidden=hidden, output=output, loss=loss)
    z1, z2 = bp.z
    if hidden == "relu" and (np.any(z1 == 0.0) or not np.any(z1 > 0.0)):
        return None  # a unit at the kink (g'(0) is a convention), or no unit passes anything on
    if output == "sigmoid" and (not all(map(nice, z2)) or np.any(np.abs(z2) > 4)):
        return None  # sigma is given at z^[2], which the student works out: it must be a short number
    if not np.any(bp.dW[0]) or not np.any(bp.delta[1]):
        return None  # nothing reaches layer 1, or layer 2 has nothing to learn
    asked = np.concatenate([np.ravel(v) for v in (*bp.delta, *bp.dW, *bp.db, bp.a[2])])
    if np.any(np.abs(asked) > LARGEST) or np.any(np.abs(z1) > 3):
        return None
    if np.any((asked != 0) & (np.abs(asked) < SMALLEST)):
        return None  # 0.004: "0" would be graded right
    if hidden == "relu" and output == "linear" and not all(map(nice, asked)):
        return None  # no table: every number must come out short
    table: list[Given] = []
    if hidden == "tanh":
        table += _given("tanh", z1)
    if output == "sigmoid":
        table += _given("sigmoid", z2, derivative=False)
    return NetworkExercise(tuple(sizes), hidden, output, loss, x, target, layers, tuple(table), bp)


def _given(name: str, points: np.ndarray, derivative: bool = True) -> list[Given]:
    """g and g' at each point, from the op table (the one place they are written)."""
    op = OPS[name]
    out: dict[str, Given] = {}
    for u in map(float, points):
        at = f"{u:g}"
        y = op.forward(scalar_math, (u,), None)
        d = op.local(scalar_math, (u,), y, None)[0]
        if nice(y) and (nice(d) or not derivative):
            continue  # tanh(0) = 0: nothing to look up
        out.setdefault(at, Given(op.show([at]), op.show([at], latex=True), y))
        if derivative:
            out.setdefault("d" + at, Given(f"{op.partial(0, 1)} at u = {at}",
                                           rf"\left.{op.partial(0, 1, latex=True)}\right|_{{u = {at}}}", d))
    return [out[k] for k in sorted(out, key=lambda k: (float(k.lstrip("d")), k.startswith("d")))]

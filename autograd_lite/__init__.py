"""autograd-lite: see backpropagation work, one scalar at a time.

    >>> from autograd_lite import Value
    >>> x = Value(0.5, label="x"); y = (2 * x).tanh(); y.backward(); round(x.grad, 4)
    0.8399

Public API: ``Value``; n-ary nodes ``sum``, ``dot``, ``logsumexp`` (and ``matvec``, a ``dot`` per row);
``grad`` (higher order with ``create_graph=True``); ``no_grad`` / ``enable_grad`` (per thread); the op table ``OPS``
and ``define_op`` (an op of your own, known to every consumer); ``topological_order``; the
op table's math namespaces ``scalar_math`` (floats) and ``array_math`` (numpy arrays);
pictures and the chain rule step by step: ``draw``, ``render``, ``explain`` (and
``notebook_frame``, any page as a Jupyter output); homework formulas
(``expression_exercise`` over ``EXERCISE_OPS``, ``exercise_ops`` checks a mix); the notes' symbols
(``z_1^[2]`` as z₁^[2], LaTeX or HTML): ``symbol``, and ``notation_label`` writes one (``example_label``: one
example's, x_1^(2)); practice: ``check``
(gradients worked out by hand) and ``quiz`` (a page to fill in; ``Quiz``, ``Question``, ``Blank`` build any quiz
page); ``compile`` (a per-sample loss traced once into a ``Tape`` that trains on whole numpy batches). The
packages: ``core`` (the engine), ``compiled`` (the tape), ``teaching`` (pictures and
explanations), ``cli`` (the command line); ARCHITECTURE.md maps them.
"""

from .compiled import array_math
from .compiled.tape import Tape, TraceError
from .compiled.tape import compile as compile  # noqa: A004 - as torch.compile; not in __all__
from .core import scalar_math
from .core.backprop import collector_paused, grad
from .core.custom_ops import define_op
from .core.engine import Value
from .core.grad_mode import enable_grad, is_grad_enabled, no_grad
from .core.graph import topological_order
from .core.nary import dot, logsumexp, matvec
from .core.nary import sum as sum  # re-exported, but not in __all__ (see below)
from .core.ops import OPS, Op
from .teaching.check import CheckResult
from .teaching.draw import draw, render
from .teaching.exercises import EXERCISE_OPS, exercise_ops, expression_exercise
from .teaching.explain import explain
from .teaching.labels import notebook_frame
from .teaching.notation import example_label, notation_label, symbol
from .teaching.quiz import Blank, Question, Quiz

__version__ = "0.1.0"

# ``sum`` and ``compile`` are left out of __all__ so ``import *`` never hides the builtins.
__all__ = [
    "EXERCISE_OPS",
    "Blank",
    "CheckResult",
    "Question",
    "Quiz",
    "check",
    "collector_paused",
    "quiz",
    "OPS",
    "Op",
    "Tape",
    "TraceError",
    "Value",
    "define_op",
    "dot",
    "matvec",
    "draw",
    "enable_grad",
    "exercise_ops",
    "explain",
    "expression_exercise",
    "grad",
    "is_grad_enabled",
    "logsumexp",
    "no_grad",
    "notebook_frame",
    "notation_label",
    "example_label",
    "render",
    "array_math",
    "scalar_math",
    "symbol",
    "topological_order",
]

_MOVED = {name: "nn.explain_layers" for name in ("explain_layers", "LayerView", "LayerCheck")}


_PRACTICE = ("check", "quiz")  # they read a formula's text with cli.expr: imported on first use (cli imports this)


def __getattr__(name: str) -> object:
    """``check`` and ``quiz`` (from ``cli.practice``), and a clear message for names that moved out of autograd_lite
    (it no longer knows nn)."""
    if name in _PRACTICE:
        from .cli import practice

        return getattr(practice, name)
    if name in _MOVED:
        raise AttributeError(f"autograd_lite.{name} moved to nn (it is about layers): use {_MOVED[name]}"
                             f"{'' if name == 'explain_layers' else ' and nn.' + name}")
    raise AttributeError(f"module 'autograd_lite' has no attribute {name!r}")

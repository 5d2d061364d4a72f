"""autograd-lite: see backpropagation work, one scalar at a time.

    >>> from autograd_lite import Value
    >>> x = Value(0.5, label="x"); y = (2 * x).tanh(); y.backward(); round(x.grad, 4)
    0.8399

Public API: ``Value``; n-ary nodes ``sum``, ``dot``, ``logsumexp``; ``grad`` (higher order
with ``create_graph=True``); ``no_grad``; the op table ``OPS``; ``topological_order``;
pictures and the chain rule step by step: ``draw``, ``render``, ``explain``,
``explain_layers`` (an ``nn.MLP`` layer by layer beside the notes' formulas); ``compile``
(a per-sample loss traced once into a ``Tape`` that trains on whole numpy batches).
"""

from .backprop import grad
from .draw import draw, render
from .engine import Value, dot, enable_grad, is_grad_enabled, logsumexp, no_grad
from .engine import sum as sum  # re-exported, but not in __all__ (see below)
from .explain import explain, explain_layers
from .graph import topological_order
from .ops import OPS, Op
from .tape import Tape, TraceError
from .tape import compile as compile  # noqa: A004 - as torch.compile; not in __all__

# ``sum`` and ``compile`` are left out of __all__ so ``import *`` never hides the builtins.
__all__ = [
    "OPS",
    "Op",
    "Tape",
    "TraceError",
    "Value",
    "dot",
    "enable_grad",
    "draw",
    "explain",
    "explain_layers",
    "grad",
    "is_grad_enabled",
    "logsumexp",
    "no_grad",
    "render",
    "topological_order",
]
__version__ = "0.1.0"

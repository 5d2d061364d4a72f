"""How people read the graph: a name for every node, numbers without noise, formula variables.

Shared by ``explain``, its text and Markdown renderers, ``draw`` and the HTML walkthrough.

    >>> number(0.30000000000000004, 4), factor(-2.0, 4)
    ('0.3', '(-2)')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.ops import OPS
from . import labels
from .notation import distinct_names

if TYPE_CHECKING:
    from ..core.engine import Value
    from .explain import Step


def number(x: float, precision: int) -> str:
    """``x`` with ``precision`` significant digits, without a trailing '.0' or exponent noise."""
    text = f"{x:.{precision}g}"
    return "0" if text == "-0" else text


def factor(x: float, precision: int) -> str:
    """A number to put after an operator: negative ones in parentheses, "0.5 * (-2)" rather than "0.5 * -2"."""
    text = number(x, precision)
    return f"({text})" if text.startswith("-") else text


def node_names(order: list[Value]) -> dict[Value, str]:
    """A display name per node: its label, else ``v1, v2, ...`` for results, the number for a constant.

    >>> from autograd_lite import Value, topological_order
    >>> a = Value(2.0, label="a"); b = a * 3; list(node_names(topological_order(b)).values())
    ['a', '3', 'v1']

    A label is shown printable and at most ``labels.NAME_LIMIT`` characters long (``labels.name``). Two
    different nodes whose labels show alike (the same label twice, or two that shorten alike) get " (2)",
    " (3)" ... so the steps still tell them apart:

    >>> x1, x2 = Value(2.0, label="x"), Value(5.0, label="x"); list(node_names(topological_order(x1 * x2)).values())
    ['x', 'x (2)', 'v1']

    except the notes' per-example symbols (a model called on several examples): there the k-th is example k,
    written as note 001 writes x^(i):

    >>> x1, x2 = Value(2.0, label="x_1"), Value(5.0, label="x_1"); list(node_names(topological_order(x1 * x2)).values())
    ['x_1^(1)', 'x_1^(2)', 'v1']
    """
    nodes = [v for v in order if v.label]  # the same label on several nodes: notation.distinct_names tells them apart
    labelled = dict(zip(nodes, distinct_names([labels.name(v.label) for v in nodes])))
    taken = set(labelled.values())
    names: dict[Value, str] = {}  # in the order of ``order``
    k = 0
    for v in order:
        if v.label:
            names[v] = labelled[v]
        elif not v.inputs:
            names[v] = number(v.data, 6)
        else:
            k += 1
            while f"v{k}" in taken:
                k += 1
            names[v] = f"v{k}"
    return names


def latex_var(name: str) -> str:
    """``x_3`` -> ``x_{3}``; ``u`` stays ``u``."""
    base, _, sub = name.partition("_")
    return f"{base}_{{{sub}}}" if sub else base


def param_binding(s: Step, num: Any) -> str:
    """"slope = 0.1": the op's constant under the name its formula uses ("" when the op has none)."""
    return f"{OPS[s.op].param_name or 'p'} = {num(s.param)}" if s.param is not None else ""

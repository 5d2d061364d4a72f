"""``Module``: the base class that finds a model's parameters by walking its attributes.

A parameter is a ``Value`` stored on a module, directly or in a list; sub-modules are found
the same way. Names are dotted paths, as in PyTorch: ``layers.0.neurons.3.w.1``.

    >>> from nn import MLP
    >>> names = [name for name, _ in MLP(2, [3, 1], seed=0).named_parameters()]
    >>> names[:3], names[-1]
    (['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b'], 'layers.1.neurons.0.b')
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterator, Mapping
from typing import Any

from autograd_lite import Value


class Module:
    """Base class of ``Neuron``, ``Layer`` and ``MLP``: parameters, gradients and state.

    >>> from nn import Neuron
    >>> n = Neuron(2, seed=0); n.zero_grad(); [p.grad for p in n.parameters()]
    [0.0, 0.0, 0.0]
    """

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """Every parameter with its dotted name, in a stable order (attribute order, then index).

        >>> from nn import Neuron; [name for name, _ in Neuron(2, seed=0).named_parameters()]
        ['w.0', 'w.1', 'b']
        """
        for name, item in vars(self).items():
            if not name.startswith("_"):
                yield from _walk(item, prefix + name)

    def parameters(self) -> list[Value]:
        """Every parameter (the Values an optimizer updates), in ``named_parameters`` order.

        >>> from nn import Layer; len(Layer(3, 2, seed=0).parameters())   # 2 neurons x (3 weights + 1 bias)
        8
        """
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (gradients accumulate across ``backward()`` calls).

        >>> from nn import Neuron; n = Neuron(1, "linear", seed=0); n([2.0]).backward(); n.zero_grad(); n.w[0].grad
        0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name, as plain floats (ready for JSON).

        >>> from nn import Neuron; Neuron(1, seed=0).state_dict()
        {'w.0': 0.6888437030500962, 'b': 0.0}
        """
        return {name: float(p.data) for name, p in self.named_parameters()}  # float(): never a traced placeholder

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state`` (name -> finite number); all or nothing.

        Raises ValueError naming the first missing, unexpected or bad entry; on error no
        parameter has changed.

        >>> from nn import Neuron; n = Neuron(1, seed=0); n.load_state_dict({"w.0": 2.0, "b": -1.0}); n.b.data
        -1.0
        """
        if not isinstance(state, Mapping):
            got = type(state).__name__
            raise TypeError(f"load_state_dict: expected a mapping of parameter name -> number, got {got}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        if missing:
            raise ValueError(f"load_state_dict: missing parameter {missing[0]!r} ({len(missing)} missing in all)")
        unexpected = [name for name in state if name not in params]
        if unexpected:
            raise ValueError(f"load_state_dict: unexpected parameter {unexpected[0]!r} (this model has no such name)")
        values = {name: _finite_number(state[name], name) for name in params}
        for name, p in params.items():
            p.data = values[name]

    def label_parameters(self) -> None:
        """Label every parameter with its dotted name, so diagrams, ``explain`` and errors can name it.

        A model of your own can call it when it is built; ``nn``'s Neuron, Layer and MLP label theirs with the
        notes' symbols instead (``w_21^[1]``, ``b_1^[2]``: see ``nn.layers``).

        >>> from nn import Neuron; n = Neuron(2, seed=0); n.label_parameters(); [p.label for p in n.parameters()]
        ['w.0', 'w.1', 'b']
        """
        for name, p in self.named_parameters():
            p.label = name

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (subclasses override)."""
        raise NotImplementedError(f"{type(self).__name__} does not define config(), so it cannot be saved")

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture and every parameter to ``path`` as JSON, atomically (see ``nn.serialization``).

        >>> import tempfile, os, nn; path = os.path.join(tempfile.mkdtemp(), "m.json")
        >>> m = nn.MLP(2, [3, 1], seed=0); m.save(path); nn.load(path).state_dict() == m.state_dict()
        True
        """
        from .serialization import save

        save(self, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _walk(item: Any, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(item, Value):
        yield name, item
    elif isinstance(item, Module):
        yield from item.named_parameters(name + ".")
    elif isinstance(item, (list, tuple)):
        for i, sub in enumerate(item):
            yield from _walk(sub, f"{name}.{i}")


def _finite_number(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"parameter {name!r} must be a number, got {type(x).__name__}: {x!r:.60}")
    try:
        x = float(x)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"parameter {name!r} is too large for a float: {x!r:.60}") from None
    if not math.isfinite(x):
        raise ValueError(f"parameter {name!r} must be a finite number, got {x}")
    return x

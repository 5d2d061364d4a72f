"""Neurons, layers and multi-layer perceptrons, with micrograd's shape and PyTorch's names.

A neuron computes z = w . a + b (one ``dot`` node and one ``add`` node) and then a = g(z)
(notes 001: z_k = sum_j w_jk a_j + b_k, a_k = g(z_k)). ``MLP(2, [16, 16, 1])`` is micrograd's
network: ReLU hidden layers and a linear output.

    >>> from nn import MLP
    >>> model = MLP(2, [4, 1], seed=0); out = model([1.0, -2.0]); type(out).__name__
    'Value'
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_lite import Value, dot

from .activations import OUTPUT_ACTIVATIONS, activate, check_choice
from .checks import count, finite_array
from .module import Module

INITS: tuple[str, ...] = ("uniform", "xavier", "he")
Seed = int | random.Random | None
Input = Sequence[Value | float] | np.ndarray


# --- construction helpers ----------------------------------------------------------------
def make_rng(seed: Seed) -> Any:
    """A random source: ``random.Random(seed)`` for an int, the object itself for a Random, and the
    global ``random`` module for None (so ``random.seed(1337)`` reproduces micrograd's weights).

    >>> make_rng(0).random() == random.Random(0).random(), make_rng(None) is random
    (True, True)
    """
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}: {seed!r:.60}")
    return random.Random(int(seed))


def resolve_activation(activation: str | bool | None, nonlin: bool | None, who: str) -> str:
    """The activation's name from ours (``activation="tanh"``) or micrograd's ``nonlin`` (True: ReLU, False:
    linear, also given by position as in ``Neuron(3, False)``); ReLU when neither is given.

    >>> resolve_activation(None, False, "Neuron"), resolve_activation(True, None, "Neuron")
    ('linear', 'relu')
    """
    if isinstance(activation, bool):  # micrograd's Neuron(nin, nonlin) by position
        if nonlin is not None:
            raise TypeError(f"{who}: nonlin given twice ({activation} by position and nonlin={nonlin!r})")
        activation, nonlin = None, activation
    if nonlin is None:
        return "relu" if activation is None else activation
    if not isinstance(nonlin, bool):
        raise TypeError(f"{who}(nonlin) must be True (ReLU) or False (linear), got {type(nonlin).__name__}")
    if activation is not None:
        raise ValueError(f"{who}: give activation={activation!r} or micrograd's nonlin={nonlin}, not both")
    return "relu" if nonlin else "linear"


def _draw_weight(init: str, rng: Any, fan_in: int, fan_out: int) -> float:
    if init == "uniform":  # micrograd: U(-1, 1)
        return rng.uniform(-1.0, 1.0)
    if init == "xavier":  # Glorot & Bengio 2010, uniform: U(-r, r), r = sqrt(6 / (fan_in + fan_out))
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound)
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))  # he (Kaiming normal): N(0, 2 / fan_in)


def check_input(x: Any, nin: int, what: str = "input") -> list:
    """``x`` as a list of ``nin`` Values / finite floats, or a ValueError saying what was expected and what came.

    >>> check_input(np.array([1.0, 2.0]), 2)
    [1.0, 2.0]
    """
    expected = f"a list, tuple or 1-D numpy array of {nin} numbers or Values"
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{what}: expected {expected}, got a numpy array of shape {x.shape}")
        if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            raise ValueError(f"{what}: expected {expected}, got a numpy array of dtype {x.dtype}")
        x = x.tolist()
    elif not isinstance(x, (list, tuple)):
        raise ValueError(f"{what}: expected {expected}, got {type(x).__name__}: {x!r:.60}")
    if len(x) != nin:
        raise ValueError(f"{what}: expected {nin} inputs, got {len(x)}")
    out = list(x)
    for i, v in enumerate(out):
        if isinstance(v, Value):
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(f"{what}[{i}]: expected a number or a Value, got {type(v).__name__}: {v!r:.60}")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{what}[{i}]: expected a finite number, got {v}")
        out[i] = v
    return out


# --- the modules -------------------------------------------------------------------------
class Neuron(Module):
    """One neuron: z = w . a + b, then a = g(z).

    >>> n = Neuron(2, activation="linear", seed=0); n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    >>> n([1.0, 3.0]).data   # 2*1 - 1*3 + 0.5
    -0.5

    ``activation``: a name from ``nn.ACTIVATIONS`` (default ``"relu"``), or micrograd's
    ``nonlin=True`` (ReLU) / ``nonlin=False`` (linear). ``init``: ``"uniform"`` (micrograd:
    U(-1, 1)), ``"xavier"`` (Glorot uniform) or ``"he"`` (Kaiming normal); ``fan_out`` is the
    layer width Xavier needs. Biases start at 0.
    """

    def __init__(self, nin: int, activation: str | bool | None = None, *, nonlin: bool | None = None,
                 init: str = "uniform", fan_out: int = 1, seed: Seed = None) -> None:
        self.nin = count(nin, "Neuron(nin)")
        self.activation = check_choice(resolve_activation(activation, nonlin, "Neuron"))
        init = check_choice(init, "init", INITS)
        rng = make_rng(seed)
        self.w = [Value(_draw_weight(init, rng, self.nin, fan_out)) for _ in range(self.nin)]
        self.b = Value(0.0)
        self.label_parameters()

    def parameters(self) -> list[Value]:
        """w_1..w_n then b (the same order as ``named_parameters``, without the name walk: it runs every step)."""
        return [*self.w, self.b]

    def linear(self, x: Sequence[Value | float]) -> Value:
        """The pre-activation z = w . a + b, for an already checked input.

        >>> n = Neuron(2, seed=0); z = n.linear([1.0, 2.0]); z.op, z.inputs[0].op   # add(dot(w, a), b)
        ('add', 'dot')
        """
        return dot(self.w, x) + self.b

    def forward(self, x: Sequence[Value | float]) -> Value:
        """a = g(z), for an already checked input (``__call__`` checks it first).

        >>> Neuron(2, activation="tanh", seed=0).forward([1.0, 2.0]).op
        'tanh'
        """
        z = self.linear(x)
        return z if self.activation == "linear" else activate(self.activation, [z])[0]

    def __call__(self, x: Input) -> Value:
        return self.forward(check_input(x, self.nin))

    def config(self) -> dict[str, Any]:
        """The constructor arguments that fix the architecture (what ``save`` writes beside the parameters)."""
        return {"nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs: z = W a + b, a = g(z).

    >>> layer = Layer(3, 2, activation="tanh", seed=0); len(layer([1.0, 2.0, 3.0]))
    2

    ``activation`` may also be ``"softmax"`` (over the layer). Calling returns one Value when
    ``nout == 1``, else a list, as micrograd does.
    """

    def __init__(self, nin: int, nout: int, activation: str | bool | None = None, *, nonlin: bool | None = None,
                 init: str = "uniform", seed: Seed = None) -> None:
        self.nin = count(nin, "Layer(nin)")
        nout = count(nout, "Layer(nout)")
        activation = self.activation = check_choice(resolve_activation(activation, nonlin, "Layer"),
                                                    allowed=OUTPUT_ACTIVATIONS)
        rng = make_rng(seed)
        neuron_activation = "linear" if activation == "softmax" else activation  # softmax needs the whole layer
        self.neurons = [Neuron(nin, neuron_activation, init=init, fan_out=nout, seed=rng) for _ in range(nout)]
        self.label_parameters()

    @property
    def nout(self) -> int:
        return len(self.neurons)

    def parameters(self) -> list[Value]:
        """Every neuron's parameters in order (fast path of ``Module.parameters``)."""
        return [p for n in self.neurons for p in n.parameters()]

    def linear(self, x: Sequence[Value | float]) -> list[Value]:
        """z = W a + b for an already checked input (notes 004: z^l = W^l a^{l-1} + b^l).

        >>> [v.op for v in Layer(2, 3, seed=0).linear([1.0, 2.0])]
        ['add', 'add', 'add']
        """
        return [n.linear(x) for n in self.neurons]

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        """a = g(z) as a list (even for one neuron), for an already checked input.

        >>> len(Layer(2, 1, seed=0).forward([1.0, 2.0]))
        1
        """
        return activate(self.activation, self.linear(x))

    def __call__(self, x: Input) -> Value | list[Value]:
        out = self.forward(check_input(x, self.nin))
        return out[0] if len(out) == 1 else out

    def to_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b): W has shape (nout, nin), row j holding neuron j's weights, so z = W a + b; b has shape (nout,).

        >>> [a.shape for a in Layer(3, 2, seed=0).to_numpy()]
        [(2, 3), (2,)]
        """
        W = np.array([[w.data for w in n.w] for n in self.neurons])
        b = np.array([n.b.data for n in self.neurons])
        return W, b

    def config(self) -> dict[str, Any]:
        """The constructor arguments that fix the architecture."""
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


@dataclass
class Trace:
    """The Values of one forward pass: ``z[i]`` and ``a[i + 1]`` belong to layer i + 1; ``a[0]`` is the input.

    After ``loss.backward()``, ``z[i][k].grad`` is dL/dz_k of that layer: the notes' delta.
    """

    z: list[list[Value]]
    a: list[list[Value | float]]


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` has two ReLU layers of 16 and a linear output.

    >>> model = MLP(2, [8, 3], output_activation="softmax", seed=1)
    >>> round(sum(p.data for p in model([0.5, -0.5])), 12)
    1.0

    ``activation`` (hidden layers): linear, sigmoid, tanh, relu, leaky_relu, elu, softplus;
    ``output_activation`` also softmax. ``init``: uniform (micrograd), xavier or he. Same
    ``seed``, same weights; ``seed=None`` draws from the global ``random`` module, like micrograd.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear", init: str = "uniform", seed: Seed = None) -> None:
        self.nin = count(nin, "MLP(nin)")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or len(nouts) == 0:
            raise ValueError(f"MLP(nouts) must be a non-empty list of layer widths, got {nouts!r:.60}")
        widths = [self.nin] + [count(n, f"MLP(nouts)[{i}]") for i, n in enumerate(nouts)]
        self.activation = check_choice(activation)
        self.output_activation = check_choice(output_activation, "output_activation", OUTPUT_ACTIVATIONS)
        self.init = check_choice(init, "init", INITS)
        rng = make_rng(seed)
        last = len(widths) - 2
        self.layers = [
            Layer(widths[i], widths[i + 1], output_activation if i == last else activation, init=init, seed=rng)
            for i in range(len(widths) - 1)
        ]
        self.label_parameters()

    @property
    def nouts(self) -> list[int]:
        return [layer.nout for layer in self.layers]

    def parameters(self) -> list[Value]:
        """Every layer's parameters in order (fast path of ``Module.parameters``)."""
        return [p for layer in self.layers for p in layer.parameters()]

    def trace(self, x: Input) -> Trace:
        """The forward pass keeping every layer's z and a (for teaching views and delta checks).

        >>> t = MLP(2, [3, 1], seed=0).trace([1.0, 2.0]); [len(z) for z in t.z], len(t.a)
        ([3, 1], 3)
        """
        a = check_input(x, self.nin)
        trace = Trace(z=[], a=[a])
        for layer in self.layers:
            z = layer.linear(a)  # z^l = W^l a^{l-1} + b^l (notes 004)
            a = activate(layer.activation, z)  # a^l = g(z^l)
            trace.z.append(z)
            trace.a.append(a)
        return trace

    def __call__(self, x: Input) -> Value | list[Value]:
        a = check_input(x, self.nin)
        for layer in self.layers:
            a = layer.forward(a)
        return a[0] if len(a) == 1 else a

    def to_numpy(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer (W, b) with W of shape (n_out, n_in) and b of shape (n_out,), so z^l = W^l a^{l-1} + b^l.

        This is the n^[l] x n^[l-1] convention of notes 003/004 (note 001 stores the transpose).

        >>> [W.shape for W, b in MLP(2, [3, 1], seed=0).to_numpy()]
        [(3, 2), (1, 3)]
        """
        return [layer.to_numpy() for layer in self.layers]

    def from_numpy(self, layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> MLP:
        """Load per-layer (W, b) as ``to_numpy`` returns them; all or nothing, returns ``self``.

        >>> m = MLP(2, [3, 1], seed=0); m.from_numpy([(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), [0.5])])(
        ...     [1.0, 1.0]).data
        6.5
        """
        if not isinstance(layers, Sequence) or len(layers) != len(self.layers):
            got = f"{len(layers)}" if isinstance(layers, Sequence) else type(layers).__name__
            raise ValueError(f"from_numpy: expected a list of {len(self.layers)} (W, b) pairs, got {got}")
        checked = []
        for i, (pair, layer) in enumerate(zip(layers, self.layers)):
            if not isinstance(pair, Sequence) or len(pair) != 2:
                got = f"{len(pair)} items" if isinstance(pair, Sequence) else type(pair).__name__
                raise ValueError(f"from_numpy: layer {i} must be a (W, b) pair, got {got}")
            W = finite_array(pair[0], f"from_numpy: layer {i} W", (layer.nout, layer.nin))
            b = finite_array(pair[1], f"from_numpy: layer {i} b", (layer.nout,))
            checked.append((W, b))
        for (W, b), layer in zip(checked, self.layers):
            for row, bias, neuron in zip(W.tolist(), b.tolist(), layer.neurons):
                for w, value in zip(neuron.w, row):
                    w.data = value
                neuron.b.data = bias
        return self

    def config(self) -> dict[str, Any]:
        """The constructor arguments that fix the architecture (the seed does not: the weights are saved).

        >>> MLP(2, [3, 1], seed=0).config()["nouts"]
        [3, 1]
        """
        return {"nin": self.nin, "nouts": self.nouts, "activation": self.activation,
                "output_activation": self.output_activation, "init": self.init}

    def __repr__(self) -> str:
        return (f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, init={self.init!r})")

    def to_torch(self) -> Any:
        """This MLP as a float64 ``torch.nn.Sequential`` with the same weights (``nn.torch_bridge.to_torch``).

        >>> MLP(2, [3, 1], seed=0).to_torch()[0].weight.shape  # doctest: +SKIP
        torch.Size([3, 2])
        """
        from .torch_bridge import to_torch  # torch is optional: imported only when asked for

        return to_torch(self)

    @classmethod
    def from_torch(cls, sequential: Any, init: str = "uniform") -> MLP:
        """The MLP of a ``torch.nn.Sequential`` of Linear layers and activations (``nn.torch_bridge.from_torch``).

        >>> MLP.from_torch(MLP(2, [3, 1], seed=0).to_torch()).nouts  # doctest: +SKIP
        [3, 1]
        """
        from .torch_bridge import from_torch

        return from_torch(sequential, init=init)

"""Neurons, layers and multi-layer perceptrons, with micrograd's shape and PyTorch's names.

A neuron computes z = w . a + b (one ``dot`` node and one ``add`` node) and then a = g(z)
(notes 001: z_k = sum_j w_jk a_j + b_k, a_k = g(z_k)). ``MLP(2, [16, 16, 1])`` is micrograd's
network: ReLU hidden layers and a linear output.

Every Value a model makes is labelled with the notes' symbols, counting from 1 (``autograd_lite.symbol``
shows them as z₁^[1]): inputs ``x_j`` (one Value per input per call, shared by every neuron of the first
layer), weights ``w_jk^[l]`` (from node j of layer l-1 to node k of layer l: entry (k, j) of W^[l]),
biases ``b_k^[l]``, the weighted sums ``Σ_j w_jk^[l] a_j^[l-1]``, pre-activations ``z_k^[l]``,
activations ``a_k^[l]`` and the output ``yhat_k`` (ŷ = a^[L]). ``named_parameters`` keeps PyTorch's
dotted names (``layers.0.neurons.1.w.0``) for ``state_dict``.

    >>> from nn import MLP
    >>> model = MLP(2, [4, 1], seed=0); out = model([1.0, -2.0]); out.label, out.inputs[0].label
    ('yhat_1', 'Σ_j w_j1^[2] a_j^[1]')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_lite import Value, dot, matvec, notation_label

from .activations import OUTPUT_ACTIVATIONS, activate, check_choice
from .checks import count, finite_array
from .layer_setup import (
    INITS,
    Input,
    Seed,
    as_inputs,
    check_input,
    draw_weight,
    input_labels,
    make_rng,
    owner_name,
    resolve_activation,
)
from .module import Module

__all__ = ["INITS", "MLP", "Layer", "Neuron", "Trace", "check_input", "make_rng"]


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
        self.w = [Value(draw_weight(init, rng, self.nin, fan_out)) for _ in range(self.nin)]
        self.b = Value(0.0)
        self.name_nodes()

    def name_nodes(self, k: int | None = None, layer: int | None = None, output: bool = False) -> None:
        """Label the weights and bias with the notes' symbols, and fix the labels each call gives its nodes.

        ``k``: this neuron's number in its layer (from 1), ``layer``: the layer's (from 1), ``output``: the
        layer is the model's last, so a = ŷ. Unknown ones are left out: a neuron on its own has ``w_j``, ``z``.

        >>> n = Neuron(2, seed=0); n.name_nodes(3, 2); [p.label for p in n.parameters()]
        ['w_13^[2]', 'w_23^[2]', 'b_3^[2]']
        """
        own = () if k is None else (k,)
        for j, w in enumerate(self.w, 1):
            w.label = notation_label("w", j, *own, layer=layer)
        self.b.label = notation_label("b", *own, layer=layer)
        self.input_names = input_labels(self.nin, layer)
        self.owner_name = owner_name(layer, k)  # what a wrong-sized input's error calls this neuron
        source = "x_j" if layer is None or layer == 1 else notation_label("a", "j", layer=layer - 1)
        self.sum_name = f"Σ_j {notation_label('w', 'j', *own, layer=layer)} {source}"  # z_k - b_k (notes 001)
        self.z_name = notation_label("z", *own, layer=layer)
        a_name = notation_label("yhat", *own) if output else notation_label("a", *own, layer=layer)
        self.a_name = a_name if output or self.activation != "linear" else self.z_name  # linear: a = z
    def parameters(self) -> list[Value]:
        """w_1..w_n then b (the same order as ``named_parameters``, without the name walk: it runs every step)."""
        return [*self.w, self.b]

    def linear(self, x: Sequence[Value | float]) -> Value:
        """The pre-activation z = w . a + b, for an already checked input.

        >>> n = Neuron(2, seed=0); z = n.linear([1.0, 2.0]); z.op, z.inputs[0].op   # add(dot(w, a), b)
        ('add', 'dot')
        """
        return self.add_bias(dot(self.w, x))

    def add_bias(self, weighted: Value) -> Value:
        """z = (w . a) + b from this neuron's ``weighted`` sum node, both nodes named as the notes do.

        >>> n = Neuron(2, seed=0); n.add_bias(dot(n.w, [1.0, 2.0])).label
        'z'
        """
        weighted.label = self.sum_name
        z = weighted + self.b  # z_k = sum_j w_jk a_j + b_k (notes 001)
        z.label = self.z_name
        return z

    def forward(self, x: Sequence[Value | float]) -> Value:
        """a = g(z), for an already checked input (``__call__`` checks it first).

        >>> Neuron(2, activation="tanh", seed=0).forward([1.0, 2.0]).op
        'tanh'
        """
        z = self.linear(x)
        a = z if self.activation == "linear" else activate(self.activation, [z])[0]  # a_k = g(z_k)
        a.label = self.a_name
        return a

    def __call__(self, x: Input) -> Value:
        return self.forward(as_inputs(check_input(x, self.nin, self.owner_name), self.input_names))

    def config(self) -> dict[str, Any]:
        """The constructor arguments that fix the architecture (what ``save`` writes beside the parameters)."""
        return {"nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


_PLAIN_NEURON = {Neuron}


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
        self.name_nodes()

    def name_nodes(self, layer: int | None = None, output: bool = False) -> None:
        """Label the layer's parameters and fix its nodes' labels (``Neuron.name_nodes``); ``layer`` counts
        from 1, ``output``: the model's last layer, whose a is ŷ.

        >>> layer = Layer(2, 3, seed=0); layer.name_nodes(2); layer.neurons[2].w[0].label
        'w_13^[2]'
        """
        softmax = self.activation == "softmax"
        for k, neuron in enumerate(self.neurons, 1):
            neuron.name_nodes(k, layer, output and not softmax)  # softmax's a is the layer's: named below
        self.input_names = input_labels(self.nin, layer)
        self.owner_name = "Layer" if layer is None else owner_name(layer)  # "MLP layer 2": as the pictures count
        self.a_names = [notation_label("yhat", k) if output else notation_label("a", k, layer=layer)
                        for k in range(1, self.nout + 1)] if softmax else [n.a_name for n in self.neurons]
        self.softmax_names = (f"logsumexp({notation_label('z', layer=layer)})",
                              [f"log {name}" for name in self.a_names]) if softmax else None
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
        neurons = self.neurons
        if set(map(type, neurons)) != _PLAIN_NEURON:  # a Neuron subclass may compute z its own way: ask each
            return [n.linear(x) for n in neurons]
        return list(map(Neuron.add_bias, neurons, matvec([n.w for n in neurons], x)))  # one x for every row of W

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        """a = g(z) as a list (even for one neuron), for an already checked input.

        >>> len(Layer(2, 1, seed=0).forward([1.0, 2.0]))
        1
        """
        return self.activate(self.linear(x))

    def activate(self, z: list[Value]) -> list[Value]:
        """a = g(z) for this layer's pre-activations, each node named (a_k^[l], or ŷ_k in the output layer).

        >>> layer = Layer(2, 2, activation="tanh", seed=0); [v.label for v in layer.activate(layer.linear([1, 2]))]
        ['a_1', 'a_2']
        """
        a = activate(self.activation, z)  # a^l = g(z^l)
        for node, name in zip(a, self.a_names):
            node.label = name
        if self.softmax_names is not None and a[0].inputs:  # a_k = exp(z_k - logsumexp(z)) (not under no_grad)
            lse_name, log_names = self.softmax_names
            for node, name in zip(a, log_names):
                node.inputs[0].label = name
            a[0].inputs[0].inputs[1].label = lse_name
        return a

    def __call__(self, x: Input) -> Value | list[Value]:
        out = self.forward(as_inputs(check_input(x, self.nin, self.owner_name), self.input_names))
        return out[0] if len(out) == 1 else out

    def to_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b): W has shape (nout, nin), row k holding neuron k's weights (W[k-1, j-1] is w_jk), so z = W a + b.

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
    """The Values of one forward pass: ``z[i]`` and ``a[i + 1]`` belong to layer i + 1; ``a[0]`` is the input,
    the Values ``x_j`` every first-layer neuron reads.

    After ``loss.backward()``, ``z[i][k].grad`` is dL/dz_k of that layer: the notes' delta, and ``a[0][j].grad`` is
    dL/dx_j = ((W^[1])^T delta^[1])_j, the sum over the neurons x_j feeds (note 001, eq. 21c's sum).
    """

    z: list[list[Value]]
    a: list[list[Value]]


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
        for number, layer in enumerate(self.layers, 1):  # the notes count layers from 1
            layer.name_nodes(number, output=number == len(self.layers))

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
        a = as_inputs(check_input(x, self.nin, self.layers[0].owner_name), self.layers[0].input_names)
        trace = Trace(z=[], a=[a])
        for layer in self.layers:
            z = layer.linear(a)  # z^l = W^l a^{l-1} + b^l (notes 004)
            a = layer.activate(z)  # a^l = g(z^l)
            trace.z.append(z)
            trace.a.append(a)
        return trace

    def __call__(self, x: Input) -> Value | list[Value]:
        a = as_inputs(check_input(x, self.nin, self.layers[0].owner_name), self.layers[0].input_names)
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
        for i, (pair, layer) in enumerate(zip(layers, self.layers), 1):  # layers count from 1, as in the notes
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

"""What building and calling a layer needs: random sources, activations and weight inits by name, input
checks, and the labels in the notes' notation (``autograd_lite.symbol`` shows them as z₁^[1]).

    >>> notation_label("w", 2, 1, layer=1), input_labels(2, 2)
    ('w_21^[1]', ['a_1^[1]', 'a_2^[1]'])
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd_lite import Value, notation_label

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


def input_labels(nin: int, layer: int | None) -> list[str]:
    """The labels of a layer's inputs: ``x_j`` for the first layer (or a layer on its own), else ``a_j^[l-1]``.

    >>> input_labels(2, None), input_labels(2, 3)
    (['x_1', 'x_2'], ['a_1^[2]', 'a_2^[2]'])
    """
    if layer is None or layer == 1:
        return [notation_label("x", j) for j in range(1, nin + 1)]
    return [notation_label("a", j, layer=layer - 1) for j in range(1, nin + 1)]


def as_inputs(x: list, input_names: list[str]) -> list[Value]:
    """The checked input as Values, made ONCE per call so every neuron reads the same node ``x_j``; a number
    becomes a Value labelled ``x_j``, an unlabelled Value is given that label, a labelled one keeps its own.

    >>> [v.label for v in as_inputs([1.0, Value(2.0, label="u")], ["x_1", "x_2"])]
    ['x_1', 'u']
    """
    out = []
    for v, label in zip(x, input_names):
        if isinstance(v, Value):
            if not v.label:
                v.label = label
            out.append(v)
        else:
            out.append(Value(v, label=label))
    return out


def draw_weight(init: str, rng: Any, fan_in: int, fan_out: int) -> float:
    if init == "uniform":  # micrograd: U(-1, 1)
        return rng.uniform(-1.0, 1.0)
    if init == "xavier":  # Glorot & Bengio 2010, uniform: U(-r, r), r = sqrt(6 / (fan_in + fan_out))
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound)
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))  # he (Kaiming normal): N(0, 2 / fan_in)


def check_input(x: Any, nin: int, who: str = "the model") -> list:
    """``x`` as a list of ``nin`` Values / finite floats, or a ValueError naming ``who`` got it (``"MLP layer 2"``,
    as ``owner_name`` writes it), what was expected and what came.

    >>> check_input(np.array([1.0, 2.0]), 2)
    [1.0, 2.0]
    >>> check_input([1.0, 2.0, 3.0], 16, "MLP layer 2")
    Traceback (most recent call last):
    ValueError: MLP layer 2 expects 16 inputs, got 3
    """
    expected = f"a list, tuple or 1-D numpy array of {nin} numbers or Values"
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{who}: expected {expected}, got a numpy array of shape {x.shape}")
        if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            raise ValueError(f"{who}: expected {expected}, got a numpy array of dtype {x.dtype}")
        x = x.tolist()
    elif not isinstance(x, (list, tuple)):
        raise ValueError(f"{who}: expected {expected}, got {type(x).__name__}: {x!r:.60}")
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(x)}")
    out = list(x)
    for i, v in enumerate(out):
        if isinstance(v, Value):
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(f"{who} input[{i}]: expected a number or a Value, got {type(v).__name__}: {v!r:.60}")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{who} input[{i}]: expected a finite number, got {v}")
        out[i] = v
    return out


def owner_name(layer: int | None = None, neuron: int | None = None) -> str:
    """What an input-size error calls a module: its layer in the MLP counted from 1, as the pictures count.

    >>> owner_name(), owner_name(2), owner_name(2, 1), owner_name(None, 3)
    ('Neuron', 'MLP layer 2', 'MLP layer 2, neuron 1', 'Layer, neuron 3')
    """
    if layer is None:
        return "Neuron" if neuron is None else f"Layer, neuron {neuron}"
    return f"MLP layer {layer}" if neuron is None else f"MLP layer {layer}, neuron {neuron}"



"""The activation functions g of the notes (a = g(z)), by name, applied to lists of Values.

Each elementwise activation is an op of the engine's table (``autograd_lite.OPS``), so its
forward and derivative g' live there and nowhere else; ``softmax`` is the layer-wide output
activation s(z)_k = e^{z_k} / sum_i e^{z_i} (notes 001), built from ``logsumexp``.

    >>> from autograd_lite import Value
    >>> [round(v.data, 3) for v in activate("softmax", [Value(0.0), Value(0.0)])]
    [0.5, 0.5]
"""

from __future__ import annotations

from autograd_lite import Value, logsumexp

# Names an MLP accepts for hidden layers; each (but "linear") is an op in autograd_lite.OPS.
ACTIVATIONS: tuple[str, ...] = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus")
OUTPUT_ACTIVATIONS: tuple[str, ...] = (*ACTIVATIONS, "softmax")

# The op constant each parametrised activation uses (PyTorch's defaults); one place for engine and reference.
ACTIVATION_PARAMS: dict[str, float] = {"leaky_relu": 0.01, "elu": 1.0}


def check_choice(name: object, what: str = "activation", allowed: tuple[str, ...] = ACTIVATIONS) -> str:
    """Return ``name`` if it is one of ``allowed``, else raise a ValueError listing them.

    >>> check_choice("tanh")
    'tanh'
    """
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {name!r}")
    return name


def activate(name: str, z: list[Value]) -> list[Value]:
    """a = g(z) for a layer's pre-activations ``z`` (elementwise, or softmax over the layer).

    >>> [v.data for v in activate("relu", [Value(-1.0), Value(2.0)])]
    [0.0, 2.0]
    """
    if name == "linear":
        return list(z)
    if name == "softmax":
        return softmax(z)
    method = getattr(Value, name)
    if name in ACTIVATION_PARAMS:
        p = ACTIVATION_PARAMS[name]
        return [method(v, p) for v in z]
    return [method(v) for v in z]


def softmax(z: list[Value]) -> list[Value]:
    """s(z)_k = exp(z_k - log sum_i exp(z_i)): the notes' shift-and-log trick, stable for any z.

    >>> [round(v.data, 4) for v in softmax([Value(1000.0), Value(0.0)])]
    [1.0, 0.0]
    """
    lse = logsumexp(z)
    return [(zk - lse).exp() for zk in z]

"""To PyTorch and back: an ``MLP`` as a ``torch.nn.Sequential`` of float64 ``Linear`` layers and activations.

``to_torch(model)`` gives a Sequential whose outputs and gradients equal the engine's (to 1e-12), so a model
trained here can move on to PyTorch; ``from_torch(sequential)`` builds the MLP back. torch is optional
(``pip install torch==2.13.0`` gives the CPU build); without it both raise an ImportError that says so.

Layer l's ``Linear.weight`` is W^[l], n_l x n_{l-1}: the convention of notes 003/004 and of ``MLP.to_numpy``.

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    >>> nn.MLP.from_torch(model.to_torch()).to_numpy()[0][0].shape  # doctest: +SKIP
    (3, 2)
"""

from __future__ import annotations

import math
from typing import Any

from .activations import ACTIVATION_PARAMS
from .layers import MLP

# Softplus(beta=1) switches to the identity above ``threshold``; at 40 the switch is exact to 4e-18, where
# PyTorch's default 20 is off by 2e-9 (our softplus is exact: log(1 + e^x) for every x).
SOFTPLUS_THRESHOLD = 40.0


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch/from_torch need PyTorch: pip install torch==2.13.0 (the CPU build)") from None
    return torch


def _module(name: str) -> Any:
    """The torch module for one of our activation names (None for linear)."""
    torch = _torch()
    return {
        "linear": None,
        "sigmoid": torch.nn.Sigmoid(),
        "tanh": torch.nn.Tanh(),
        "relu": torch.nn.ReLU(),
        "leaky_relu": torch.nn.LeakyReLU(ACTIVATION_PARAMS["leaky_relu"]),
        "elu": torch.nn.ELU(ACTIVATION_PARAMS["elu"]),
        "softplus": torch.nn.Softplus(beta=1.0, threshold=SOFTPLUS_THRESHOLD),
        "softmax": torch.nn.Softmax(dim=-1),
    }[name]


def to_torch(model: MLP) -> Any:
    """``model`` as a float64 ``torch.nn.Sequential`` (Linear, activation, Linear, ...) with the same weights.

    >>> import nn; seq = nn.MLP(2, [3, 1], seed=0).to_torch(); [type(m).__name__ for m in seq]  # doctest: +SKIP
    ['Linear', 'ReLU', 'Linear']
    """
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch: expected an nn.MLP, got {type(model).__name__}")
    torch = _torch()
    modules = []
    for layer, (W, b) in zip(model.layers, model.to_numpy()):
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        activation = _module(layer.activation)
        if activation is not None:
            modules.append(activation)
    return torch.nn.Sequential(*modules)


def from_torch(sequential: Any, init: str = "uniform") -> MLP:
    """The MLP of a ``torch.nn.Sequential`` of ``Linear`` layers (with bias) and supported activations, one
    activation for every hidden layer and any one (or softmax) after the last; a ValueError naming the first
    module that does not fit.

    >>> import nn; nn.MLP.from_torch(nn.MLP(2, [3, 1], seed=0).to_torch()).nouts  # doctest: +SKIP
    [3, 1]
    """
    torch = _torch()
    if not isinstance(sequential, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(sequential).__name__}")
    layers: list[tuple[Any, str]] = []  # (Linear, the activation after it)
    for index, module in enumerate(sequential):
        where = f"module {index} ({type(module).__name__})"
        if isinstance(module, torch.nn.Linear):
            if module.bias is None:
                raise ValueError(f"from_torch: {where} has no bias; an MLP neuron always has one (z = W a + b)")
            layers.append((module, "linear"))
        elif isinstance(module, torch.nn.Identity):
            continue
        else:
            name = _name_of(module, where)
            if not layers or layers[-1][1] != "linear":
                raise ValueError(f"from_torch: {where} does not follow a Linear layer: an MLP has one activation "
                                 "after each layer")
            layers[-1] = (layers[-1][0], name)
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    hidden = {name for _, name in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"from_torch: the hidden layers use different activations ({', '.join(sorted(hidden))}); "
                         "an MLP uses one for all of them")
    if "softmax" in hidden:
        raise ValueError("from_torch: softmax only after the last layer")
    nin = layers[0][0].in_features
    widths = [nin]
    for k, (linear, _) in enumerate(layers):
        if linear.in_features != widths[-1]:
            raise ValueError(f"from_torch: Linear layer {k + 1} takes {linear.in_features} inputs, "
                             f"but the layer before gives {widths[-1]}")
        widths.append(linear.out_features)
    model = MLP(nin, widths[1:], activation=hidden.pop() if hidden else "relu", output_activation=layers[-1][1],
                init=init, seed=0)
    weights = [(linear.weight.detach().to("cpu", torch.float64).numpy(),
                linear.bias.detach().to("cpu", torch.float64).numpy()) for linear, _ in layers]
    return model.from_numpy(weights)  # checks shapes and that every number is finite


def _name_of(module: Any, where: str) -> str:
    """Our activation name for a torch activation module, refusing parameters we do not have."""
    torch = _torch()
    simple = {torch.nn.Sigmoid: "sigmoid", torch.nn.Tanh: "tanh", torch.nn.ReLU: "relu"}
    for kind, name in simple.items():
        if type(module) is kind:
            return name
    if type(module) is torch.nn.LeakyReLU:
        _same(module.negative_slope, ACTIVATION_PARAMS["leaky_relu"], where, "negative_slope")
        return "leaky_relu"
    if type(module) is torch.nn.ELU:
        _same(module.alpha, ACTIVATION_PARAMS["elu"], where, "alpha")
        return "elu"
    if type(module) is torch.nn.Softplus:
        _same(module.beta, 1.0, where, "beta")
        if module.threshold < 20:
            raise ValueError(f"from_torch: {where} has threshold={module.threshold}; below 20 it is not softplus")
        return "softplus"
    if type(module) is torch.nn.Softmax:
        if module.dim not in (-1, 1, None):
            raise ValueError(f"from_torch: {where} has dim={module.dim}; an MLP's softmax is over the outputs (-1)")
        return "softmax"
    supported = "Linear, Identity, Sigmoid, Tanh, ReLU, LeakyReLU(0.01), ELU(1.0), Softplus(beta=1), Softmax(-1)"
    raise ValueError(f"from_torch: {where} is not supported; an MLP is made of {supported}")


def _same(got: float, want: float, where: str, name: str) -> None:
    if not math.isclose(float(got), want, rel_tol=0, abs_tol=1e-15):
        raise ValueError(f"from_torch: {where} has {name}={got}; the MLP's is {want}")

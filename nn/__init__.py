"""nn: neurons, layers and MLPs on autograd-lite Values, with PyTorch's names and micrograd's shape.

    >>> import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=0); len(model.parameters())
    337

Models: ``Module``, ``Neuron``, ``Layer``, ``MLP`` (``to_numpy`` gives per-layer W of shape
(n_out, n_in) and b, so z = W a + b). Losses: ``mse_loss``, ``half_squared_error`` (the notes'
1/2 ||t - y||^2), ``binary_cross_entropy`` (and ``_with_logits``), ``cross_entropy``, ``hinge_loss``.
Optimizers: ``SGD``, ``Adam``. Training: ``fit``, ``evaluate``, ``predict``, ``train_step``;
``fit(record=True)`` (or ``record=Recorder(...)``) keeps snapshots for ``history.player(path)``, the training player.
Files: ``save`` / ``load`` (JSON, no pickle).
Data: ``nn.datasets``. The notes' closed-form backpropagation in numpy: ``nn.reference``; a
model's engine gradients beside it, layer by layer: ``explain_layers`` (``LayerView``).
Pictures: ``nn.plot.plot_decision_boundary`` (needs matplotlib). Practice: ``quiz`` (a page where the student fills
in delta^[l] and dC/dW^[l] of a small network, checked on the spot).
"""

from . import datasets, plot, reference
from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from .layer_view import LayerCheck, LayerView, explain_layers
from .layers import MLP, Layer, Neuron, Trace
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    half_squared_error,
    hinge_loss,
    mse_loss,
)
from .module import Module
from .network_quiz import quiz
from .optim import SGD, Adam, Optimizer
from .recording import Recorder
from .serialization import load, save
from .train import History, evaluate, fit, predict, train_step

__all__ = [
    "ACTIVATIONS", "MLP", "OUTPUT_ACTIVATIONS", "SGD", "Adam", "History", "Layer", "LayerCheck", "LayerView", "Module",
    "Neuron", "Optimizer", "Recorder", "Trace", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy",
    "datasets", "evaluate", "explain_layers", "fit", "half_squared_error", "hinge_loss", "load", "mse_loss", "plot",
    "predict", "quiz", "reference", "save", "train_step",
]

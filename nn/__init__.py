"""nn: neurons, layers and MLPs on autograd-lite Values, with PyTorch's names and micrograd's shape.

    >>> import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=0); len(model.parameters())
    337

Models: ``Module``, ``Neuron``, ``Layer``, ``MLP``. Data: ``nn.datasets``. The notes'
closed-form backpropagation in numpy: ``nn.reference``.
"""

from . import datasets
from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from .layers import MLP, Layer, Neuron, Trace
from .module import Module

__all__ = ["ACTIVATIONS", "MLP", "OUTPUT_ACTIVATIONS", "Layer", "Module", "Neuron", "Trace", "datasets"]

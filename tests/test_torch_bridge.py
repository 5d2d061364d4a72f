"""nn.MLP.to_torch / from_torch: same weights, outputs and gradients as the engine to 1e-12 (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn import torch_bridge

torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install torch==2.13.0")

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]


def engine_output_and_grads(model, x):
    out = model(list(x))
    outs = out if isinstance(out, list) else [out]
    total = sum((k + 1) * o for k, o in enumerate(outs))  # a loss that weighs each output differently
    model.zero_grad()
    total.backward()
    return np.array([o.data for o in outs]), [(np.array([[w.grad for w in n.w] for n in layer.neurons]),
                                               np.array([n.b.grad for n in layer.neurons])) for layer in model.layers]


def torch_output_and_grads(seq, x):
    out = seq(torch.tensor(x, dtype=torch.float64))
    seq.zero_grad()
    (out * torch.arange(1, out.shape[-1] + 1, dtype=torch.float64)).sum().backward()
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    return out.detach().numpy(), [(m.weight.grad.numpy(), m.bias.grad.numpy()) for m in linears]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", ["linear", "sigmoid", "softmax"])
def test_outputs_and_gradients_equal_the_engine(activation, output):
    model = nn.MLP(3, [4, 5, 2], activation=activation, output_activation=output, seed=3)
    seq = model.to_torch()
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    for x in ([0.3, -1.2, 2.0], [25.0, -30.0, 41.0]):  # the second passes softplus' switch to the identity
        mine, my_grads = engine_output_and_grads(model, x)
        theirs, their_grads = torch_output_and_grads(seq, x)
        np.testing.assert_allclose(theirs, mine, rtol=0, atol=1e-12)
        for (gW, gb), (tW, tb) in zip(my_grads, their_grads):
            np.testing.assert_allclose(tW, gW, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(tb, gb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_round_trip_keeps_architecture_and_weights(activation):
    model = nn.MLP(2, [3, 3, 1], activation=activation, output_activation="tanh", seed=1)
    back = nn.MLP.from_torch(model.to_torch())
    assert back.config() == model.config()
    for (W, b), (W2, b2) in zip(model.to_numpy(), back.to_numpy()):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)


def test_a_sequential_written_in_pytorch_comes_over():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3), torch.nn.Softmax(dim=1))
    model = nn.MLP.from_torch(seq)  # float32 weights become float64
    assert (model.activation, model.output_activation, model.nouts) == ("tanh", "softmax", [8, 3])
    x = [0.5, -0.25]
    expected = seq(torch.tensor([x])).detach().double().numpy()[0]
    np.testing.assert_allclose([v.data for v in model(x)], expected, atol=1e-6)  # float32 arithmetic on their side


@pytest.mark.parametrize("modules, message", [
    (lambda: [torch.nn.Linear(2, 3, bias=False)], "no bias"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Dropout()], "Dropout.*not supported"),
    (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 3)], "does not follow a Linear"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()], "does not follow a Linear"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)],
     "different activations"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], "takes 4 inputs"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2), torch.nn.Linear(3, 1)], "negative_slope=0.2"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Softmax(dim=0)], "dim=0"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Softmax(dim=-1), torch.nn.Linear(3, 1)], "softmax only after"),
    (lambda: [], "no Linear layer"),
])
def test_what_is_not_an_mlp_is_refused_by_name(modules, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP.from_torch(torch.nn.Sequential(*modules()))


def test_not_finite_weights_and_wrong_types_are_refused():
    seq = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        seq[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        nn.MLP.from_torch(seq)
    with pytest.raises(TypeError, match="Sequential"):
        nn.MLP.from_torch(torch.nn.Linear(2, 1))
    with pytest.raises(TypeError, match="nn.MLP"):
        torch_bridge.to_torch(nn.Layer(2, 1))

"""Neuron, Layer, MLP and Module: micrograd's shape, PyTorch's names, input checking, seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest

import nn
from autograd_lite import Value, explain, symbol


def test_micrograd_shape_and_output_types():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Layer"] * 3
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert len(model.layers[0].neurons) == 16 and len(model.layers[0].neurons[0].w) == 2
    assert isinstance(model.layers[0].neurons[0].b, Value)
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + 17
    assert isinstance(model([1.0, 2.0]), Value)
    out = nn.MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_same_weights_and_outputs_as_micrograd_after_random_seed():
    MicroValue = pytest.importorskip("micrograd.engine").Value
    MicroMLP = pytest.importorskip("micrograd.nn").MLP

    random.seed(1337)
    theirs = MicroMLP(2, [16, 16, 1])
    random.seed(1337)
    ours = nn.MLP(2, [16, 16, 1])
    assert [p.data for p in theirs.parameters()] == [p.data for p in ours.parameters()]
    x = [0.25, -1.5]
    y_theirs = theirs([MicroValue(v) for v in x])
    y_ours = ours([Value(v) for v in x])
    assert y_ours.data == pytest.approx(y_theirs.data, rel=1e-12)
    y_theirs.backward()
    y_ours.backward()
    for p, q in zip(theirs.parameters(), ours.parameters()):
        assert q.grad == pytest.approx(p.grad, rel=1e-12, abs=1e-15)


def test_micrograd_training_step_runs_unchanged():
    # micrograd's demo loop: list of Values in, SVM loss, L2, manual SGD on p.data
    model = nn.MLP(2, [8, 8, 1], seed=3)
    X, y = nn.datasets.make_moons(20, noise=0.1, seed=0)
    y = y * 2 - 1
    losses = []
    for _ in range(5):
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * s).relu() for yi, s in zip(y.tolist(), scores)) * (1.0 / len(y))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        losses.append(loss.data)
    assert losses[-1] < losses[0]


def test_width_one_hidden_layer_works():
    model = nn.MLP(3, [1, 1, 2], activation="tanh", seed=0)
    out = model([1.0, 2.0, 3.0])
    assert len(out) == 2
    (out[0] + out[1]).backward()
    assert any(p.grad != 0.0 for p in model.layers[0].parameters())


def test_neuron_is_dot_plus_bias_then_activation():
    n = nn.Neuron(3, activation="tanh", seed=0)
    x = [0.5, -1.0, 2.0]
    out = n(x)
    assert out.op == "tanh"
    z = out.inputs[0]
    assert z.op == "add" and z.inputs[0].op == "dot" and z.inputs[1] is n.b
    expected = np.tanh(sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data)
    assert out.data == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_every_hidden_activation_applies_its_op(activation):
    layer = nn.Layer(2, 3, activation=activation, seed=1)
    for neuron, out in zip(layer.neurons, layer([0.3, -0.8])):
        if activation == "linear":
            assert out.op == "add"
        else:
            assert out.op == activation
            assert out.inputs[0].data == pytest.approx(neuron.linear([0.3, -0.8]).data, rel=1e-15)


def test_softmax_output_sums_to_one_and_is_stable():
    model = nn.MLP(2, [3], output_activation="softmax", seed=0)
    model.from_numpy([(np.array([[1000.0, 0.0], [-1000.0, 0.0], [0.0, 0.0]]), np.zeros(3))])
    p = model([1.0, 0.0])
    assert [v.data for v in p] == pytest.approx([1.0, 0.0, 0.0])
    assert sum(v.data for v in p) == pytest.approx(1.0)


def test_named_parameters_are_dotted_and_stable():
    model = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
                         "layers.0.neurons.1.w.0"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == len(model.parameters())
    assert [p for _, p in model.named_parameters()] == model.parameters()
    for module in (model.layers[0], model.layers[0].neurons[1]):  # the fast parameters() agree with the walk
        assert [p for _, p in module.named_parameters()] == module.parameters()
    assert model.layers[1].neurons[0].w[2].label == "w_31^[2]"  # labels: the notes' symbols, 1-based


@pytest.mark.parametrize("make", [lambda: nn.Neuron(2, seed=0), lambda: nn.Layer(2, 3, seed=0),
                                  lambda: nn.MLP(2, [3, 1], seed=0)], ids=["Neuron", "Layer", "MLP"])
def test_every_model_labels_its_parameters_so_pictures_name_them(make):
    model = make()
    # the notes' symbols: w_jk^[l] from node j of layer l-1 to node k of layer l (note 001), 1-based;
    # what is unknown (the layer of a lone Layer, the k of a lone Neuron) is left out
    expected = {"Neuron": ["w_1", "w_2", "b"],
                "Layer": ["w_11", "w_21", "b_1", "w_12", "w_22", "b_2", "w_13", "w_23", "b_3"],
                "MLP": ["w_11^[1]", "w_21^[1]", "b_1^[1]", "w_12^[1]", "w_22^[1]", "b_2^[1]", "w_13^[1]", "w_23^[1]",
                        "b_3^[1]", "w_11^[2]", "w_21^[2]", "w_31^[2]", "b_1^[2]"]}[type(model).__name__]
    assert [p.label for p in model.parameters()] == expected
    assert [name for name, _ in model.named_parameters()][0].endswith("w.0")  # state_dict names stay dotted
    # a standalone neuron's explanation names its weights, bias and inputs, not their numbers
    first = {"Neuron": lambda m: m, "Layer": lambda m: m.neurons[0], "MLP": lambda m: m.layers[0].neurons[0]}
    out = first[type(model).__name__](model)([1.0, -2.0])
    forward = explain(out).to_text().split("Backward")[0]
    w1, w2 = (symbol(p.label) for p in model.parameters()[:2])
    assert f"dot({w1}, {w2}, {symbol('x_1')}, {symbol('x_2')})" in forward


def test_zero_grad_clears_every_gradient():
    model = nn.MLP(2, [4, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("init", ["uniform", "xavier", "he"])
def test_same_seed_same_weights_and_init_scales(init):
    a = nn.MLP(50, [40, 1], init=init, seed=7)
    b = nn.MLP(50, [40, 1], init=init, seed=7)
    c = nn.MLP(50, [40, 1], init=init, seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    W = a.to_numpy()[0][0]
    assert np.all(a.to_numpy()[0][1] == 0.0)
    if init == "uniform":
        assert np.abs(W).max() <= 1.0 and W.std() == pytest.approx(1 / np.sqrt(3), rel=0.1)
    elif init == "xavier":
        bound = np.sqrt(6 / (50 + 40))
        assert np.abs(W).max() <= bound and W.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    else:
        assert W.std() == pytest.approx(np.sqrt(2 / 50), rel=0.1)


def test_to_numpy_shape_convention_and_round_trip():
    model = nn.MLP(3, [4, 2], seed=0)
    layers = model.to_numpy()
    assert [(W.shape, b.shape) for W, b in layers] == [((4, 3), (4,)), ((2, 4), (2,))]
    assert layers[0][0][1, 2] == model.layers[0].neurons[1].w[2].data  # row = neuron, column = input
    x = np.array([0.1, -0.2, 0.3])
    a = x
    for i, (W, b) in enumerate(layers):
        z = W @ a + b  # z = W a + b
        a = np.maximum(z, 0) if i == 0 else z
    assert [v.data for v in model(x)] == pytest.approx(a.tolist(), rel=1e-13)
    other = nn.MLP(3, [4, 2], seed=1).from_numpy(layers)
    assert other.state_dict() == model.state_dict()


@pytest.mark.parametrize("bad, message", [
    ([(np.zeros((4, 3)), np.zeros(4))], "expected a list of 2 (W, b) pairs, got 1"),
    (None, "expected a list of 2 (W, b) pairs, got NoneType"),
    ([1, 2], "layer 1 must be a (W, b) pair, got int"),
    ([(np.zeros((4, 3)), np.zeros(4), 0), (np.zeros((2, 4)), np.zeros(2))], "layer 1 must be a (W, b) pair, got 3 items"),
    ([(np.zeros((3, 4)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))], "layer 1 W must have shape (4, 3)"),
    ([(np.zeros((4, 3)), np.zeros(4)), (np.zeros((2, 4)), np.array([0.0, np.nan]))], "layer 2 b must be finite"),
])
def test_from_numpy_rejects_bad_arrays_and_changes_nothing(bad, message):
    model = nn.MLP(3, [4, 2], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model.from_numpy(bad)
    assert model.state_dict() == before


@pytest.mark.parametrize("x, message", [
    ([1.0], "expects 2 inputs, got 1"),
    ([1.0, 2.0, 3.0], "expects 2 inputs, got 3"),
    ([1.0, "2"], r"input\[1\]: expected a number or a Value, got str"),
    ([1.0, float("nan")], r"input\[1\]: expected a finite number, got nan"),
    ([float("inf"), 1.0], r"input\[0\]: expected a finite number, got inf"),
    (np.zeros((2, 1)), r"shape \(2, 1\)"),
    (np.array(["a", "b"]), "dtype"),
    ({1, 2}, "got set"),
    (3.0, "got float"),
])
def test_bad_input_raises_value_error_saying_what_came(x, message):
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=message):
        model(x)
    with pytest.raises(ValueError, match=message):
        model.layers[0](x)
    with pytest.raises(ValueError, match=message):
        model.layers[0].neurons[0](x)


@pytest.mark.parametrize("call, message", [
    (lambda m: m([1.0, 2.0, 3.0]), "MLP layer 1 expects 2 inputs, got 3"),
    (lambda m: m.trace([1.0]), "MLP layer 1 expects 2 inputs, got 1"),
    (lambda m: m.layers[1]([1.0, 2.0, 3.0]), "MLP layer 2 expects 16 inputs, got 3"),
    (lambda m: m.layers[2](np.zeros(15)), "MLP layer 3 expects 16 inputs, got 15"),
    (lambda m: m.layers[1].neurons[4]([1.0]), "MLP layer 2, neuron 5 expects 16 inputs, got 1"),
    (lambda m: m.layers[1]("abc"), "MLP layer 2: expected a list, tuple or 1-D numpy array of 16 numbers"),
    (lambda m: m.layers[2]([0.0] * 15 + [float("nan")]), r"MLP layer 3 input\[15\]: expected a finite number, got nan"),
])
def test_a_wrong_input_names_the_layer_counted_from_1_and_the_sizes(call, message):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    with pytest.raises(ValueError) as caught:
        call(model)
    assert str(caught.value).startswith(message.replace("\\", ""))


def test_a_layer_or_neuron_on_its_own_says_what_it_is(tmp_path):
    layer = nn.Layer(3, 2, seed=0)
    for call, message in [(lambda: layer([1.0]), "Layer expects 3 inputs, got 1"),
                          (lambda: layer.neurons[1]([1.0]), "Layer, neuron 2 expects 3 inputs, got 1"),
                          (lambda: nn.Neuron(4, seed=0)([1.0, 2.0]), "Neuron expects 4 inputs, got 2")]:
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == message
    # a model loaded from a file names its layers too, and the right size still works
    nn.MLP(3, [5, 2], seed=1).save(tmp_path / "m.json")
    model = nn.load(tmp_path / "m.json")
    with pytest.raises(ValueError, match="^MLP layer 2 expects 5 inputs, got 3$"):
        model.layers[1]([1.0, 2.0, 3.0])
    assert [v.data for v in model.layers[1]([1.0] * 5)] == pytest.approx(
        (model.to_numpy()[1][0] @ np.ones(5) + model.to_numpy()[1][1]).tolist(), abs=1e-12)


def test_accepts_lists_tuples_arrays_values_and_numpy_scalars():
    model = nn.MLP(2, [3, 1], seed=0)
    expected = model([0.5, -0.25]).data
    for x in ([0.5, -0.25], (0.5, -0.25), np.array([0.5, -0.25]), [Value(0.5), Value(-0.25)],
              [np.float32(0.5), np.float64(-0.25)], np.array([0.5, -0.25], dtype=np.float32)):
        assert model(x).data == expected


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MLP(0, [1]), "positive int"),
    (lambda: nn.MLP(2, []), "non-empty"),
    (lambda: nn.MLP(2, [3, 0]), r"nouts\)\[1\]"),
    (lambda: nn.MLP(2, [3], activation="softmax"), "activation must be one of"),
    (lambda: nn.MLP(2, [3], output_activation="swish"), "output_activation must be one of"),
    (lambda: nn.MLP(2, [3], init="zeros"), "init must be one of"),
    (lambda: nn.Neuron(2.5), "positive int"),
])
def test_bad_construction_is_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_seed_type_is_rejected():
    with pytest.raises(TypeError, match="seed must be"):
        nn.MLP(2, [1], seed="abc")


def test_trace_z_grads_are_the_deltas_and_match_call():
    model = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    t = model.trace([0.5, 1.0])
    assert [v.data for v in t.a[-1]] == [v.data for v in model([0.5, 1.0])]
    t.a[-1][0].backward()
    # output layer is linear: dL/dz for the unit we backpropagated from is 1, the other 0
    assert [v.grad for v in t.z[-1]] == [1.0, 0.0]
    W2 = model.to_numpy()[1][0]
    z1 = np.array([v.data for v in t.z[0]])
    expected = W2.T @ np.array([1.0, 0.0]) * (1 - np.tanh(z1) ** 2)  # delta^1 = W2^T delta^2 * g'(z^1)
    assert [v.grad for v in t.z[0]] == pytest.approx(expected.tolist(), rel=1e-12)

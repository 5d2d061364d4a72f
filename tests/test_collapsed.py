"""The collapsed view (draw(..., collapse=True)): every matrix entry it shows is the engine's number (and the
notes' closed form, nn.reference), the loss has its own box with name, formula and delta convention, and the
loss's ops are never taken for the output layer's activation."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import draw

X4 = [[1.0, -2.0], [0.5, 0.5], [-1.0, 0.0], [2.0, 1.0]]
T4 = [1.0, 0.0, 1.0, 0.0]


def boxes(graph) -> dict[str, dict[str, object]]:
    """Each box of the picture: {row label as text: grid of numbers (list of rows) or text}."""
    found = {}
    for line in graph.body:
        match = re.match(r"\s*(\w+) \[label=<(.*)> shape=plaintext\]\s*$", line, flags=re.S)
        if not match:
            continue
        table = ET.fromstring(match.group(2))
        rows: dict[str, object] = {"title": "".join(table.find("tr").itertext())}
        for tr in table.findall("tr")[1:]:
            cells = tr.findall("td")
            if len(cells) != 2:
                rows["".join(cells[0].itertext()).split(" ", 1)[0]] = "".join(cells[0].itertext())
                continue
            key, inner = "".join(cells[0].itertext()), cells[1].find("table")
            if inner is None:
                rows[key] = "".join(cells[1].itertext())
            else:
                rows[key] = [[float("".join(td.itertext())) for td in r.findall("td")]
                             for r in inner.findall("tr") if r.find("td/font") is None]  # skip the (1) (2) header
        found[match.group(1)] = rows
    return found


def row(box: dict, start: str):
    keys = [k for k in box if k.startswith(start)]
    assert len(keys) == 1, (start, list(box))
    return box[keys[0]]


def close(shown, expected, rel=1e-12, tol=0.0) -> bool:
    """The grid shown equals ``expected`` (same shape) to ``rel`` / ``tol``."""
    shown, expected = np.asarray(shown, dtype=float), np.asarray(expected, dtype=float)
    return shown.shape == expected.shape and np.allclose(shown, expected, rtol=rel, atol=tol)


def network(loss_fn, m, widths=(3, 1), targets=None):
    model = nn.MLP(2, list(widths), seed=0)
    traces = [model.trace(x) for x in X4[:m]]
    outs = [tr.a[-1][0] if widths[-1] == 1 else list(tr.a[-1]) for tr in traces]
    targets = targets if targets is not None else T4[:m]
    loss = loss_fn(outs if m > 1 else outs[0], targets if m > 1 else targets[0])
    loss.backward()
    return model, traces, loss


@pytest.mark.parametrize("m", [1, 4])
def test_every_matrix_entry_is_the_engines_number_and_the_notes(m):
    model, traces, loss = network(nn.half_squared_error, m)
    shown = boxes(draw(loss, model=model, collapse=True, precision=15))
    layers = model.to_numpy()
    bp = nn.reference.backprop(layers, np.array(X4[:m]).T if m > 1 else np.array(X4[0]), np.array(T4[:m]),
                               hidden="relu", output="linear", loss="mse")  # reference "mse" is the notes' 1/2
    assert close(row(shown["inputs"], "x" if m == 1 else "X"), np.array(X4[:m]).T.tolist(), rel=1e-14)
    for ell, layer in enumerate(model.layers, start=1):
        box = shown[f"layer{ell - 1}"]
        assert box["title"].startswith(f"layer {ell}: ")
        assert close(row(box, f"W[{ell}]"), [[w.data for w in n.w] for n in layer.neurons], rel=1e-14)
        engine_dW = [[w.grad for w in n.w] for n in layer.neurons]
        assert close(row(box, f"∂{'L' if m == 1 else 'C'}/∂W[{ell}]"), engine_dW, rel=1e-13, tol=1e-15)
        assert close(engine_dW, bp.dW[ell - 1].tolist(), rel=1e-12, tol=1e-15)
        assert close(row(box, f"b[{ell}]"), [[n.b.data] for n in layer.neurons], tol=1e-15)
        assert close(row(box, f"∂{'L' if m == 1 else 'C'}/∂b[{ell}]"),
            [[n.b.grad] for n in layer.neurons], rel=1e-13, tol=1e-15)
        z = [[tr.z[ell - 1][k].data for tr in traces] for k in range(len(layer.neurons))]
        assert close(row(box, f"{'z' if m == 1 else 'Z'}[{ell}]"), z, rel=1e-14)
        assert np.allclose(z, np.reshape(bp.z[ell - 1], (len(z), m)), rtol=1e-12)
        # delta: per example dL/dz (eq. 23's J_z(C)) = m times the engine's dC/dz, and the notes' delta
        delta = [[m * tr.z[ell - 1][k].grad for tr in traces] for k in range(len(layer.neurons))]
        assert close(row(box, f"δ[{ell}]"), delta, rel=1e-13, tol=1e-15)
        assert np.allclose(delta, np.reshape(bp.delta[ell - 1], (len(z), m)), rtol=1e-12, atol=1e-15)
    hidden = shown["layer0"]
    a = [[tr.a[1][k].data for tr in traces] for k in range(3)]
    assert close(row(hidden, f"{'a' if m == 1 else 'A'}[1] = ReLU"), a, tol=1e-15)


CONVENTIONS = [  # loss, its box's title, a piece of its formula, the delta convention line, widths, targets
    (nn.mse_loss, "loss: MSE (PyTorch)", "L = (ŷ - t)²", "δ[L] = ∂L/∂z[L] = 2 (ŷ - t)", (3, 1), T4),
    (nn.half_squared_error, "loss: half squared error (the notes)", "L = ½ Σₖ (tₖ - ŷₖ)²",
     "δ[L] = ∂L/∂z[L] = ŷ - tno 2: the ½ cancels it (notes 002/004)", (3, 1), T4),
    (nn.binary_cross_entropy_with_logits, "loss: BCE with logits", "L = softplus(z) - t z",
     "δ[L] = ∂L/∂z[L] = σ(z[L]) - t", (3, 1), T4),
    (nn.cross_entropy, "loss: cross-entropy (softmax in the loss)", "L = log Σₖ exp(zₖ) - Σₖ ỹₖ zₖ",
     "δ[L] = ∂L/∂z[L] = ŷ - ỹ, ŷ = softmax(z[L])", (3, 2), [1, 0, 1, 1]),
]


@pytest.mark.parametrize("loss_fn, title, formula, convention, widths, targets", CONVENTIONS,
                         ids=["mse", "half", "bce_with_logits", "cross_entropy"])
@pytest.mark.parametrize("m", [1, 4])
def test_the_loss_has_its_own_box_with_name_formula_and_convention(loss_fn, title, formula, convention, widths,
                                                                   targets, m):
    model, traces, loss = network(loss_fn, m, widths, targets)
    box = boxes(draw(loss, model=model, collapse=True, precision=12))["loss"]
    assert box["title"] == title
    assert box["formula"].startswith(formula)
    assert box["convention"].startswith("convention " + convention)
    assert box["cost"] == ("C = L" if m == 1 else "C = 1/m Σᵢ L⁽ⁱ⁾, mean over the m = 4 examples")
    assert box["value"] == f"C = {loss.data:.12g}"
    # the output delta the convention line promises is the one drawn
    out = boxes(draw(loss, model=model, collapse=True, precision=12))["layer1"]
    y = np.array([[tr.z[-1][k].data for tr in traces] for k in range(widths[-1])])
    t = np.array(targets[:m], dtype=float)[None, :]
    if loss_fn is nn.cross_entropy:
        t = np.eye(2)[np.array(targets[:m])].T
        y = np.exp(y) / np.exp(y).sum(axis=0)
        assert close(box["ỹ (one-hot)"], t.tolist())
        assert close(box["ŷ = softmax(z)"], y.tolist(), rel=1e-11)
    elif loss_fn is nn.binary_cross_entropy_with_logits:
        y = 1 / (1 + np.exp(-y))
        assert close(box["ŷ = σ(z)"], y.tolist(), rel=1e-11)
    factor = 2.0 if loss_fn is nn.mse_loss else 1.0
    assert close(row(out, "δ[2]"), (factor * (y - t)).tolist(), rel=1e-10, tol=1e-14)
    if loss_fn is not nn.cross_entropy:
        assert close(box["t"], t.tolist())


def test_bce_with_logits_output_layer_is_linear_not_softplus():
    """The bug: the view said "3 -> 1, softplus" and a = g(z) = 0.8018; softplus belongs to the loss."""
    model, traces, loss = network(nn.binary_cross_entropy_with_logits, 1)
    shown = boxes(draw(loss, model=model, collapse=True, precision=12))
    assert shown["layer1"]["title"] == "layer 2: 3 → 1, linear (a = z) (layers.1)"
    assert not any(k.startswith("a[2]") for k in shown["layer1"])  # no made-up activation row
    assert all("softplus" not in str(box) for name, box in shown.items() if name != "loss")
    assert "softplus" in shown["loss"]["formula"]
    z = traces[0].z[-1][0].data
    assert close(row(shown["layer1"], "z[2]"), [[z]], rel=1e-12)
    assert close(row(shown["layer1"], "δ[2]"), [[1 / (1 + math.exp(-z)) - T4[0]]], rel=1e-10)


def test_a_real_sigmoid_output_stays_the_layers_activation():
    model = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    y = model(X4[0])
    loss = nn.binary_cross_entropy(y, 1.0)
    loss.backward()
    shown = boxes(draw(loss, model=model, collapse=True, precision=12))
    assert shown["layer1"]["title"].startswith("layer 2: 3 → 1, g = sigmoid")
    assert close(row(shown["layer1"], "a[2] = sigmoid(z[2]) = ŷ"), [[y.data]], rel=1e-12)
    assert shown["loss"]["title"] == "loss: BCE (log loss)"


def test_big_layers_and_batches_are_summarised_and_labelled():
    model = nn.MLP(2, [10, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(12, 2))
    outs = [model(list(x)) for x in X]
    loss = nn.mse_loss(outs, [0.0] * 12)
    loss.backward()
    graph = draw(loss, model=model, collapse=True)
    source = graph.source
    assert "10×2, too big to print" in source and "mean over the 12 examples" in source
    weights = [w.data for n in model.layers[0].neurons for w in n.w]
    assert f"min {min(weights):.4g}, max {max(weights):.4g}" in source
    a_mean = np.mean([[v.data for v in model.trace(list(x)).a[-1]] for x in X])
    z_row = re.search(r"Z<SUP>\[2\]</SUP> = ŷ.*?examples", source).group(0)  # the batch mean of z^[2], labelled
    assert f'<td align="right">{a_mean:.4g}</td>' in z_row and "mean over the 12 examples" in z_row


def test_the_index_convention_is_printed_once():
    model, _, loss = network(nn.mse_loss, 1)
    source = draw(loss, model=model, collapse=True).source
    assert source.count("(notes 003/004)") == 1 and "W is the transpose)" in source


# --- found by the tester: the picture labelled .grad as dL/dW even when it was not this loss's gradient ----------
def _two_three_one_loss(x=(1.0, 2.0)):
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    return model, nn.half_squared_error([model(list(x))], [0.5])


def _caption(graph) -> str:
    """The picture's caption (the graph's own label, at the bottom)."""
    return next(line for line in graph.source.splitlines() if "label=<" in line and "shape=plaintext" not in line
                and "->" not in line)


def _grad_rows(graph):
    return [k for box in boxes(graph).values() for k in box if k.startswith(("∂L/∂W", "∂L/∂b", "δ"))]


def test_before_backward_the_gradient_rows_are_left_out_and_said_why():
    model, loss = _two_three_one_loss()
    graph = draw(loss, model=model, collapse=True)
    assert "backward() has not run on this loss" in _caption(graph)
    assert _grad_rows(graph) == []  # no row of zeros claiming dL/dW = 0


def test_gradients_accumulated_over_two_backward_calls_are_flagged():
    model, loss = _two_three_one_loss()
    loss.backward()
    clean = draw(loss, model=model, collapse=True)
    assert "⚠" not in _caption(clean) and len(_grad_rows(clean)) == 6
    loss.backward()  # every .grad is now twice dL/d.
    doubled = draw(loss, model=model, collapse=True)
    caption = _caption(doubled)
    assert "these gradients are not this loss's" in caption and "zero_grad()" in caption
    b2 = model.layers[1].neurons[0].b.grad  # the output bias: its gradient is the largest, so it is the one named
    assert f".grad = {b2:.4g} but ∂L/∂b<SUB>1</SUB><SUP>[2]</SUP> = {b2 / 2:.4g}" in caption


def test_an_earlier_losss_gradients_are_flagged_and_zero_grad_clears_the_flag():
    model, loss = _two_three_one_loss()
    loss.backward()
    other = nn.half_squared_error([model([0.0, 1.0])], [0.5])
    other.backward()  # .grad = dL1/dp + dL2/dp: not other's gradient
    assert "⚠" in _caption(draw(other, model=model, collapse=True))
    model.zero_grad()
    other.backward()
    assert "⚠" not in _caption(draw(other, model=model, collapse=True))


def test_a_penalty_on_the_weights_is_part_of_the_loss_not_a_stale_gradient():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    penalty = sum(w * w for neuron in model.layers[0].neurons for w in neuron.w)
    loss = nn.half_squared_error([model([1.0, 2.0])], [0.5]) + 0.1 * penalty
    loss.backward()
    graph = draw(loss, model=model, collapse=True)
    assert "⚠" not in _caption(graph) and len(_grad_rows(graph)) == 6


def test_a_penalty_on_the_weights_is_not_drawn_as_more_examples():
    """0.1 * sum(w^2) made "linear" nodes of each layer-1 neuron: the view drew m = 3 examples, X = (none)."""
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    penalty = sum(w * w for neuron in model.layers[0].neurons for w in neuron.w)
    loss = nn.half_squared_error([model([1.0, 2.0])], [0.5]) + 0.1 * penalty
    loss.backward()
    found = boxes(draw(loss, model=model, collapse=True))
    assert row(found["inputs"], "x") == [[1.0], [2.0]]  # one example: x = a^[0]
    # the loss is not only the half squared error, and dL/dW^[1] is not delta^[1] x^T alone: both said
    assert found["loss"]["title"] == "loss: half squared error (the notes) + other terms"
    assert "13 ops that do not use ŷ" in found["loss"]["+ other terms"]
    dW1 = row(found["layer0"], "∂L/∂W[1]")
    assert "+ the loss's other terms" in next(k for k in found["layer0"] if k.startswith("∂L/∂W[1]"))
    W1 = model.to_numpy()[0][0]
    delta1 = np.array(row(found["layer0"], "δ[1]")).ravel()
    assert close(dW1, np.outer(delta1, [1.0, 2.0]) + 0.2 * W1, rel=2e-3, tol=1e-4)  # delta x^T + d(0.1 w^2)/dw
    trace = model.trace([1.0, 2.0])
    assert close(row(found["layer0"], "z[1]"), [[z.data] for z in trace.z[0]], rel=1e-3)
    assert close(row(found["layer1"], "δ[2]"), [[trace.a[-1][0].data - 0.5]], rel=1e-3)  # y - t


LOSSES = {"mse": (nn.mse_loss, "linear"), "half": (nn.half_squared_error, "linear"),
          "logits": (nn.binary_cross_entropy_with_logits, "linear"), "bce": (nn.binary_cross_entropy, "sigmoid")}


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 3), min_size=1, max_size=2), loss=st.sampled_from(sorted(LOSSES)),
       m=st.integers(1, 3), penalty=st.booleans(), seed=st.integers(0, 50), twice=st.booleans())
def test_any_small_network_is_drawn_with_its_own_gradients_or_flagged(widths, loss, m, penalty, seed, twice):
    """Any small MLP, loss, batch size, with or without a penalty on the weights: one column per example, every
    delta entry the engine's, and a warning exactly when .grad is not this loss's gradient (backward twice)."""
    fn, output = LOSSES[loss]
    model = nn.MLP(2, [*widths, 1], activation="tanh", output_activation=output, seed=seed)
    X = [[0.5 * (i + 1), -1.0 + i] for i in range(m)]
    traces = [model.trace(x) for x in X]
    C = fn([t.a[-1][0] for t in traces], [0.25 * (i % 2) + 0.5 for i in range(m)])
    if penalty:  # a term the layers' sums do not make: it must not be drawn as more examples
        C = C + 0.01 * sum(w * w for neuron in model.layers[0].neurons for w in neuron.w)
    C.backward()
    if twice:
        C.backward()
    graph = draw(C, model=model, collapse=True)
    found = boxes(graph)
    assert ("⚠" in _caption(graph)) == twice
    assert found["loss"]["title"].endswith(" + other terms") == penalty  # a penalty is said, nothing else is
    assert any(k.endswith("+ the loss's other terms") for k in found["layer0"]) == penalty
    assert not any(k.endswith("+ the loss's other terms") for k in found[f"layer{len(widths)}"])  # not penalised
    assert len([k for k in found if k.startswith("layer")]) == len(widths) + 1
    for ell, width in enumerate([*widths, 1], 1):
        z_rows = row(found[f"layer{ell - 1}"], f"{'z' if m == 1 else 'Z'}[{ell}]")
        assert np.shape(z_rows) == (width, m)  # one column per example, whatever else the loss holds
        assert close(z_rows, [[t.z[ell - 1][k].data for t in traces] for k in range(width)], rel=1e-3, tol=1e-3)

"""The collapsed view (draw(..., collapse=True)): every matrix entry it shows is the engine's number (and the
notes' closed form, nn.reference), the loss has its own box with name, formula and delta convention, and the
loss's ops are never taken for the output layer's activation."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

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

"""draw() and render(): one box per Value, one circle per op, clusters for a model, paths, colours, files."""

from __future__ import annotations

import doctest
import re
import shutil
import sys

import pytest

import nn
from autograd_lite import OPS, Value, draw, render, topological_order
from autograd_lite.teaching.clusters import Clusters, find_layers
from autograd_lite.teaching.draw import GraphvizNotFoundError

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def neuron():
    x, w, b = Value(1.0, label="x"), Value(0.5, label="w"), Value(-0.2, label="b")
    o = (w * x + b).tanh()
    o.label = "o"
    o.backward()
    return o, (x, w, b)


def mlp_loss(widths=(16, 16, 1), samples=((1.0, -2.0),)):
    model = nn.MLP(2, list(widths), seed=0)
    outs = [model(list(s)) for s in samples]
    loss = sum((out - 1.0) ** 2 for out in outs)
    loss.label = "loss"
    loss.backward()
    return model, loss


def node_ids(source):
    return re.findall(r"^\s*(n\d+(?:op)?) \[", source, flags=re.M)


def test_one_box_per_value_one_circle_per_op_edges_forward():
    o, _ = neuron()
    source = draw(o).source
    order = topological_order(o)
    ids = node_ids(source)
    assert len([i for i in ids if not i.endswith("op")]) == len(order)
    assert len([i for i in ids if i.endswith("op")]) == sum(1 for v in order if v.inputs)
    edges = re.findall(r"(n\d+(?:op)?) -> (n\d+(?:op)?)", source)
    assert len(edges) == sum(len(v.inputs) + 1 for v in order if v.inputs)
    assert all(a.endswith("op") != b.endswith("op") for a, b in edges)  # value -> op -> value
    assert "<b>x</b>" in source and "data 0.2913" in source and "grad 0.4576" in source


def test_op_symbols_come_from_the_op_table():
    x = Value(2.0, label="x")
    y = (x ** 3).relu().leaky_relu(0.1)
    source = draw(y).source
    for v in topological_order(y):
        if v.inputs:
            assert OPS[v.op].label(v.param) in source
    assert "**3" in source and "ReLU" in source


def test_options_grad_precision_rankdir():
    o, _ = neuron()
    assert "grad" not in draw(o, show_grad=False).source
    assert "data 0.29131" in draw(o, precision=5).source
    assert "rankdir=TB" in draw(o, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw(o, rankdir="sideways")
    with pytest.raises(ValueError, match="color_by"):
        draw(o, color_by="rainbow")
    with pytest.raises(TypeError, match="root must be a Value"):
        draw(3.0)


def test_highlight_marks_exactly_the_path_from_a_weight_to_the_root():
    o, (x, w, b) = neuron()
    source = draw(o, highlight=w).source
    thick = re.findall(r"(n\d+(?:op)?) -> (n\d+(?:op)?) \[[^\]]*penwidth=2.5", source)
    # w -> *, * -> v1, v1 -> +, + -> n, n -> tanh, tanh -> o
    assert len(thick) == 6
    order = topological_order(o)
    assert f"n{order.index(x)} -> " not in " ".join(f"{a} -> {b}" for a, b in thick)
    with pytest.raises(ValueError, match="not part of the graph"):
        draw(o, highlight=Value(1.0))


def test_colour_by_gradient_sign_and_magnitude():
    x = Value(1.0, label="x")
    y = Value(-3.0, label="y")
    out = x * y  # d/dx = -3 (blue), d/dy = 1 (red)
    out.label = "out"
    out.backward()
    for mode in ("sign", "magnitude"):
        source = draw(out, color_by=mode).source
        fills = dict(re.findall(r"<b>(\w+)</b>.*?fillcolor=\"(#[0-9a-f]{6})\"", source))
        red, blue = fills["y"], fills["x"]
        assert int(red[1:3], 16) > int(red[5:7], 16) and int(blue[5:7], 16) > int(blue[1:3], 16)
        assert "legend" in source
    magnitude = dict(re.findall(r"<b>(\w+)</b>.*?fillcolor=\"(#[0-9a-f]{6})\"", draw(out, color_by="magnitude").source))
    assert int(magnitude["x"][1:3], 16) < int(magnitude["y"][5:7], 16)  # |-3| is darker than |1|


def test_mlp_nodes_are_clustered_by_neuron_and_layer():
    model, loss = mlp_loss(widths=(3, 2, 1))
    order = topological_order(loss)
    clusters = Clusters.infer(order, model)
    for name, p in model.named_parameters():
        assert clusters.of[p] == name.rsplit(".", 2)[0] if name.split(".")[-1].isdigit() else name.rsplit(".", 1)[0]
    dots = [v for v in order if v.op == "dot"]
    assert len(dots) == 6
    assert sorted(clusters.of[d] for d in dots) == sorted(
        f"layers.{i}.neurons.{k}" for i, n in enumerate((3, 2, 1)) for k in range(n))
    relus = [v for v in order if v.op == "relu"]
    assert all(clusters.of[r] == clusters.of[r.inputs[0]] for r in relus)
    assert loss not in clusters.of and loss.inputs[0] not in clusters.of  # the loss is nobody's neuron
    source = draw(loss, model=model).source
    assert "subgraph cluster_layers_0 {" in source and "subgraph cluster_layers_0_neurons_2 {" in source
    inner = source.index("subgraph cluster_layers_0_neurons_2")
    assert source.index("subgraph cluster_layers_0 {") < inner  # neuron boxes nest in their layer
    # boxes in model order (layers.0 first, neurons by index), not the order the graph reaches them in
    # (from the loss: the last layer first); graphviz then stacks neuron 0 above neuron 1
    starts = [source.index(f"subgraph cluster_layers_{layer} {{") for layer in range(3)]
    assert starts == sorted(starts)
    for layer, width in enumerate((3, 2, 1)):
        starts = [source.index(f"subgraph cluster_layers_{layer}_neurons_{k} {{") for k in range(width)]
        assert starts == sorted(starts)
    layers = find_layers(order, clusters)
    assert [len(layer.neurons) for layer in layers] == [3, 2, 1]
    assert [layer.activation for layer in layers] == ["ReLU", "ReLU", ""]
    assert all(len(row) == n for layer, n in zip(layers, (2, 3, 2)) for row in layer.weights)


@needs_dot
def test_full_2_16_16_1_graph_renders_and_collapsed_fits_on_one_screen(tmp_path):
    model, loss = mlp_loss()
    full = render(draw(loss, model=model), tmp_path / "full.svg")
    assert full.read_text().count('class="cluster"') == 3 + 16 + 16 + 1
    collapsed = draw(loss, model=model, collapse=True)
    png = render(collapsed, tmp_path / "collapsed.png")
    width, height = int.from_bytes(png.read_bytes()[16:20], "big"), int.from_bytes(png.read_bytes()[20:24], "big")
    assert width <= 1920 and height <= 1080, (width, height)
    source = collapsed.source
    assert source.count("layers.") == 3 and "δ<SUP>[1]</SUP> = ∂L/∂z<SUP>[1]</SUP>" in source and "16×2" in source


def test_collapsed_box_holds_the_engines_numbers():
    model, loss = mlp_loss(widths=(3, 1))
    trace = model.trace([1.0, -2.0])
    source = draw(loss, model=model, collapse=True, precision=6).source
    for z in trace.z[0]:
        assert f"{z.data:.6g}" in source
    with pytest.raises(ValueError, match="needs the model"):
        draw(loss, collapse=True)
    plain = draw(loss, model=model, collapse=True, show_grad=False).source
    assert "= W<SUP>[1]</SUP> a<SUP>[0]</SUP> + b<SUP>[1]</SUP>" in plain  # no gradient rows without show_grad:
    assert "∂L/∂W" not in plain and "∂L/∂b" not in plain and "δ<SUP>[1]</SUP> = " not in plain


def test_collapsed_softmax_layer_shows_the_probabilities():
    model = nn.MLP(2, [3, 3], activation="tanh", output_activation="softmax", seed=0)
    trace = model.trace([0.5, -1.0])
    loss = -trace.a[-1][1].log()
    loss.backward()
    source = draw(loss, model=model, collapse=True, precision=6).source
    assert "3 → 3, g = softmax" in source
    probabilities = [a.data for a in trace.a[-1]]
    assert sum(probabilities) == pytest.approx(1.0)
    assert "a<SUP>[2]</SUP> = softmax(z<SUP>[2]</SUP>) = ŷ" in source
    assert "".join(f'<tr><td align="right">{p:.6g}</td></tr>' for p in probabilities) in source  # the column a^[2]
    layers = find_layers(topological_order(loss), Clusters.infer(topological_order(loss), model))
    assert [layer.activation for layer in layers] == ["tanh", "softmax"]
    shown = [a for row in layers[1].a for a in row]
    assert [a.data for a in shown] == pytest.approx(probabilities, rel=1e-15)
    assert shown[1] is trace.a[-1][1]  # the probability the loss reads is the graph's own node
    # the z, a, delta columns follow neuron order even though the graph reaches the neurons in another order
    assert [z.data for row in layers[1].z for z in row] == [z.data for z in trace.z[-1]]
    assert [b for b in layers[1].biases] == [n.b for n in model.layers[1].neurons]


def test_collapsed_works_for_a_lone_layer_and_a_lone_neuron():
    layer = nn.Layer(2, 3, activation="tanh", seed=0)
    out = layer([1.0, -1.0])
    loss = sum(o * o for o in out)
    loss.backward()
    (found,) = find_layers(topological_order(loss), Clusters.infer(topological_order(loss), layer))
    assert len(found.neurons) == 3 and found.activation == "tanh"  # one layer of three neurons, not three layers
    assert "2 → 3, g = tanh" in draw(loss, model=layer, collapse=True).source
    neuron = nn.Neuron(2, activation="sigmoid", seed=0)
    a = neuron([1.0, 2.0])
    loss = -(a.log())  # log loss with t = 1: delta = a - 1 (notes 000)
    loss.backward()
    source = draw(loss, model=neuron, collapse=True, precision=6).source  # it used to crash
    assert "2 → 1, g = sigmoid" in source and f'<td align="right">{a.data - 1:.6g}</td>' in source
    assert "loss: BCE (log loss)" in source


def test_collapsed_with_several_samples_summarises_a_matrix():
    model, loss = mlp_loss(widths=(4, 1), samples=((1.0, -2.0), (0.5, 0.5), (-1.0, 0.0)))
    source = draw(loss, model=model, collapse=True).source
    assert "one column per example (m = 3)" in source and ">(3)</font>" in source and ">(4)</font>" not in source


@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "png", "pdf"])
def test_render_writes_the_image_and_the_source(tmp_path, suffix):
    o, _ = neuron()
    path = render(draw(o), tmp_path / f"graph.{suffix}")
    assert path.stat().st_size > 200
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")


def test_render_without_dot_writes_source_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    o, _ = neuron()
    with pytest.raises(GraphvizNotFoundError, match="Install Graphviz .*apt-get install graphviz") as info:
        render(draw(o), tmp_path / "graph.svg")
    assert info.value.__cause__ is None and (info.value.__context__ is None or info.value.__suppress_context__)
    assert all("graphviz" not in str(entry.path) for entry in info.traceback)
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "graph.svg").exists()


def test_render_refuses_an_unknown_extension(tmp_path):
    o, _ = neuron()
    with pytest.raises(ValueError, match="cannot tell the format"):
        render(draw(o), tmp_path / "graph.docx")
    assert render(draw(o), tmp_path / "graph.gv").read_text().startswith("digraph")


def test_jupyter_displays_the_digraph_inline():
    o, _ = neuron()
    assert hasattr(draw(o), "_repr_mimebundle_")


def test_model_must_have_named_parameters():
    o, _ = neuron()
    with pytest.raises(TypeError, match="named_parameters"):
        draw(o, model=42)
    with pytest.raises(TypeError, match=r"\(str, Value\) pairs"):
        draw(o, model=[("w", 1.0)])


def test_docstring_examples():
    result = doctest.testmod(sys.modules["autograd_lite.teaching.draw"], optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_gradients_can_come_from_explain_instead_of_grad():
    from autograd_lite import explain

    x = Value(3.0, label="x")
    y = x * x
    source = draw(y, grads=explain(y).grads).source
    assert x.grad == 0.0 and "grad 6" in source
    model = nn.MLP(2, [3, 1], seed=0)
    loss = (model([1.0, -2.0]) - 1.0) ** 2
    collapsed = draw(loss, model=model, collapse=True, grads=explain(loss).grads).source  # no backward() yet
    assert all(p.grad == 0.0 for p in model.parameters())
    loss.backward()
    assert collapsed == draw(loss, model=model, collapse=True).source and "dL/db = δ</b></td><td align=\"left\">[0, 0" not in collapsed


def test_the_loss_after_an_activation_stays_outside_the_neuron():
    model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    out = model([1.0, -1.0])
    loss = -(out.log())  # bce with t = 1: log(sigmoid(z)) belongs to the loss, not to the neuron
    clusters = Clusters.infer(topological_order(loss), model)
    assert clusters.of[out] == "layers.1.neurons.0" and out.op == "sigmoid"
    assert loss not in clusters.of and loss.inputs[0] not in clusters.of


def test_a_loss_on_logits_keeps_its_ops_out_of_the_output_neuron():
    """bce_with_logits is softplus(z) - t z: z has two users, so its softplus belongs to the loss, not the neuron;
    a sigmoid output's sigmoid (z's only user) is the neuron's activation (issue 10's mislabel)."""
    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.binary_cross_entropy_with_logits(model([1.0, -1.0]), 1.0)
    clusters = Clusters.infer(topological_order(loss), model)
    assert [v for v in clusters.of if v.op == "softplus"] == []
    model = nn.MLP(2, [3, 1], seed=0, output_activation="sigmoid")
    loss = nn.binary_cross_entropy(model([1.0, -1.0]), 1.0)
    clusters = Clusters.infer(topological_order(loss), model)
    assert sorted(clusters.of[v] for v in clusters.of if v.op == "sigmoid") == ["layers.1.neurons.0"]


def test_a_weight_penalty_stays_out_of_the_neurons():
    """w * w reads parameters only: it is a penalty term, not a neuron's weighted sum (the tester's find)."""
    import autograd_lite as ag

    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.mse_loss(model([1.0, -1.0]), 1.0) + 0.1 * ag.sum([w * w for w in model.parameters()])
    clusters = Clusters.infer(topological_order(loss), model)
    penalty = [v for v in topological_order(loss) if v.op == "mul" and all(x in clusters.params for x in v.inputs)]
    assert len(penalty) == len(model.parameters()) and not any(v in clusters.of for v in penalty)
    assert len([v for v in clusters.of if v.op == "dot"]) == 4  # every neuron's own weighted sum is still in its box

"""The notes' notation in every graph ``nn`` builds, 1-based layers, and ``autograd_lite.symbol``."""

from __future__ import annotations

import re
import shutil
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Value, draw, example_label, render, symbol, topological_order
from autograd_lite.teaching import labels
from autograd_lite.teaching.clusters import module_title
from autograd_lite.teaching.named import atomic
from autograd_lite.teaching.notation import STYLES, distinct_names, is_notation, network_caption, notation_label

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
X, T = [0.5, -1.5], 0.7


def mlp_231(activation: str = "tanh") -> nn.MLP:
    model = nn.MLP(2, [3, 1], activation=activation, seed=3)
    W1 = np.array([[0.2, -0.4], [0.7, 0.1], [-0.5, 0.3]])  # W^[1]: n_1 x n_0 = 3 x 2 (notes 003/004)
    W2 = np.array([[0.6, -0.8, 0.25]])
    return model.from_numpy([(W1, np.array([0.1, -0.2, 0.05])), (W2, np.array([0.3]))])


# --- labels of a 2-3-1 network --------------------------------------------------------------
def test_every_node_of_a_2_3_1_mlp_is_named_as_the_notes_name_it():
    model = mlp_231()
    out = model(X)
    names = {v.label for v in topological_order(out)}
    expected = {"x_1", "x_2", "yhat_1", "b_1^[2]"} | {f"w_{j}{k}^[1]" for j in (1, 2) for k in (1, 2, 3)}
    expected |= {f"{s}_{k}^[1]" for s in ("b", "z", "a") for k in (1, 2, 3)} | {f"w_{j}1^[2]" for j in (1, 2, 3)}
    expected |= {f"Σ_j w_j{k}^[1] x_j" for k in (1, 2, 3)} | {"Σ_j w_j1^[2] a_j^[1]"}
    assert names == expected
    assert all(v.label for v in topological_order(out))  # no v1, v2 ...: every node has its name
    # w_jk^[l] is entry (k, j) of W^[l] (note 001's w_jk: from node j of layer l-1 to node k of layer l)
    W1, _ = model.to_numpy()[0]
    by_label = {v.label: v for v in topological_order(out)}
    assert by_label["w_12^[1]"].data == W1[1, 0] == 0.7 and by_label["w_21^[1]"].data == W1[0, 1] == -0.4
    z2 = np.tanh(W1 @ np.array(X) + [0.1, -0.2, 0.05])
    assert by_label["a_2^[1]"].data == pytest.approx(z2[1], abs=1e-15)
    assert by_label["yhat_1"].data == pytest.approx(0.6 * z2[0] - 0.8 * z2[1] + 0.25 * z2[2] + 0.3, abs=1e-15)


def test_one_input_node_per_call_feeds_every_first_layer_neuron():
    model = mlp_231()
    out = model(X)
    order = topological_order(out)
    x_nodes = [v for v in order if v.label.startswith("x_")]
    assert [v.label for v in x_nodes] == ["x_1", "x_2"]  # two inputs: two nodes, not one per neuron
    users = [[u for u in order if x in u.inputs] for x in x_nodes]
    assert [len(u) for u in users] == [3, 3] and all(u.op == "dot" for us in users for u in us)
    # the drawing has the same fan-in: 3 edges leave each x box
    source = draw(out).source
    ids = {v.label: f"n{i}" for i, v in enumerate(order)}
    assert [len(re.findall(rf"\b{ids[x]} -> n\d+op\b", source)) for x in ("x_1", "x_2")] == [3, 3]
    # and a second call makes new inputs (a forward pass owns its graph)
    again = topological_order(model(X))
    assert not {id(v) for v in again if v.label.startswith("x_")} & {id(v) for v in x_nodes}


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_gradients_match_the_notes_closed_form_and_x_grad_is_the_transposed_sum(activation):
    model = mlp_231(activation)
    trace = model.trace(X)
    loss = 0.5 * (trace.a[-1][0] - T) ** 2  # the notes' 1/2 (t - y)^2 (note 002)
    loss.backward()
    bp = nn.reference.backprop(model.to_numpy(), np.array(X), np.array([T]), hidden=activation, output="linear",
                               loss="mse")
    for layer, (dW, db) in zip(model.layers, zip(bp.dW, bp.db)):
        engine = np.array([[w.grad for w in n.w] for n in layer.neurons])
        np.testing.assert_allclose(engine, dW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([n.b.grad for n in layer.neurons], db, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([z.grad for z in trace.z[0]], bp.delta[0], rtol=1e-12, atol=1e-15)
    # the shared input node sums over the neurons it feeds: dL/dx = (W^[1])^T delta^[1] (eq. 21c's sum)
    W1 = model.to_numpy()[0][0]
    np.testing.assert_allclose([x.grad for x in trace.a[0]], W1.T @ bp.delta[0], rtol=1e-12, atol=1e-15)


def test_softmax_two_digit_indices_and_models_used_alone_are_named_sensibly():
    probs = nn.MLP(2, [3, 2], output_activation="softmax", seed=0)([1.0, 2.0])
    labels_ = {v.label for v in topological_order(probs[1])}
    assert {"z_1^[2]", "z_2^[2]", "logsumexp(z^[2])", "log yhat_2", "yhat_2"} <= labels_
    wide = nn.MLP(12, [11, 1], seed=0)
    assert wide.layers[0].neurons[10].w[11].label == "w_{12,11}^[1]" and wide.layers[1].neurons[0].b.label == "b_1^[2]"
    assert symbol(wide.layers[0].neurons[10].w[11].label) == "w₁₂,₁₁^[1]"
    lone = nn.Neuron(3, activation="tanh", seed=0)
    out = lone([1.0, 2.0, 3.0])
    assert [p.label for p in lone.parameters()] == ["w_1", "w_2", "w_3", "b"] and out.label == "a"
    assert out.inputs[0].label == "z" and out.inputs[0].inputs[0].label == "Σ_j w_j x_j"
    layer_out = nn.Layer(2, 2, activation="linear", seed=0)([1.0, 2.0])
    assert [v.label for v in layer_out] == ["z_1", "z_2"]
    # a layer of a model called alone reads a^[l-1]
    model = nn.MLP(2, [3, 1], seed=0)
    second = model.layers[1]([1.0, 2.0, 3.0])
    assert [v.label for v in topological_order(second) if not v.inputs and not v.label.startswith(("w", "b"))] == \
        ["a_1^[1]", "a_2^[1]", "a_3^[1]"]
    # a user's Value keeps its own label; an unlabelled one becomes x_j
    mine, blank = Value(1.0, label="height"), Value(2.0)
    model([mine, blank])
    assert (mine.label, blank.label) == ("height", "x_2")


def test_state_dict_names_stay_dotted_and_errors_count_layers_from_1():
    model = nn.MLP(2, [3, 1], seed=0)
    assert list(model.state_dict())[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    with pytest.raises(ValueError, match=r"layer 2 W must have shape \(1, 3\)"):
        model.from_numpy([(np.zeros((3, 2)), np.zeros(3)), (np.zeros((3, 1)), np.zeros(1))])


# --- symbol ---------------------------------------------------------------------------------
@pytest.mark.parametrize("label, text, latex, dot, html", [
    ("z_1^[2]", "z₁^[2]", "z_{1}^{[2]}", "z<SUB>1</SUB><SUP>[2]</SUP>", "z<sub>1</sub><sup>[2]</sup>"),
    ("w_21^[1]", "w₂₁^[1]", "w_{21}^{[1]}", "w<SUB>21</SUB><SUP>[1]</SUP>", "w<sub>21</sub><sup>[1]</sup>"),
    ("w_{12,3}^[2]", "w₁₂,₃^[2]", "w_{12,3}^{[2]}", "w<SUB>12,3</SUB><SUP>[2]</SUP>", "w<sub>12,3</sub><sup>[2]</sup>"),
    ("x_1", "x₁", "x_{1}", "x<SUB>1</SUB>", "x<sub>1</sub>"),
    ("yhat_1", "ŷ₁", r"\hat{y}_{1}", "ŷ<SUB>1</SUB>", "ŷ<sub>1</sub>"),
    ("delta^[L]", "δ^[L]", r"\delta^{[L]}", "δ<SUP>[L]</SUP>", "δ<sup>[L]</sup>"),
    ("n_{l-1}", "nₗ₋₁", "n_{l-1}", "n<SUB>l-1</SUB>", "n<sub>l-1</sub>"),
    ("W^[l]", "W^[l]", "W^{[l]}", "W<SUP>[l]</SUP>", "W<sup>[l]</sup>"),
    # one training example, as note 001 writes x^(i) (and z^[l](i) with a layer): a superscript, never " (2)"
    ("x_1^(2)", "x₁^(2)", "x_{1}^{(2)}", "x<SUB>1</SUB><SUP>(2)</SUP>", "x<sub>1</sub><sup>(2)</sup>"),
    ("z_1^[1](2)", "z₁^[1](2)", "z_{1}^{[1](2)}", "z<SUB>1</SUB><SUP>[1](2)</SUP>", "z<sub>1</sub><sup>[1](2)</sup>"),
    ("yhat_1^(i)", "ŷ₁^(i)", r"\hat{y}_{1}^{(i)}", "ŷ<SUB>1</SUB><SUP>(i)</SUP>", "ŷ<sub>1</sub><sup>(i)</sup>"),
    ("x^(12)", "x^(12)", "x^{(12)}", "x<SUP>(12)</SUP>", "x<sup>(12)</sup>"),
])
def test_symbol_in_every_style(label, text, latex, dot, html):
    assert [symbol(label, s) for s in STYLES] == [text, latex, dot, html]
    assert is_notation(label)


def test_labels_outside_the_notation_get_the_usual_escaping():
    for label in ("loss", "my_x_1", "max_1", "a", "x_", "zz_1", "w_1234", "<b>&", "a\x1bb", "x_1X"):
        assert symbol(label, "text") == labels.printable(label)
        assert symbol(label, "latex") == labels.latex(label)
        assert symbol(label, "dot_html") == labels.dot_html(label)
        assert symbol(label, "html") == labels.html_text(label)
    assert symbol("∂C/∂z_1^[2] <", "html") == "∂C/∂z<sub>1</sub><sup>[2]</sup> &lt;"  # tokens inside a text
    assert symbol("dz_1^[2]", "text") == "dz_1^[2]"  # but only whole words: this is not z
    with pytest.raises(ValueError, match="style must be one of text, latex, dot_html, html, got 'svg'"):
        symbol("x_1", "svg")
    assert notation_label("w", 12, 3, layer=2) == "w_{12,3}^[2]" and notation_label("b", 1, layer=2) == "b_1^[2]"


# --- one example of a batch: note 001's superscript (i) ------------------------------------------
def test_notation_label_writes_the_example_after_the_layer():
    assert notation_label("x", 1, example=2) == "x_1^(2)"
    assert notation_label("z", 1, layer=1, example=2) == "z_1^[1](2)"
    assert notation_label("w", 12, 3, layer=2, example=5) == "w_{12,3}^[2](5)"
    assert notation_label("x", example="i") == "x^(i)" and notation_label("x", 1) == "x_1"


@pytest.mark.parametrize("label, marked", [
    ("x_1", "x_1^(2)"), ("z_3^[1]", "z_3^[1](2)"), ("a_1^[2]", "a_1^[2](2)"), ("yhat_1", "yhat_1^(2)"),
    ("Σ_j w_j1^[1] x_j", "Σ_j w_j1^[1] x_j^(2)"), ("Σ_j w_j1^[2] a_j^[1]", "Σ_j w_j1^[2] a_j^[1](2)"),
    ("log a_2^[2]", "log a_2^[2](2)"), ("logsumexp(z^[2])", "logsumexp(z^[2](2))"),
    # shared by every example (a weight, a bias), the user's own names, already one example's: unchanged
    ("w_11^[1]", None), ("b_1^[2]", None), ("loss", None), ("x", None), ("max_1", None), ("x_1^(1)", None),
])
def test_example_label_marks_only_what_a_forward_pass_makes_per_example(label, marked):
    assert example_label(label, 2) == marked


def test_distinct_names_number_examples_in_order_and_keep_the_suffix_for_other_repeats():
    shown = ["w_11^[1]", "x_1", "z_1^[1]", "v", "x_1", "z_1^[1]", "v", "w_11^[1]", "x_1", "z_1^[1]"]
    assert distinct_names(shown) == ["w_11^[1]", "x_1^(1)", "z_1^[1](1)", "v", "x_1^(2)", "z_1^[1](2)", "v (2)",
                                     "w_11^[1] (2)", "x_1^(3)", "z_1^[1](3)"]
    assert distinct_names(["x_1", "z_1^[1]"]) == ["x_1", "z_1^[1]"]  # one example: no index, as the notes write it
    # a user's own label that is already an example name keeps it; that group falls back to the suffix
    assert distinct_names(["x_1^(2)", "x_1", "x_1"]) == ["x_1^(2)", "x_1", "x_1 (2)"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["x_1", "x_1^(2)", "x_1 (2)", "z_1^[1]", "w_11^[1]", "v", "v (2)", "Σ_j w_j1^[1] x_j"]),
                max_size=12))
def test_distinct_names_are_distinct_and_keep_each_label_recognisable(shown):
    names = distinct_names(shown)
    assert len(names) == len(shown) and len(set(names)) == len(names)
    for base, name in zip(shown, names):
        assert name == base or name.startswith(base + " (") or name in [example_label(base, k) for k in range(1, 13)]
    for base in set(shown):  # a group is numbered 1, 2, ... in order, or keeps the suffix scheme, not a mix
        group = [name for b, name in zip(shown, names) if b == base]
        if example_label(base, 1) in group:  # one is an example's name: all are, in order
            assert group == [example_label(base, k) for k in range(1, len(group) + 1)]


def test_an_example_name_reads_as_one_operand():
    assert atomic("x_1^(2)") and atomic("z_1^[1](2)") and atomic("a_12^[3](10)")
    assert not atomic("x_1 (2)") and not atomic("f(x)") and not atomic("Σ_j w_j1^[1] x_j^(2)")


TAGS = re.compile(r"</?(?:SUB|SUP|sub|sup)>")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["z_1^[2]", "w_{12,3}^[1]", "yhat_3", "x_", "^[", "_{", "Σ_j", "delta",
                                           "^(", "x_1^(2)", "z_1^[1](2)", "](", "^(i)"]),
                          st.text(max_size=12)), max_size=6).map("".join))
def test_symbol_of_any_text_is_safe_in_each_output(label):
    text = symbol(label, "text")
    text.encode("utf-8")  # no lone surrogate
    assert not re.search("[\x00-\x1f\x7f-\x9f]", text)
    for style in ("dot_html", "html"):
        shown = TAGS.sub("", symbol(label, style))
        assert "<" not in shown and ">" not in shown and '"' not in shown
        assert not re.search(r"&(?!(?:amp|lt|gt|quot|#x27);)", shown)  # every & starts an entity
    latex = symbol(label, "latex")
    assert not re.search(r"(?<!\\)\$", latex) and "<" not in latex and ">" not in latex
    assert latex.count("{") - latex.count(r"\{") == latex.count("}") - latex.count(r"\}")


def test_module_titles_count_from_1():
    assert [module_title(m) for m in ("layers.0", "layers.0.neurons.1", "neurons.9", "block.2", "encoder", "")] == \
        ["layer 1", "neuron 2", "neuron 10", "block 3", "encoder", ""]
    assert module_title("layers." + "9" * 5000).startswith("layer 9")  # no int() of 5,000 digits


# --- pictures -------------------------------------------------------------------------------
def test_draw_names_boxes_with_subscripts_layers_from_1_and_states_the_convention():
    model = mlp_231()
    loss = nn.half_squared_error(model(X), T)
    loss.backward()
    source = draw(loss, model=model).source
    for shown in ("z<SUB>1</SUB><SUP>[1]</SUP>", "w<SUB>21</SUB><SUP>[1]</SUP>", "ŷ<SUB>1</SUB>", "x<SUB>2</SUB>",
                  "b<SUB>3</SUB><SUP>[1]</SUP>", "Σ<SUB>j</SUB> w<SUB>j1</SUB><SUP>[2]</SUP> a<SUB>j</SUB><SUP>[1]</SUP>"):
        assert f"<b>{shown}</b>" in source, shown
    titles = re.findall(r'label="([^"]*)"', source)
    assert {"layer 1", "layer 2", "neuron 1", "neuron 2", "neuron 3"} <= set(titles)
    assert not any(t.startswith("layers.") for t in titles)
    assert network_caption("dot_html") in source and "n<SUB>l</SUB> × n<SUB>l-1</SUB>" in source
    assert network_caption("dot_html") not in draw(loss).source  # no model: not a network picture


def test_scale_is_bounded_with_a_clear_error():
    y = Value(1.0, label="x_1").tanh()
    for bad in (0.49, 4.01, float("nan"), float("inf"), 10 ** 400, -(10 ** 400)):
        with pytest.raises(ValueError, match="draw: scale must be a number from 0.5 to 4 .*, got "):
            draw(y, scale=bad)
    for bad in (True, "2", None):
        with pytest.raises(TypeError, match="draw: scale must be a number"):
            draw(y, scale=bad)
    assert "dpi" not in draw(y).source and "dpi=108" in draw(y, scale=1.5).source
    assert "dpi=288" in draw(y, scale=4).source and "dpi=36" in draw(y, scale=0.5).source
    # any real number type a user may hold, the same as its float
    for good in (np.float64(1.5), np.int64(2), np.float32(1.5), __import__("fractions").Fraction(3, 2)):
        assert f"dpi={72 * float(good):g}" in draw(y, scale=good).source


def _png_size(path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


@needs_dot
def test_scale_makes_the_rendered_picture_bigger(tmp_path):
    model = mlp_231()
    loss = nn.half_squared_error(model(X), T)
    loss.backward()
    normal = _png_size(render(draw(loss, model=model), tmp_path / "normal.png"))
    big = _png_size(render(draw(loss, model=model, scale=2), tmp_path / "big.png"))
    assert big[0] == pytest.approx(2 * normal[0], rel=0.02) and big[1] == pytest.approx(2 * normal[1], rel=0.02)
    svg = render(draw(loss, model=model, scale=2), tmp_path / "big.svg").read_text()
    assert "scale(2 2)" in svg
    collapsed = draw(loss, model=model, collapse=True, scale=1.5).source  # the collapsed view scales too
    assert "dpi=108" in collapsed


@needs_dot
def test_hostile_labels_next_to_notation_render(tmp_path):
    a = Value(1.0, label='z_1^[2] <b>"&\\')
    b = Value(2.0, label="w_{12,3}^[1]\x1b]")
    out = (a * b).tanh()
    out.label = "yhat_1 & </SUB>"
    out.backward()
    render(draw(out), tmp_path / "hostile.svg")
    svg = (tmp_path / "hostile.svg").read_text()
    assert "&lt;/SUB&gt;" in svg and "&lt;b&gt;" in svg and "\\x1b" in svg  # shown as text, not markup


@pytest.mark.parametrize("label", [None, 3, 2.5, b"z_1", ["z_1"], Value(1.0, label="z_1")])
def test_symbol_refuses_a_label_that_is_not_text(label):
    with pytest.raises(TypeError, match=f"symbol: label must be a str, got {type(label).__name__}"):
        symbol(label, "text")


def test_the_caption_tells_a_reader_of_notes_003_and_004_their_weight_index_order():
    """Note 001's w_jk^[l] goes from node j (layer l-1) to node k (layer l); notes 003 (w_ij) and 004 (w_jk)
    put the receiving node first. The picture names a weight as note 001 does, so its caption must say how
    the other notes write the same weight, and which entry of W^[l] (n_l x n_{l-1}) it is."""
    caption = network_caption("text")
    assert "wⱼₖ^[l] links aⱼ^[l-1] to zₖ^[l] as in note 001" in caption
    assert "entry (k, j) of W^[l]" in caption and "notes 003/004 write it wₖⱼ" in caption
    model = mlp_231()
    loss = nn.half_squared_error(model(X), T)
    for layer_number, layer in enumerate(model.layers, 1):
        for k, neuron in enumerate(layer.neurons, 1):
            for j, w in enumerate(neuron.w, 1):  # row k, column j of W^[l]: from node j to node k
                assert w.label == notation_label("w", j, k, layer=layer_number)
    assert network_caption("dot_html") in draw(loss, model=model).source


def test_a_model_called_on_two_examples_is_drawn_and_explained_in_the_notes_notation():
    from autograd_lite import explain

    model = mlp_231("relu")
    X2 = np.array([[0.5, -1.5], [1.0, 2.0]])
    loss = nn.mse_loss([model(x) for x in X2], [0.7, 0.1])
    text = explain(loss).to_text()
    z = model.to_numpy()[0][0] @ X2[1] + model.to_numpy()[0][1]  # z^[1] of example 2
    assert f"z₁^[1](2)            = (Σⱼ wⱼ₁^[1] xⱼ^(2)) + b₁^[1] = {z[0]:.4g}" in text
    assert "dot(w₁₁^[1], w₂₁^[1], x₁^(2), x₂^(2))" in text and "x₁^(1)" in text
    assert not re.search(r" \(\d+\)", text)  # no duplicate-name suffix "x₁ (2)"
    assert r"x_{1}^{(2)}" in explain(loss).to_markdown()
    source = draw(loss, model=model).source
    assert "x<SUB>1</SUB><SUP>(2)</SUP>" in source and "z<SUB>1</SUB><SUP>[1](2)</SUP>" in source
    assert "w<SUB>11</SUB><SUP>[1]</SUP><" in source and " (2)" not in source  # weights are shared: no index
    x, y = Value(2.0, label="x"), Value(5.0, label="x")  # the user's own same-named nodes keep the suffix
    assert "x (2)" in explain(x * y).to_text()


def test_repeated_labels_that_are_not_a_batch_keep_the_plain_suffix():
    """Two neurons reading the same input, or two layers chained on one input, repeat a label once per neuron or
    layer, not per example: the inputs x_j were made once, so there is no batch and no x^(i) in the names."""
    import nn
    from autograd_lite import Value, explain

    first, second = nn.Neuron(2, seed=0), nn.Neuron(2, seed=1)
    x = [Value(1.0, label="x_1"), Value(2.0, label="x_2")]  # the same input nodes for both
    text = explain(first(x) + second(x)).to_text()
    assert "^(" not in text and "(2)" in text  # the second neuron's Σ and z get " (2)", no example index
    layer1, layer2 = nn.Layer(2, 2, seed=0), nn.Layer(2, 1, seed=1)
    text = explain(layer2(layer1(x))).to_text()
    assert "^(" not in text and "](" not in text
    assert distinct_names(["x_1", "x_2", "z_1", "z_1", "x_1"]) == ["x_1^(1)", "x_2", "z_1^(1)", "z_1^(2)",
                                                                    "x_1^(2)"]  # x_1 twice: 2 examples
    assert distinct_names(["x_1", "z_1", "z_1", "z_1"]) == ["x_1", "z_1", "z_1 (2)", "z_1 (3)"]

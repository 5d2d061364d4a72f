"""explain, cleaner (issue 10 item 2): numbers folded into their ops, formulas in the user's own names, fan-out
counted over edges, a Markdown with every line of the text, and an HTML walkthrough that follows the lit edge."""

from __future__ import annotations

import math
import re

import pytest
from conftest import console_errors
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
import nn
from autograd_lite import Value, explain, topological_order
from autograd_lite.teaching.formatting import number
from autograd_lite.teaching.named import atomic
from autograd_lite.teaching.notation import symbol
from autograd_lite.teaching.walkthrough import to_html


def wxb():
    """(w x + 0.5) 2 at w = -0.5, x = 3: v1 = -1.5, v2 = -1, z = -2; dz/dw = 2 x = 6, dz/dx = 2 w = -1."""
    w, x = Value(-0.5, label="w"), Value(3.0, label="x")
    z = (w * x + 0.5) * 2
    z.label = "z"
    return z, w, x


# --- 1. numbers folded into their op ----------------------------------------------------------
def test_numbers_are_folded_into_their_ops():
    z, w, x = wxb()
    e = explain(z)
    assert [line.name for line in e.forward] == ["w", "x", "v1", "v2", "z"]  # no line for 0.5 or 2
    assert [line.expression for line in e.forward[2:]] == ["w * x", "v1 + 0.5", "v2 * 2"]
    assert [line.value for line in e.forward] == [-0.5, 3.0, -1.5, -1.0, -2.0]
    assert [(s.input_name, s.name) for s in e.steps] == [("v2", "z"), ("v1", "v2"), ("w", "v1"), ("x", "v1")]
    assert [s.named_formula for s in e.steps] == [
        "d(v2 * 2)/dv2 = 2", "d(v1 + 0.5)/dv1 = 1", "d(w * x)/dw = x", "d(w * x)/dx = w"]
    assert [s.local for s in e.steps] == [2.0, 1.0, 3.0, -0.5]
    assert [s.total for s in e.steps] == [2.0, 2.0, 6.0, -1.0]
    assert {s.input for s in e.steps}.isdisjoint(e.constants) and len(e.constants) == 2
    text = e.to_text()
    assert "d0.5" not in text and "d2" not in text and "\n  0.5" not in text and "\n  2 " not in text
    assert "local     dz/dv2 = d(v2 * 2)/dv2 = 2" in text and "local     dv2/dv1 = d(v1 + 0.5)/dv1 = 1" in text
    z.backward()
    assert e.grad(w) == w.grad == 6.0 and e.grad(x) == x.grad == -1.0


def test_constants_true_shows_them_as_before():
    z, _, _ = wxb()
    e = explain(z, constants=True)
    assert [line.name for line in e.forward] == ["w", "x", "v1", "0.5", "v2", "2", "z"]
    by_input = {s.input_name: s for s in e.steps}
    assert len(e.steps) == 6 and e.constants == frozenset()
    assert by_input["2"].local == -1.0 and by_input["2"].total == -1.0  # dz/d2 = v2 = -1
    assert by_input["0.5"].total == 2.0  # dz/d0.5 = 2
    assert by_input["2"].named_formula == "d(v2 * 2)/d2 = v2"
    with pytest.raises(TypeError, match="constants must be True or False"):
        explain(z, constants="yes")


def test_two_ones_never_become_two_nodes_named_1():
    x = Value(2.0, label="x")
    y = (x + 1) * 1 - 1  # three different constants, each "1"
    e = explain(y)
    names = [line.name for line in e.forward]
    assert "1" not in names and len(names) == len(set(names)) == 4
    assert [line.expression for line in e.forward[1:]] == ["x + 1", "v1 * 1", "v2 - 1"]
    assert [s.input_name for s in e.steps] == ["v2", "v1", "x"] and e.steps[-1].total == 1.0


def test_a_number_the_user_made_a_value_and_used_twice_is_not_folded():
    a = Value(3.0)  # no label, but used twice: the user's variable, not a number in a formula
    y = a * a
    e = explain(y)
    assert [s.input for s in e.steps] == [a, a] and e.grad(a) == 6.0
    assert e.steps[0].named_formula == "d(3⁽¹⁾ * 3⁽²⁾)/d3⁽¹⁾ = 3⁽²⁾" and e.constants == frozenset()  # slots marked


def test_a_graph_of_numbers_only_keeps_them():
    e = explain(Value(2.0).tanh() * 3)
    assert len(e.steps) == 3 and e.constants == frozenset()
    assert e.steps[-1].named_formula == "d tanh(2)/d2 = 1 - tanh(2)^2"
    assert e.steps[-1].total == pytest.approx(3 * (1 - math.tanh(2) ** 2))


def test_negative_constants_read_in_parentheses():
    x = Value(2.0, label="x")
    e = explain((x * -3).tanh())
    assert e.forward[1].expression == "x * (-3)"
    assert e.steps[1].named_formula == "d(x * (-3))/dx = -3" and e.steps[1].local == -3.0
    assert e.steps[0].evaluated == "1 - tanh(-6)^2"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=2, max_size=2), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_folded_explanations_still_equal_backward(xs, cs):
    a, b = Value(xs[0], label="a"), Value(xs[1], label="b")
    root = ((a * cs[0] + b).tanh() * (cs[1] - a) + cs[2] * b * b).sigmoid()
    e = explain(root)
    root.backward()
    for node in topological_order(root):
        if node in e.constants:
            assert all(s.input is not node for s in e.steps)
            continue
        finals = [s.total for s in e.steps if s.input is node and s.final]
        assert finals == ([] if node is root else [node.grad])
        assert e.grad(node) == node.grad


# --- 2. formulas in the user's names ----------------------------------------------------------------
HOSTILE = ["a", "b", "u", "y", "p", "x_1", "x_12", "w_1", "a_b", "{0}", "{1}", "\\1", "\\g<0>", "$", "^", "a b",
           "-1", "w.0", "z_1^[2]", "(", ")", "a*b", ".*", "+", "tanh", "sigmoid", "d", "∂", "x y = z", "1e-05", "%s"]
names = st.one_of(st.sampled_from(HOSTILE), st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=3).map("".join))


def shown(e, node, style="text"):
    """The name as a formula writes it: notation.symbol of the node's name, in parentheses unless one token."""
    text = symbol(e.names[node], style)
    return text if atomic(e.names[node]) else f"({text})"


@settings(max_examples=50, deadline=None)
@given(names, names)
def test_formulas_carry_the_users_names_whatever_they_are(first, second):
    if first == second:
        second += "'"
    p, q = Value(0.5, label=first), Value(2.0, label=second)
    e = explain(p * q)
    P, Q = shown(e, p), shown(e, q)
    alone = {n: symbol(e.names[v]) if re.fullmatch(r"-?[0-9.]+(e[-+]?[0-9]+)?", e.names[v]) else shown(e, v)
             for n, v in (("P", p), ("Q", q))}  # a partial that is one name: a number needs no parentheses
    assert [s.named_formula for s in e.steps] == [f"d({P} * {Q})/d{P} = {alone['Q']}",
                                                  f"d({P} * {Q})/d{Q} = {alone['P']}"]
    LP, LQ = shown(e, p, "latex"), shown(e, q, "latex")
    assert e.steps[0].named_formula_latex == rf"\frac{{\partial ({LP} \cdot {LQ})}}{{\partial {LP}}} = {LQ}"
    e = explain(p / q)
    assert [s.named_formula for s in e.steps] == [f"d({P} / {Q})/d{P} = 1 / {Q}", f"d({P} / {Q})/d{Q} = -{P} / {Q}^2"]
    assert e.steps[1].local == pytest.approx(-0.5 / 4)
    bare = symbol(e.names[p], "text")  # inside the function's own parentheses: no second pair
    e = explain(p.tanh())
    assert e.steps[0].named_formula == f"d tanh({bare})/d{P} = 1 - tanh({bare})^2"
    e = explain(al.logsumexp([p, q]))
    assert e.steps[1].named_formula.endswith(f"= exp({shown(e, q)} - {shown(e, e.root)})")  # y: the node's name
    for s in e.steps:  # the op table's placeholders never stand beside the user's names
        assert " with " not in e.to_text() and "x_2 =" not in e.to_text()


def test_no_placeholder_beside_the_users_names():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    b = Value(-0.2, label="b")
    y = (w * x + b).leaky_relu(0.1) ** 3
    e = explain(y)
    text, md, page = e.to_text(), e.to_markdown(), e.to_html(max_diagram_nodes=0)
    for rendered in (text, md, page):
        assert "with a =" not in rendered and "a = w" not in rendered and "slope =" not in rendered
    assert "d(w * x)/dw = x" in text and "d(v1 + b)/db = 1" in text
    assert "d leaky_relu(v2, 0.1)/dv2 = 1 if v2 > 0 else 0.1" in text and "d v3**3/dv3 = 3 * v3^(3-1)" in text
    assert r"\frac{\partial (\mathrm{w} \cdot \mathrm{x})}{\partial \mathrm{w}} = \mathrm{x}" in md
    assert "∂(w · x)/∂w = x" in page and "∂ v3**3/∂v3 = 3 · v3<sup>3-1</sup>" in page


def test_the_notes_symbols_in_every_renderer():
    x1, w = Value(0.5, label="x_1"), Value(2.0, label="w_11^[1]")
    z = w * x1
    z.label = "z_1^[1]"
    e = explain(z.tanh())
    assert "d(w₁₁^[1] * x₁)/dw₁₁^[1] = x₁" in e.to_text()
    assert r"\frac{\partial (w_{11}^{[1]} \cdot x_{1})}{\partial w_{11}^{[1]}} = x_{1}" in e.to_markdown()
    assert "∂(w<sub>11</sub><sup>[1]</sup> · x<sub>1</sub>)/∂w<sub>11</sub><sup>[1]</sup>" in e.to_html()


def test_a_hand_written_node_and_a_user_op_get_the_same_treatment():
    x = Value(0.3, label="x")
    out = Value(x.data ** 2, (x,), "square")

    def _backward():
        x.grad += 2 * x.data * out.grad
    out._backward = _backward
    e = explain(out)
    assert e.steps[0].named_formula == "d square(x)/dx = given by its _backward" and e.steps[0].local == 0.6
    cube = al.define_op("cube_clean_test", lambda m, u: u ** 3, lambda m, u, y: 3 * u ** 2, replace=True)
    e = explain(cube(x))
    assert e.steps[0].named_formula.endswith("/dx = 3 * x^2") and e.steps[0].evaluated == "3 * 0.3^2"


# --- 3. fan-out over edges, parallel edges told apart ------------------------------------------------
def test_fan_out_counts_operations_and_edges():
    x = Value(2.0, label="x")
    y = x * x + x
    y.label = "y"
    e = explain(y)
    steps = [s for s in e.steps if s.input is x]
    assert [(s.users, s.operations) for s in steps] == [(3, 2)] * 3
    assert steps[0].fan_out == "x feeds 2 operations over 3 edges"
    assert [s.slot for s in steps] == ["", "first", "second"]
    assert [s.total for s in steps] == [1.0, 3.0, 5.0] and steps[-1].final  # dy/dx = 2x + 1
    text = e.to_text()
    assert "(1 of 3; x feeds 2 operations over 3 edges)" in text
    assert "edge x -> v1, its first operand" in text and "edge x -> v1, its second operand" in text
    assert r"$\mathrm{x}$ feeds 2 operations over 3 edges" in e.to_markdown()
    assert "its second operand" in e.to_markdown()
    page = e.to_html()
    assert page.count("x feeds 2 operations over 3 edges, so its gradient is the sum of 3 contributions") == 3
    assert page.count('<span class="slot">(its first operand)</span>') == 1
    e = explain(x.tanh() + x.exp())
    assert e.steps[-1].fan_out == "x feeds 2 operations"  # as many edges as operations: said once


# --- 4. the Markdown has every line of the text ------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def blocks(lines, start):
    """The lines of each step, from the lines that start one (``start`` matches them)."""
    out, current = [], None
    for line in lines:
        if start.match(line):
            current = [line]
            out.append(current)
        elif current is not None and line.strip() and not line.startswith(("Gradients", "**Gradients")):
            current.append(line)
        elif current is not None:
            current = None
    return out


def graphs():
    x, w, b = Value(1.0, label="x"), Value(0.5, label="w"), Value(-0.2, label="b")
    n = w * x + b
    yield (n * n + n).tanh() * 2
    a = Value(5e-324, label="a")
    yield 0 * a.log() + a * 3  # a skipped step
    p, q = Value(0.7, label="p"), Value(-1.3, label="q")
    yield al.dot([p, q], [q, p]) / (1 + q * q) + al.logsumexp([p, q, p])


@pytest.mark.parametrize("root", list(graphs()))
def test_every_line_of_the_text_has_its_markdown_line(root):
    e = explain(root)
    text, md = e.to_text().splitlines(), e.to_markdown().splitlines()
    text_steps = blocks(text, re.compile(r"\s*\d+\. edge "))
    md_steps = blocks(md, re.compile(r"\d+\. edge "))
    assert len(text_steps) == len(md_steps) == len(e.steps)
    for s, t, m in zip(e.steps, text_steps, md_steps):
        assert len(t) == len(m) == 6, (t, m)  # edge, local, its value, upstream, product, total
        for t_line, m_line in zip(t, m):
            assert set(NUMBER.findall(t_line)) <= set(NUMBER.findall(m_line)), (t_line, m_line)
        if s.evaluated and not s.skipped and s.evaluated != f"{s.local:.4g}":
            assert s.evaluated_latex in m[2]  # the substitution line (it was missing)
    forward_rows = [line for line in md if line.startswith("| $")]
    assert len(forward_rows) == len(e.forward)
    for line, row in zip(e.forward, forward_rows):
        assert row.endswith(f"| {number(line.value, 4)} |")
    leaves = [line for line in text if line.startswith("Gradients of the labelled leaves")]
    md_leaves = [line for line in md if line.startswith("**Gradients of the labelled leaves**")]
    assert len(leaves) == len(md_leaves) == 1
    assert NUMBER.findall(leaves[0]) == NUMBER.findall(re.sub(r"\\[a-z]+|\{[^{}]*\}", "", md_leaves[0]))


def test_the_markdown_substitution_line():
    n = Value(0.3, label="n")
    md = explain(n.tanh()).to_markdown()
    assert r"- $= 1 - \tanh^2(0.3) = 0.9151$" in md


# --- 5. the HTML walkthrough in headless Chromium ----------------------------------------------------
def mlp_explanation():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    return explain(nn.mse_loss(model([0.5, -1.0]), 1.0))


def small_explanation():
    x = Value(0.5, label="x")
    y = (2 * x).tanh()
    y.label = "y"
    return explain(y)


def open_page(browser, tmp_path, e, name, query="", **options):
    path = tmp_path / f"{name}.html"
    path.write_text(e.to_html(**options), encoding="utf-8")
    browser.get(path.as_uri() + query)
    return path


VIEW = """
var svg = document.querySelector('#diagram svg'), panel = document.getElementById('diagram').getBoundingClientRect();
var f = document.querySelector('.frame.active').dataset, out = {scale: svg.getScreenCTM().a, boxes: []};
[f.edge, f.input, f.op].forEach(function (id) {
  var r = svg.getElementById(id).getBoundingClientRect();
  out.boxes.push([id, r.left, r.top, r.right, r.bottom]);
});
out.panel = [panel.left, panel.top, panel.right, panel.bottom];
out.window = [window.innerWidth, window.innerHeight];
out.following = document.getElementById('diagram').classList.contains('zoomed');
out.fit = parseFloat(document.getElementById('diagram').getAttribute('data-fit'));
return out;
"""


def view(browser):
    return browser.execute_script(VIEW)


def assert_lit_edge_visible(v, slack=2.0):
    left, top, right, bottom = v["panel"]
    width, height = v["window"]
    for id_, x0, y0, x1, y1 in v["boxes"]:
        assert x0 >= max(left, 0) - slack and x1 <= min(right, width) + slack, (id_, v)
        assert y0 >= max(top, 0) - slack and y1 <= min(bottom, height) + slack, (id_, v)


def test_a_network_walkthrough_follows_the_lit_edge(browser, tmp_path):
    e = mlp_explanation()
    assert 25 <= len(topological_order(e.root)) <= 60  # a 2-3-1 network and its loss: 29 nodes, too many to see whole
    open_page(browser, tmp_path, e, "mlp")
    assert console_errors(browser) == []
    first = view(browser)
    assert first["following"], "a network opens following the steps"
    assert first["fit"] < 1.0  # the whole network would be drawn below its natural size: too small to read
    nxt = browser.find_element("id", "next")
    for k in range(len(e.steps)):
        v = view(browser)
        assert_lit_edge_visible(v)
        assert v["scale"] >= 1.0, "the lit edge is drawn at least at the diagram's natural size: readable"
        if k < len(e.steps) - 1:
            nxt.click()
    browser.save_screenshot(str(tmp_path / "mlp.png"))
    assert console_errors(browser) == []


def test_whole_graph_and_follow_never_shrink_a_small_graph(browser, tmp_path):
    for e, name in ((small_explanation(), "small"), (mlp_explanation(), "mlp")):
        open_page(browser, tmp_path, e, name)
        zoom = browser.find_element("id", "zoom")
        if view(browser)["following"]:
            zoom.click()
        whole = view(browser)
        assert not whole["following"] and zoom.text == "Follow the step"
        assert_lit_edge_visible(whole)  # the whole graph is in the panel
        zoom.click()
        followed = view(browser)
        assert followed["following"] and zoom.text == "Whole graph"
        assert followed["scale"] >= whole["scale"] - 1e-9, (name, whole["scale"], followed["scale"])
        assert_lit_edge_visible(followed)
        # the whole graph as big as the panel allows (a small one up to twice its natural size), never smaller
        assert whole["scale"] == pytest.approx(min(whole["fit"], 2.0), rel=1e-3)
        if name == "small":
            assert whole["scale"] >= 0.9 and whole["fit"] > 0.9
        assert console_errors(browser) == []


def test_the_presentation_scale(browser, tmp_path):
    from selenium.webdriver.support.ui import Select

    e = mlp_explanation()
    font = "return parseFloat(getComputedStyle(document.documentElement).fontSize)"
    open_page(browser, tmp_path, e, "scaled")
    assert browser.execute_script(font) == 15.0
    before = view(browser)["scale"]
    Select(browser.find_element("id", "scale")).select_by_value("2")
    assert browser.execute_script(font) == 30.0
    after = view(browser)
    assert after["scale"] >= 1.5 * before and after["following"]
    assert_lit_edge_visible(after)
    open_page(browser, tmp_path, e, "scaled-url", query="?scale=1.5")
    assert browser.execute_script(font) == 22.5
    assert browser.find_element("id", "scale").get_attribute("value") == "1.5"
    open_page(browser, tmp_path, e, "scaled-too-much", query="?scale=99")
    assert browser.execute_script(font) == 45.0  # bounded: 3 at most
    open_page(browser, tmp_path, e, "scaled-nonsense", query="?scale=abc")
    assert browser.execute_script(font) == 15.0
    open_page(browser, tmp_path, e, "scaled-python", scale=1.25)
    assert browser.execute_script(font) == 18.75
    assert console_errors(browser) == []


@pytest.mark.parametrize("scale", [0.4, 3.5, math.nan, math.inf, 10 ** 400, "2", True, None])
def test_the_scale_is_bounded(scale):
    wrong = TypeError if isinstance(scale, (str, bool, type(None))) else ValueError
    with pytest.raises(wrong, match="to_html: scale must be a number from 0.5 to 3"):
        to_html(small_explanation(), scale=scale)
    assert 'data-scale="2.5"' in to_html(small_explanation(), scale=2.5)


@pytest.mark.parametrize("scale", [2, 2.0, "np.float64", "np.int64", "Fraction"])
def test_the_page_scale_takes_any_real_number_as_draw_does(scale):
    import fractions

    import numpy as np
    scale = {"np.float64": np.float64(2), "np.int64": np.int64(2), "Fraction": fractions.Fraction(2)}.get(scale, scale)
    assert 'data-scale="2"' in to_html(small_explanation(), scale=scale)


def test_two_nodes_with_one_label_are_told_apart():
    """Two leaves both labelled "x" are two variables: each step names the one it means (the tester's find)."""
    from autograd_lite import Value, explain

    x1, x2 = Value(2.0, label="x"), Value(5.0, label="x")
    e = explain(x1 * x2)
    assert e.names[x1] == "x" and e.names[x2] == "x (2)"
    assert [s.input_name for s in e.steps] == ["x", "x (2)"]
    assert "dv1/dx = 5, dv1/d(x (2)) = 2" in e.to_text()


SLOTTED = {"mul": lambda p, q: p * q, "add": lambda p, q: p + q, "sub": lambda p, q: p - q,
           "div": lambda p, q: p / q, "pow": lambda p, q: p ** q, "dot": lambda p, q: al.dot([p, q], [q, p])}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(SLOTTED)), st.sampled_from(["x", "a", "b", "u", "y", "z_1^[2]", "x_1", "v1", "a b"]),
       st.booleans())
def test_an_input_in_two_slots_never_reads_as_the_whole_derivative(op, name, same):
    """x * x: the partial in one slot is not d(x * x)/dx (that is 2x). Every occurrence of a repeated input carries
    its slot mark, the denominator names the step's own slot, and the mark-free name appears nowhere."""
    x = Value(1.5, label=name)
    other = x if same else Value(0.5, label="q")
    e = explain(SLOTTED[op](x, other))
    for s in e.steps:
        if s.input is not x:
            continue
        n = s.node.inputs.count(x)
        shown = symbol(name, "text")
        formula = s.named_formula
        if n > 1:
            marks = re.findall(re.escape(shown if atomic(name) else f"({shown})") + r"(⁽[⁰-⁹¹²³]+⁾)?", formula)
            assert marks and all(marks), (formula, marks)  # never bare
            top, below = formula.split(" = ")[0].rsplit("/d", 1)
            assert below.endswith("⁽" + str(s.position + 1).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) + "⁾")
            assert s.slot and f"{s.slot} operand" in e.to_text()
            latex = s.named_formula_latex
            assert latex.count("{}^{(") == formula.count("⁽")
        else:
            assert "⁽" not in formula and not s.slot


@settings(max_examples=8, deadline=None)
@given(st.one_of(st.sampled_from(["0.5", "0.6", "1.7", "2", "-1", "99", "abc", "1e-9", "2.999"]),
                 st.floats(0.5, 3).map(lambda f: f"{f:.3g}")))
def test_the_scale_menu_shows_the_scale_in_use(browser, tmp_path_factory, asked):
    """?scale=0.5 is a 50% page: the menu must not say 75% (its nearest entry); the font follows the same number."""
    from selenium.webdriver.support.ui import Select

    open_page(browser, tmp_path_factory.mktemp("menu"), small_explanation(), "menu", query=f"?scale={asked}")
    font = browser.execute_script("return parseFloat(getComputedStyle(document.documentElement).fontSize)")
    try:
        expected = min(3.0, max(0.5, float(asked)))
    except ValueError:
        expected = 1.0
    menu = Select(browser.find_element("id", "scale"))
    assert float(menu.first_selected_option.get_attribute("value")) == pytest.approx(expected)
    assert menu.first_selected_option.text == f"{math.floor(expected * 100 + 0.5)}%"  # JS Math.round
    assert font == pytest.approx(15.0 * expected, abs=0.01)
    values = [float(o.get_attribute("value")) for o in menu.options]
    assert values == sorted(values) and len(values) == len(set(values))  # the extra entry sits in order, once
    menu.select_by_value("2")  # and the menu still works
    assert browser.execute_script("return parseFloat(getComputedStyle(document.documentElement).fontSize)") == 30.0
    assert console_errors(browser) == []

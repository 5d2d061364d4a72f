"""explain_layers' HTML page in headless Chromium: pointing at a number lights its scalar nodes, pointing at a node
lights its numbers, by mouse and keyboard, with no console errors; the page is self-contained."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from conftest import console_errors

import nn
from autograd_lite import topological_order

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot draws the diagram")


def _model():
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    return model


def _open(browser, tmp_path, view, name="layers.html"):
    path = view.write_html(tmp_path / name)
    browser.get(path.as_uri())
    return path


def _lit_node_ids(browser):
    return sorted(browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#diagram g.node.lit'), function (g) {"
        " return g.id; });"))


def _lit_entries(browser):
    return browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('td.lit'), function (td) {"
        " return [td.getAttribute('data-nodes'), td.textContent]; });")


def _hover(browser, element):
    from selenium.webdriver.common.action_chains import ActionChains
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    ActionChains(browser).move_to_element(element).perform()


def test_page_is_self_contained():
    page = nn.explain_layers(_model(), [1.0, 2.0], [0.5]).to_html()
    assert "<script src" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "<link rel=\"stylesheet\"" not in page and page.count("<svg") == 1


def test_pointing_at_an_entry_lights_its_nodes_and_back(browser, tmp_path):
    model = _model()
    view = nn.explain_layers(model, [1.0, 2.0], [0.5], loss="half_squared_error")
    ids = {v: f"n{i}" for i, v in enumerate(topological_order(view.root))}
    _open(browser, tmp_path, view)
    console_errors(browser)
    # delta^[1]_2 (the second entry of the result of step 11) comes from z_2^[1]: its node's grad is delta_2
    step = browser.find_element("id", "step11")
    result = step.find_elements("css selector", ".eq > .term:last-child td")
    _hover(browser, result[1])
    lit = _lit_node_ids(browser)
    assert len(lit) == 1
    node_text = browser.find_element("id", lit[0]).text
    delta = view.layers[-1].delta_engine[1]
    z = [float(v) for v in re.findall(r"data (-?[\d.e+-]+)", node_text)]
    grads = [float(v) for v in re.findall(r"grad (-?[\d.e+-]+)", node_text)]
    assert grads and grads[0] == pytest.approx(delta, rel=1e-3)
    assert z and z[0] == pytest.approx(view.steps[0].lhs.engine[1], rel=1e-3)  # z_2^[1] from the forward step
    assert "lit" in result[1].get_attribute("class")
    # the reverse: the weight w_21^[1] (row 1, column 2 of W^[1]) lights its entries in W^[1] and dC/dW^[1]
    w = model.layers[0].neurons[0].w[1]
    node = browser.find_element("id", ids[w])
    _hover(browser, node)
    entries = _lit_entries(browser)
    assert len(entries) >= 2 and all(ids[w] in nodes.split() for nodes, _ in entries)
    shown = {float(text) for _, text in entries}
    assert any(v == pytest.approx(w.data, rel=1e-3) for v in shown)
    assert any(v == pytest.approx(view.layers[-1].dW_engine[0, 1], rel=1e-3) for v in shown)
    assert console_errors(browser) == []


def test_keyboard_focus_lights_too_and_escape_clears(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    model = _model()
    view = nn.explain_layers(model, [1.0, 2.0], [0.5])
    ids = {v: f"n{i}" for i, v in enumerate(topological_order(view.root))}
    _open(browser, tmp_path, view)
    first = browser.find_element("css selector", "td[data-nodes]")  # W^[1]'s first entry, w_11^[1]
    browser.execute_script("arguments[0].focus();", first)
    assert _lit_node_ids(browser) == [ids[model.layers[0].neurons[0].w[0]]]
    assert "w" in browser.find_element("id", "status").text
    first.send_keys(Keys.TAB)
    assert _lit_node_ids(browser) == [ids[model.layers[0].neurons[0].w[1]]]
    focusable = browser.find_elements("css selector", "#diagram g.node[tabindex='0']")
    assert focusable  # nodes with entries can be reached by the keyboard
    browser.execute_script("arguments[0].focus();", focusable[0])
    assert _lit_entries(browser)
    first.send_keys(Keys.ESCAPE)
    assert _lit_entries(browser) == [] and _lit_node_ids(browser) == []
    assert console_errors(browser) == []


def test_a_batch_page_maps_only_the_first_example(browser, tmp_path):
    model = _model()
    view = nn.explain_layers(model, [[1.0, 2.0], [0.5, -1.0], [0.0, 1.0]], [0.5, 1.0, 2.0], loss="mse")
    _open(browser, tmp_path, view, "batch.html")
    assert "first example" in browser.find_element("id", "side").text
    z_matrix = browser.find_element("id", "step1").find_elements("css selector", ".eq > .term:last-child tr")
    first_row = z_matrix[0].find_elements("css selector", "td")
    assert len(first_row) == 3
    assert first_row[0].get_attribute("data-nodes") and not first_row[1].get_attribute("data-nodes")
    _hover(browser, first_row[0])
    assert len(_lit_node_ids(browser)) == 1
    assert console_errors(browser) == []


def test_screenshot_of_a_2_3_1_page(browser, tmp_path):
    view = nn.explain_layers(_model(), [1.0, 2.0], [0.5], loss="half_squared_error")
    _open(browser, tmp_path, view)
    entry = browser.find_element("id", "step11").find_element("css selector", "td[data-nodes]")
    _hover(browser, entry)
    size = browser.get_window_size()
    assert size["width"] == 1280
    assert browser.execute_script("return document.documentElement.scrollWidth;") <= 1280  # no sideways scrolling
    shot = tmp_path / "layers-2-3-1.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert np.isfinite(view.cost)


def test_a_big_graph_gets_a_note_instead_of_a_diagram(monkeypatch):
    from nn import layer_html
    view = nn.explain_layers(_model(), [1.0, 2.0], [0.5])
    monkeypatch.setattr(layer_html, "DIAGRAM_NODES", 10)
    page = view.to_html()
    assert "<svg" not in page and "more than 10" in page and page.count('class="step"') == len(view.steps)
    assert 'data-nodes="' not in page  # nothing to light without the diagram


def test_jupyter_shows_the_page_in_an_iframe():
    view = nn.explain_layers(_model(), [1.0, 2.0], [0.5])
    shown = view._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;") and "<script" not in shown


def test_a_batch_page_names_each_example_as_note_001_does(browser, tmp_path):
    model = _model()
    view = nn.explain_layers(model, [[1.0, 2.0], [0.5, -1.0]], [0.5, 1.0], loss="mse")
    _open(browser, tmp_path, view, "batch-names.html")
    W1, b1 = model.to_numpy()[0]
    z_rows = browser.find_element("id", "step1").find_elements("css selector", ".eq > .term:last-child tr")
    first, second = z_rows[0].find_elements("css selector", "td")
    z11 = float(W1[0] @ [1.0, 2.0] + b1[0])  # z_1^[1] of example 1
    assert second.get_attribute("title").startswith("z₁^[1](2) = ")
    _hover(browser, first)
    status = browser.execute_script("return document.getElementById('status').innerHTML;")
    assert status.startswith("z<sub>1</sub><sup>[1](1)</sup> = ")
    assert float(first.text) == pytest.approx(z11, rel=1e-3)
    # the lit node of the first example's diagram carries the same name: z₁ with [1](1) as its superscript
    lit = browser.find_element("css selector", "#diagram g.node.lit")
    assert "[1](1)" in lit.text and "z" in lit.text and " (" not in lit.text
    svg_text = browser.execute_script("return document.getElementById('diagram').textContent;")
    assert "(2)" not in svg_text  # the diagram is example 1's: no second example, no duplicate suffix
    assert console_errors(browser) == []

"""Every result object a person looks at shows itself in Jupyter (issue 13 item 4).

A page object (the quizzes, the layer view, the training player, the walkthrough of an Explanation) is its
whole page inside ``<iframe srcdoc="..." sandbox="allow-scripts">``: the page escaped exactly once, so the
browser gets it back byte for byte and its script runs inside the frame, never in the notebook. A small
object (a check's result, a History without a recording) is a fragment with no script. Both are checked
here as strings and in headless Chromium (the frames' scripts run, no console errors).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from conftest import console_errors

import autograd_lite
import nn
from autograd_lite import Value, explain
from autograd_lite.teaching.explain import Explanation

By = pytest.importorskip("selenium.webdriver.common.by").By
Keys = pytest.importorskip("selenium.webdriver.common.keys").Keys


class Tags(HTMLParser):
    """The start tags of a fragment and their attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(fragment: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(fragment)
    parser.close()
    return parser.tags


def assert_framed_page(cell: str, page: str) -> None:
    """``cell`` is one sandboxed iframe whose srcdoc, once parsed, is ``page`` exactly (and nothing else runs)."""
    tags = tags_of(cell)
    assert [t for t, _ in tags] == ["iframe"], [t for t, _ in tags]
    attrs = tags[0][1]
    assert attrs["srcdoc"] == page and attrs["sandbox"] == "allow-scripts" and attrs["title"]
    outside = re.sub(r'srcdoc="[^"]*"', "", cell)  # what the notebook itself would run or style: nothing
    assert "<script" not in outside.lower() and "<style" not in outside.lower()
    assert page.lstrip().lower().startswith("<!doctype html>") and "<script" in page


def neuron() -> Value:
    x, w = Value(2.0, label="x"), Value(-0.5, label="w")
    y = (w * x + 0.5).tanh()
    y.label = "y"
    return y


def moons_history(record: bool) -> nn.History:
    X, y = nn.datasets.make_moons(40, noise=0.1, seed=0)
    return nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="bce_with_logits", epochs=5, batch_size=8, seed=0,
                  progress=False, record=record)


def test_the_quizzes_are_their_pages_in_a_sandboxed_frame():
    q = autograd_lite.quiz("tanh(w*x + b)", {"x": 1, "w": 0.5, "b": -0.2}, title='<img src=x onerror="alert(1)">')
    assert_framed_page(q._repr_html_(), q.to_html())
    assert tags_of(q._repr_html_())[0][1]["title"] == '<img src=x onerror="alert(1)">'  # text, not a tag
    net = nn.quiz(nn.MLP(2, [3, 2], activation="tanh", seed=1), [1.0, -2.0], [0.5, -0.5])
    assert_framed_page(net._repr_html_(), net.to_html())
    assert net.blank_count == 17  # delta^[2] (2), dC/dW^[2] (6), delta^[1] (3), dC/dW^[1] (6)


def test_the_layer_view_is_its_page_and_its_latex():
    view = nn.explain_layers(nn.MLP(2, [3, 1], activation="tanh", seed=0), [1.0, 2.0], [0.5],
                             loss="half_squared_error")
    assert_framed_page(view._repr_html_(), view.to_html())
    assert view._repr_markdown_() == view.to_markdown() and "\\delta" in view._repr_markdown_()


def test_a_recorded_history_is_the_player_and_an_unrecorded_one_its_figures():
    recorded = moons_history(record=True)
    from nn.player import to_html

    assert_framed_page(recorded._repr_html_(), to_html(recorded))
    plain = moons_history(record=False)
    cell = plain._repr_html_()
    assert "<iframe" not in cell and "<script" not in cell and "<style" not in cell
    assert [t for t, _ in tags_of(cell)].count("polyline") == 1
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", cell)
    assert cells == ["5", f"{plain.loss[0]:.4g} → {plain.loss[-1]:.4g}",
                     f"{plain.accuracy[0]:.4g} → {plain.accuracy[-1]:.4g}"]
    regression = nn.fit(nn.MLP(1, [1], seed=0), [[0.0], [1.0]], [0.0, 2.0], loss="mse", epochs=2, progress=False)
    assert "accuracy" not in regression._repr_html_()  # mse: no accuracy row


def test_the_loss_curve_goes_down_where_the_loss_does():
    from nn.history_html import CURVE_POINTS, loss_curve

    points = re.search(r"points='([^']*)'", loss_curve([3.0, 2.0, 1.0, float("nan"), 0.5]))[1].split()
    ys = [float(p.split(",")[1]) for p in points]
    assert len(points) == 4 and ys == sorted(ys)  # SVG y grows downwards: the loss falls, the line goes down
    long = re.search(r"points='([^']*)'", loss_curve([1.0 / (k + 1) for k in range(5000)]))[1].split()
    assert len(long) <= CURVE_POINTS + 1 and long[-1].startswith("314.0,")  # thinned, the last epoch kept
    assert "not a finite number" in loss_curve([float("inf")])


def test_a_check_result_is_a_table_with_its_labels_escaped():
    x = Value(3.0, label="<b>x</b>")
    y = x * x
    y.label = "y&"
    result = autograd_lite.check(y, {}, {"<b>x</b>": 1})
    cell = result._repr_html_()
    assert [t for t, _ in tags_of(cell)].count("b") == 0 and "&lt;b&gt;x&lt;/b&gt;" in cell
    assert "<script" not in cell and "✗ wrong" in cell and "<td>6</td>" in cell  # d(x^2)/dx = 2 * 3
    assert result._repr_markdown_() == result.to_markdown()


def test_an_exercise_set_shows_its_sheet():
    from nn.exercise_sheet import sheet_markdown
    from nn.exercises import make_set

    s = make_set(7, 2)
    assert s._repr_markdown_() == sheet_markdown(s) and s._repr_markdown_().count("## Question") == 2


def test_an_explanation_shows_its_steps_and_if_it_can_its_walkthrough():
    e = explain(neuron())
    assert e._repr_markdown_() == e.to_markdown()
    if not hasattr(Explanation, "_repr_html_"):
        pytest.skip("Explanation has no _repr_html_ yet (the patch in notes/h13n.md)")
    assert_framed_page(e._repr_html_(), e.to_html())


def test_the_frames_run_their_scripts_in_a_browser(browser, tmp_path):
    q = autograd_lite.quiz("x*y", {"x": 3.0, "y": -0.5})
    view = nn.explain_layers(nn.MLP(2, [3, 1], activation="tanh", seed=0), [1.0, 2.0], [0.5])
    player = moons_history(record=True)
    cells = {"quiz": q._repr_html_(), "layers": view._repr_html_(), "player": player._repr_html_(),
             "figures": moons_history(record=False)._repr_html_()}
    if hasattr(Explanation, "_repr_html_"):
        cells["walkthrough"] = explain(neuron())._repr_html_()
    body = "".join(f"<div id='{name}'>{cell}</div>" for name, cell in cells.items())
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'></head>"
                    f"<body>{body}</body></html>", encoding="utf-8")
    browser.get(path.as_uri())

    def inside(name: str):
        browser.switch_to.default_content()
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, f"#{name} iframe"))

    try:
        inside("quiz")  # d(x*y)/dx = y = -0.5: typed and checked by the page's script
        browser.find_element(By.CSS_SELECTOR, ".blank input").send_keys("-0.5" + Keys.ENTER)
        assert browser.find_element(By.ID, "progress").text.startswith("answered 1 of")
        inside("layers")  # pointing at a number lights its node and names it
        entry = browser.find_element(By.CSS_SELECTOR, "td[data-nodes]")
        browser.execute_script("arguments[0].focus()", entry)
        assert browser.find_element(By.ID, "status").text != ""
        inside("player")  # the script filled the epoch label; next moves one snapshot
        label = browser.find_element(By.ID, "epoch-label")
        first = label.text
        browser.find_element(By.ID, "next").click()
        assert first and label.text != first
        if "walkthrough" in cells:  # 4 edges: y-v2, v2-v1 (0.5 folded), v1-w, v1-x
            inside("walkthrough")
            assert browser.find_element(By.ID, "counter").text == "Step 1 of 4"
            browser.find_element(By.ID, "next").click()
            assert browser.find_element(By.ID, "counter").text == "Step 2 of 4"
    finally:
        browser.switch_to.default_content()
    figures = browser.find_element(By.ID, "figures")
    assert "epochs" in figures.text and figures.find_element(By.TAG_NAME, "svg").size["width"] == 320
    assert console_errors(browser) == []

"""The HTML walkthrough: one frame per step, self-contained, and working in a real headless Chromium."""

from __future__ import annotations

import doctest
import re
import shutil
import sys

from autograd_lite import Value, explain
from autograd_lite.teaching.walkthrough import to_html, write_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def neuron():
    x, w, b = Value(1.0, label="x"), Value(0.5, label="w"), Value(-0.2, label="b")
    n = w * x + b
    n.label = "n"
    o = (n * n + n).tanh()  # n feeds two ops (three edges): a running total to show
    o.label = "o"
    return o


def test_one_frame_per_step_with_its_numbers():
    e = explain(neuron())
    page = to_html(e)
    frames = re.findall(r'<section class="frame" ([^>]*)>', page)
    assert len(frames) == len(e.steps) == 9
    for s, attrs in zip(e.steps, frames):
        assert f'data-total="{s.total:.4g}"' in attrs
        assert ('data-final="yes"' in attrs) == s.final
    assert page.count("final ✓") == sum(s.final for s in e.steps)
    assert "1 - tanh(v3)<sup>2</sup>" in page and "1 - tanh(0.39)<sup>2</sup>" in page  # names, then numbers


def test_the_page_needs_no_network():
    page = to_html(explain(neuron()))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script src" not in page and "@import" not in page
    assert "%%" not in page  # every placeholder was filled


def test_names_are_escaped():
    x = Value(1.0, label="<script>alert(1)</script>")
    page = to_html(explain(x.exp()))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_without_dot_the_page_still_has_every_step(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    e = explain(neuron())
    page = to_html(e)
    assert "Install Graphviz" in page and "<svg" not in page
    assert page.count('<section class="frame"') == len(e.steps)


def test_write_html(tmp_path):
    path = write_html(explain(neuron()), tmp_path / "steps.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_docstring_examples():
    result = doctest.testmod(sys.modules["autograd_lite.teaching.walkthrough"], optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# --- in a real browser -----------------------------------------------------------------------
def active(driver) -> int:
    return driver.execute_script(
        "return Array.prototype.findIndex.call(document.querySelectorAll('.frame'), f => f.classList.contains('active'))")


def lit(driver) -> list[str]:
    return driver.execute_script("return Array.from(document.querySelectorAll('#diagram .current')).map(e => e.id)")


def test_walkthrough_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    e = explain(neuron())
    path = write_html(e, tmp_path / "walkthrough.html")
    browser.get(path.as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors

    frames = browser.find_elements(By.CSS_SELECTOR, ".frame")
    assert len(frames) == len(e.steps)
    assert [f.is_displayed() for f in frames].count(True) == 1 and active(browser) == 0
    counter = browser.find_element(By.ID, "counter")
    prev, nxt = browser.find_element(By.ID, "prev"), browser.find_element(By.ID, "next")
    assert counter.text == f"Step 1 of {len(e.steps)}" and not prev.is_enabled()
    assert browser.find_element(By.CSS_SELECTOR, "#diagram svg").is_displayed()
    assert frames[0].get_attribute("data-edge") in lit(browser)

    nxt.click()
    assert active(browser) == 1 and counter.text == f"Step 2 of {len(e.steps)}" and prev.is_enabled()
    assert frames[1].is_displayed() and not frames[0].is_displayed()
    assert frames[1].get_attribute("data-edge") in lit(browser)
    assert frames[0].get_attribute("data-edge") not in lit(browser)

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    assert active(browser) == 3
    body.send_keys(Keys.ARROW_LEFT)
    assert active(browser) == 2
    prev.click()
    prev.click()
    assert active(browser) == 0
    prev.click()  # already at the first step: stays there
    assert active(browser) == 0

    for _ in range(len(e.steps) + 2):
        body.send_keys(Keys.ARROW_RIGHT)
    assert active(browser) == len(e.steps) - 1 and not nxt.is_enabled()
    # at the end every node's gradient is known and drawn: the same numbers as backward()
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#diagram text.known')).map(t => t.textContent)")
    root = e.root
    root.backward()
    leaves = [line.node for line in e.forward if not line.node.inputs]
    for leaf in leaves:
        assert f"grad {leaf.grad:.4g}" in shown
    zoom = browser.find_element(By.ID, "zoom")
    following = "zoomed" in browser.find_element(By.ID, "diagram").get_attribute("class")
    zoom.click()  # "Follow the step" <-> "Whole graph"
    assert ("zoomed" in browser.find_element(By.ID, "diagram").get_attribute("class")) != following
    assert zoom.text == ("Follow the step" if following else "Whole graph")
    body.send_keys("z")
    assert ("zoomed" in browser.find_element(By.ID, "diagram").get_attribute("class")) == following
    assert active(browser) == len(e.steps) - 1  # zooming does not move the walkthrough
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
    browser.save_screenshot(str(tmp_path / "walkthrough.png"))


def test_a_big_page_without_its_diagram_in_headless_chromium(browser, tmp_path):
    """Left-out diagram, capped frames, a skipped step and hostile labels: the page still works, nothing runs."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    x = Value(5e-324, label="<img src=x onerror=alert(1)>")
    y = (0 * x.log() + neuron()) * Value(2.0, label="\\N \x1b \ud800")
    e = explain(y)
    path = tmp_path / "big.html"
    path.write_text(e.to_html(max_diagram_nodes=3, max_frames=5, title="</title><script>alert(1)</script>"),
                    encoding="utf-8")
    browser.get(path.as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
    assert browser.execute_script("return document.querySelectorAll('#diagram svg, img').length") == 0
    assert "The diagram is left out" in browser.find_element(By.ID, "diagram").text
    counter = browser.find_element(By.ID, "counter")
    assert counter.text == "Step 1 of 5"
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(10):
        body.send_keys(Keys.ARROW_RIGHT)
    assert active(browser) == 4 and counter.text == "Step 5 of 5"
    assert f"The first 5 of {len(e.steps)} steps" in browser.find_element(By.ID, "frames").text
    assert browser.title.startswith("</title><script>")
    skipped = [s.index for s in e.steps if s.skipped]
    assert skipped, "the graph has a step backward skips"
    page = path.read_text(encoding="utf-8")
    assert page.count("<script") == 1
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def test_keys_with_a_modifier_are_the_browsers_not_steps(browser, tmp_path):
    """Alt+← is the browser's Back and Ctrl/Alt+arrows its shortcuts: the page steps only on the bare keys."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    x, w = Value(1.0, label="x"), Value(0.5, label="w")
    y = (w * x).tanh()
    y.backward()
    path = tmp_path / "keys.html"
    path.write_text(explain(y).to_html(), encoding="utf-8")
    browser.get(path.as_uri())
    zoomed = lambda: "zoomed" in browser.find_element("id", "diagram").get_attribute("class")  # noqa: E731
    before = zoomed()
    for modifier in (Keys.ALT, Keys.CONTROL, Keys.META):
        for key in (Keys.ARROW_RIGHT, Keys.PAGE_DOWN, Keys.END, "z"):
            ActionChains(browser).key_down(modifier).send_keys(key).key_up(modifier).perform()
            assert active(browser) == 0 and zoomed() == before, (modifier, key)
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert active(browser) == 1  # the bare key still steps
    ActionChains(browser).send_keys("z").perform()
    assert zoomed() != before
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

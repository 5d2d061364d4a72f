"""The training player in headless Chromium: play, pause, step, scrub, keys; what changes between epochs."""

from __future__ import annotations

import time

import pytest

import nn
from nn.player import write_player
from tests.conftest import console_errors


def wait_for(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the page did not get there in time")


def moons_history() -> nn.History:
    """A recorded 24-epoch run on 60 moons points (13 snapshots): the player the page tests drive."""
    X, y = nn.datasets.make_moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [6, 5, 1], seed=0)
    return nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=24,
                  batch_size=16, seed=0, progress=False, compiled=True, record=nn.Recorder(max_snapshots=13))


@pytest.fixture(scope="module")
def moons_page(tmp_path_factory):
    history = moons_history()
    path = write_player(history, tmp_path_factory.mktemp("player") / "train.html")
    return path, history


def js(driver, script):
    return driver.execute_script(script)


def epoch(driver) -> int:
    return int(js(driver, "return document.body.dataset.epoch"))


def state(driver) -> dict:
    """What the page shows now: the marker's x, the boundary's pixels, the bars, an edge."""
    return js(driver, """
        const bars = [...document.querySelectorAll('.delta-bar')].map((b) => +b.getAttribute('height'));
        const edge = document.querySelector('.edge');
        return {marker: document.getElementById('marker').getAttribute('x1'),
                canvas: document.getElementById('boundary').toDataURL(), bars,
                width: edge.getAttribute('stroke-width'), title: edge.querySelector('title').textContent,
                label: document.getElementById('epoch-label').textContent,
                slider: document.getElementById('slider').value};""")


def press(driver, key):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()


def open_page(browser, path):
    browser.get(path.as_uri())
    console_errors(browser)  # start clean
    wait_for(lambda: js(browser, "return document.body.dataset.epoch") is not None)


def test_step_buttons_keys_and_the_slider_move_one_epoch_at_a_time(browser, moons_page):
    from selenium.webdriver.common.keys import Keys

    path, history = moons_page
    epochs = [s.epoch for s in history.recording.snapshots]
    assert epochs == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    open_page(browser, path)
    first = state(browser)
    assert epoch(browser) == 0 and "before training" in first["label"]
    browser.find_element("id", "next").click()
    assert epoch(browser) == 2
    second = state(browser)
    # each view changes with the epoch: the curves' marker, the boundary canvas, the delta bars, the edges
    assert second["marker"] != first["marker"] and second["canvas"] != first["canvas"]
    assert second["bars"] != first["bars"] and second["width"] != first["width"]
    browser.find_element("tag name", "body").click()
    press(browser, Keys.ARROW_RIGHT)
    assert epoch(browser) == 4
    press(browser, Keys.ARROW_LEFT)
    press(browser, Keys.ARROW_LEFT)
    assert epoch(browser) == 0
    press(browser, Keys.ARROW_LEFT)  # stays at the first
    assert epoch(browser) == 0
    press(browser, Keys.END)
    assert epoch(browser) == 24 and state(browser)["label"] == "epoch 24 of 24"
    browser.find_element("id", "prev").click()
    assert epoch(browser) == 22
    browser.find_element("id", "first").click()
    assert epoch(browser) == 0
    js(browser, "const s = document.getElementById('slider'); s.value = 7; s.dispatchEvent(new Event('input'))")
    assert epoch(browser) == 14 and state(browser)["slider"] == "7"
    browser.find_element("id", "last").click()
    assert epoch(browser) == 24 and state(browser)["slider"] == "12"
    assert console_errors(browser) == []


def test_play_advances_and_pause_stops(browser, moons_page):
    from selenium.webdriver.common.keys import Keys

    path, _ = moons_page
    open_page(browser, path)
    js(browser, "document.getElementById('speed').value = '25'")
    browser.find_element("id", "play").click()
    wait_for(lambda: epoch(browser) >= 4)
    assert "pause" in browser.find_element("id", "play").text
    browser.find_element("id", "play").click()  # pause
    stopped = epoch(browser)
    time.sleep(0.4)  # ten frames at 25/s
    assert epoch(browser) == stopped < 24
    browser.find_element("tag name", "body").click()
    press(browser, Keys.SPACE)  # play again from the keyboard, to the end, where it stops
    wait_for(lambda: epoch(browser) == 24)
    wait_for(lambda: "play" in browser.find_element("id", "play").text)
    time.sleep(0.2)
    assert epoch(browser) == 24
    press(browser, Keys.SPACE)  # at the end, play starts over
    wait_for(lambda: 0 < epoch(browser) < 24)
    press(browser, Keys.SPACE)
    stopped = epoch(browser)
    time.sleep(0.3)
    assert epoch(browser) == stopped
    browser.find_element("id", "first").click()
    browser.find_element("id", "play").click()  # the focus stays on the button: space pauses, once
    wait_for(lambda: epoch(browser) > 0)
    press(browser, Keys.SPACE)
    stopped = epoch(browser)
    time.sleep(0.3)
    assert epoch(browser) == stopped and "play" in browser.find_element("id", "play").text
    browser.find_element("id", "slider").click()  # on the slider the arrows step once, not twice
    at = epoch(browser)
    press(browser, Keys.ARROW_RIGHT)
    assert epoch(browser) == at + 2
    assert console_errors(browser) == []


def test_edges_carry_the_weights_and_gradients_of_the_epoch(browser, moons_page):
    path, history = moons_page
    open_page(browser, path)
    browser.find_element("id", "last").click()
    last = history.recording.snapshots[-1]
    edges = js(browser, "return [...document.querySelectorAll('.edge')].map((e) => "
                        "[e.dataset.w, e.dataset.g, e.querySelector('title').textContent])")
    W, dW = last.weights[1][0], last.grads[1][0]  # layer 2: 5 x 6
    w, g, title = edges[2 * 6 + 3 * 6 + 4]  # after layer 1's 12 edges, row k=4 (1-based) of W^2, column j=5
    assert float(w) == pytest.approx(W[3, 4], rel=1e-3) and float(g) == pytest.approx(dW[3, 4], rel=1e-3)
    assert title.startswith("W[2][4,5]: from neuron 5 of layer 1 to neuron 4 of layer 2")
    assert len(edges) == 2 * 6 + 6 * 5 + 5 * 1
    widths = js(browser, "return [...document.querySelectorAll('.edge')].map((e) => e.getAttribute('stroke-width'))")
    browser.find_element("css selector", "input[value=g]").click()  # edges show the gradients now
    assert js(browser, "return [...document.querySelectorAll('.edge')].map((e) => "
                       "e.getAttribute('stroke-width'))") != widths
    assert "dC/dw" in browser.find_element("id", "network-note").text
    neuron = js(browser, "return [...document.querySelectorAll('.neuron title')].map((t) => t.textContent)")[2]
    assert neuron.startswith("neuron 1 of layer 1") and "mean |δ|" in neuron
    assert console_errors(browser) == []


@pytest.mark.parametrize("case", ["three classes", "three inputs", "too wide to draw", "regression", "no epochs"])
def test_other_runs_give_working_pages(browser, tmp_path, case):
    if case == "three classes":
        X, y = nn.datasets.make_spirals(30, n_classes=3, noise=0.1, seed=0)
        model, loss = nn.MLP(2, [6, 3], seed=0), "cross_entropy"
    elif case == "three inputs":
        X, y = nn.datasets.make_blobs(30, centers=2, n_features=3, seed=0)
        model, loss = nn.MLP(3, [4, 1], seed=0), "bce_with_logits"
    elif case == "too wide to draw":
        X, y = nn.datasets.make_moons(30, seed=0)
        model, loss = nn.MLP(2, [40, 1], seed=0), "bce_with_logits"
    else:
        X, y = nn.datasets.make_moons(30, seed=0)
        model, loss = nn.MLP(2, [4, 1], seed=0), "mse"
        y = y.astype(float)
    if case == "no epochs":
        X, y = nn.datasets.make_moons(30, seed=0)
        model, loss = nn.MLP(2, [4, 1], seed=0), "bce_with_logits"
    history = nn.fit(model, X, y, loss=loss, epochs=0 if case == "no epochs" else 3, progress=False, record=True)
    open_page(browser, write_player(history, tmp_path / "p.html"))
    if case == "no epochs":  # one snapshot, the initial model: nothing to step to
        browser.find_element("id", "next").click()
        browser.find_element("id", "play").click()
        assert epoch(browser) == 0 and console_errors(browser) == []
        return
    before = state(browser) if case != "too wide to draw" else None
    browser.find_element("id", "next").click()
    assert epoch(browser) == 1
    if case == "three inputs":
        assert "2-D data only" in browser.find_element("id", "boundary-note").text
    elif case == "too wide to draw":
        assert "too many to draw" in browser.find_element("id", "network-note").text
    else:
        assert state(browser)["canvas"] != before["canvas"]
    if case == "regression":
        assert js(browser, "return document.getElementById('accuracy-curve') === null") is True  # no accuracy
        assert not browser.find_element("id", "acc-legend").is_displayed()
    assert console_errors(browser) == []


def _axis_labels(driver) -> list[str]:
    return js(driver, "return [...document.querySelectorAll('#curves text')].map((t) => t.textContent)")


def _clipped(driver) -> list[str]:
    """The curve labels that stick out of the curves' SVG (the loss axis label was cut: "00e-12")."""
    return js(driver, """const box = document.getElementById('curves').getBoundingClientRect();
        return [...document.querySelectorAll('#curves text')].filter((t) => {
            const r = t.getBoundingClientRect(); return r.left < box.left - 0.5 || r.right > box.right + 0.5;
        }).map((t) => t.textContent);""")


@pytest.mark.parametrize("case", ["no epochs", "large loss", "negative loss"])
def test_the_loss_axis_is_labelled_readably(browser, tmp_path, case):
    """Found by the tester: with epochs=0 the loss axis read "00e-12" (1e-12, cut at the left edge); a loss in the
    hundred thousands was cut the same way; a loss below 0 was drawn under the axis."""
    X, y = nn.datasets.make_moons(30, seed=0)
    y = y.astype(float)
    loss = {"no epochs": "mse", "large loss": "mse", "negative loss": lambda p, t: nn.mse_loss(p, t) - 5.0}[case]
    scale = 1000.0 if case == "large loss" else 1.0
    history = nn.fit(nn.MLP(2, [4, 1], seed=0), X * scale, y * scale, loss=loss,
                     epochs=0 if case == "no epochs" else 4, progress=False, record=True)
    open_page(browser, write_player(history, tmp_path / "p.html"))
    labels = _axis_labels(browser)
    assert _clipped(browser) == [] and not any("e-12" in text for text in labels)
    if case == "no epochs":
        assert "no epoch trained yet: no loss to plot" in labels
    else:
        top = max(v for v in history.loss)
        bottom = min(0.0, *history.loss)
        assert float(labels[0]) == pytest.approx(top, rel=0.05) and float(labels[1]) == pytest.approx(bottom, rel=0.05,
                                                                                                    abs=1e-9)
        ys = js(browser, "return document.getElementById('loss-curve').getAttribute('d')")
        heights = [float(point.split(",")[1]) for point in ys.replace("M", "L").split("L") if point]
        assert all(10 - 0.5 <= h <= 190 - 26 + 0.5 for h in heights)  # inside the plot, not under the axis
    assert console_errors(browser) == []


def test_keys_with_a_modifier_are_the_browsers(browser, moons_page):
    """Alt+Right, Ctrl+End: the browser's keys (Back, Forward, scrolling), never a step of the player."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_page(browser, moons_page[0])
    press(browser, Keys.ARROW_RIGHT)
    start = epoch(browser)
    for modifier, key in ((Keys.ALT, Keys.ARROW_RIGHT), (Keys.CONTROL, Keys.END), (Keys.CONTROL, Keys.ARROW_LEFT)):
        ActionChains(browser).key_down(modifier).send_keys(key).key_up(modifier).perform()
        assert epoch(browser) == start, (modifier, key)
    press(browser, Keys.ARROW_RIGHT)
    assert epoch(browser) != start  # plain keys still step
    assert console_errors(browser) == []

"""The training player in narrow windows (a docs frame, Jupyter, a tablet, a phone): at 390 and 800 px nothing
scrolls sideways and play, pause, step, scrub and the keys still work; at 1280x720 the three-column layout stays."""

from __future__ import annotations

import pytest

from nn.player import inline_player, write_player
from tests.conftest import console_errors, inside_frame, notebook_page, window
from tests.test_player_page import epoch, moons_history, press, wait_for

# every control of the page, and what it is
CONTROLS = ["first", "prev", "play", "next", "last", "slider", "speed"]

# a control is usable when it has a size, lies inside the window's width and, scrolled into view, is the element
# found at its own centre (nothing covers it); the list holds what is wrong, empty when all is well
USABLE = """
const problems = [], width = document.documentElement.clientWidth;
for (const e of arguments[0]) {
  const r = e.getBoundingClientRect(), name = e.id || e.value || e.tagName;
  if (!r.width || !r.height) { problems.push(name + ': no size'); continue; }
  if (r.left < 0 || r.right > width) { problems.push(name + ': ' + r.left + '..' + r.right + ' outside 0..' + width); }
  e.scrollIntoView({block: 'center', inline: 'nearest'});
  const s = e.getBoundingClientRect(), hit = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
  if (!(hit === e || e.contains(hit) || (hit && hit.contains(e) && hit.tagName === 'LABEL'))) {
    problems.push(name + ': covered by ' + (hit ? hit.tagName + '#' + hit.id : 'nothing'));
  }
}
window.scrollTo(0, 0);
return problems;"""

def js(driver, script, *args):
    return driver.execute_script(script, *args)


SIDEWAYS = "const e = document.documentElement; return [e.scrollWidth, e.clientWidth]"



@pytest.fixture(scope="module")
def page(tmp_path_factory):
    history = moons_history()
    folder = tmp_path_factory.mktemp("narrow")
    notebook_page(folder / "notebook.html", inline_player(history))
    return write_player(history, folder / "train.html")


def open_page(driver, path):
    driver.get(path.as_uri())
    wait_for(lambda: js(driver, "return document.body.dataset.epoch") is not None)


def boxes(driver, *ids) -> dict:
    return js(driver, "return Object.fromEntries(arguments[0].map((id) => { const r = document.getElementById(id)"
                      ".getBoundingClientRect(); return [id, [r.left, r.top, r.right, r.bottom]]; }))", list(ids))


def layer_names(driver) -> list[dict]:
    return js(driver, """const net = document.getElementById('network').getBoundingClientRect();
        return [...document.querySelectorAll('#network text.layer-name')].map((t) => { const r = t.getBoundingClientRect();
            return {text: t.textContent, left: r.left - net.left, right: net.right - r.right, x0: r.left, x1: r.right}; });""")


@pytest.mark.parametrize("width", [390, 800])
def test_a_narrow_window_does_not_scroll_sideways_and_every_control_works(browser, page, width):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    console_errors(browser)
    with window(browser, width, 844 if width == 390 else 720):
        open_page(browser, page)
        scroll, client = js(browser, SIDEWAYS)
        assert scroll <= client, f"at {width} px the page is {scroll} px wide in a {client} px window (was 853)"
        controls = [browser.find_element("id", name) for name in CONTROLS]
        radios = browser.find_elements("css selector", "input[name=edges]")
        assert js(browser, USABLE, controls + radios) == []
        # the pictures fit the window and are not shrunk to nothing
        views = boxes(browser, "boundary", "network", "curves", "deltas", "slider")
        for name, (left, _, right, _) in views.items():
            assert left >= 0 and right <= client, (name, left, right, client)
        assert views["boundary"][2] - views["boundary"][0] >= 280 and views["network"][2] - views["network"][0] >= 300
        assert views["slider"][2] - views["slider"][0] >= (300 if width == 390 else 180)  # room to scrub
        names = layer_names(browser)  # the layer names under the network are whole and apart
        assert len(names) == 4 and all(n["left"] >= 0 and n["right"] >= 0 for n in names), names
        assert all(a["x1"] + 2 <= b["x0"] for a, b in zip(names, names[1:])), names

        slider_at = browser.find_element("id", "slider").rect
        browser.find_element("id", "next").click()
        assert epoch(browser) == 2
        browser.find_element("id", "last").click()
        assert epoch(browser) == 24
        assert browser.find_element("id", "slider").rect == slider_at or width == 800  # the label's length: no jump
        browser.find_element("id", "prev").click()
        assert epoch(browser) == 22
        browser.find_element("id", "first").click()
        assert epoch(browser) == 0
        js(browser, "document.getElementById('speed').value = '25'")
        browser.find_element("id", "play").click()
        wait_for(lambda: epoch(browser) >= 4)
        browser.find_element("id", "play").click()  # pause
        stopped = epoch(browser)
        assert 4 <= stopped < 24 and "play" in browser.find_element("id", "play").text
        # scrub with the mouse: drag the thumb to the right end, then click the middle
        slider = browser.find_element("id", "slider")
        half = slider.rect["width"] / 2
        ActionChains(browser).click_and_hold(slider).move_to_element_with_offset(slider, int(half) - 2, 0).release() \
            .perform()
        assert epoch(browser) == 24
        ActionChains(browser).move_to_element(slider).click().perform()
        assert epoch(browser) == 12
        browser.find_element("css selector", "input[value=g]").click()
        assert "dC/dw" in browser.find_element("id", "network-note").text
        browser.find_element("tag name", "h1").click()
        press(browser, Keys.ARROW_RIGHT)
        assert epoch(browser) == 14
        press(browser, Keys.HOME)
        assert epoch(browser) == 0
        assert js(browser, SIDEWAYS)[0] <= client  # still, after all that
    assert console_errors(browser) == []


@pytest.mark.parametrize("width", [390, 320])
def test_a_phone_does_not_scroll_sideways(browser, page, width):
    """A phone (the viewport tag, overlay scroll bars): the page is the phone's width, every control in reach."""
    with window(browser, width, 844, mobile=True):
        open_page(browser, page)
        assert js(browser, SIDEWAYS) == [width, width]
        assert js(browser, USABLE, [browser.find_element("id", name) for name in CONTROLS]) == []
    assert console_errors(browser) == []


def test_at_1280x720_the_layout_is_the_wide_one(browser, page):
    """Three columns side by side under a one-row header, the whole page in the window, the network 500 high in its
    470 px box, the layer names in full: as before the page learnt to reflow."""
    open_page(browser, page)
    assert js(browser, "return [innerWidth, innerHeight]") == [1280, 720]
    assert js(browser, "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight]") == [1280, 720]
    b = boxes(browser, "boundary-panel", "network", "curves", "deltas", "first", "speed")
    tops = js(browser, "return ['boundary', 'network', 'curves'].map((id) => "
                       "document.getElementById(id).closest('section').getBoundingClientRect().top)")
    assert tops[0] == tops[1] == tops[2]  # the three columns start at the same height
    assert b["boundary-panel"][2] < b["network"][0] < b["network"][2] < b["curves"][0]
    assert max(b["first"][3], b["speed"][3]) < 45  # the header is one row: the first button and the speed menu
    assert b["network"][3] - b["network"][1] == 470
    assert js(browser, "return document.getElementById('network').getAttribute('viewBox')").endswith(" 500")
    assert js(browser, "return document.getElementById('boundary').getBoundingClientRect().width") == 306
    assert browser.find_element("css selector", ".keys").is_displayed()
    assert [n["text"] for n in layer_names(browser)] == ["inputs (layer 0)", "layer 1", "layer 2", "output (layer 3)"]
    assert console_errors(browser) == []


def test_the_network_is_laid_out_again_when_the_window_changes(browser, page):
    """A phone turned or a frame resized: the network's drawing takes the new width; the page keeps working."""
    open_page(browser, page)
    browser.find_element("id", "last").click()
    wide = js(browser, "return document.getElementById('network').getAttribute('viewBox')")
    with window(browser, 390, 844):
        wait_for(lambda: js(browser, "return document.getElementById('network').getAttribute('viewBox')") != wide)
        width = js(browser, "return document.getElementById('network').getBoundingClientRect().width")
        drawn = float(js(browser, "return document.getElementById('network').getAttribute('viewBox')").split()[2])
        assert width < 400 and drawn == pytest.approx(width, abs=1)  # drawn for the box it is in: not scaled down
        assert epoch(browser) == 24 and len(browser.find_elements("css selector", ".edge")) == 2 * 6 + 6 * 5 + 5
        assert len(browser.find_elements("css selector", "#network text.layer-name")) == 4
        widths = {e.get_attribute("stroke-width") for e in browser.find_elements("css selector", ".edge")}
        assert len(widths) > 5  # the edges carry the epoch's weights again, not the blank of a fresh layout
        browser.find_element("id", "prev").click()
        assert epoch(browser) == 22
    wait_for(lambda: js(browser, "return document.getElementById('network').getAttribute('viewBox')") == wide)
    assert console_errors(browser) == []


def test_in_a_narrow_notebook_the_player_fits_its_frame(browser, page):
    """Jupyter shows the player in an iframe as wide as the output: the page inside reflows to the frame."""
    with window(browser, 390, 844):
        browser.get((page.parent / "notebook.html").as_uri())
        with inside_frame(browser):
            wait_for(lambda: js(browser, "return document.body.dataset.epoch") is not None)
            scroll, client = js(browser, SIDEWAYS)
            assert scroll <= client < 390
            browser.find_element("id", "last").click()
            assert epoch(browser) == 24
        assert js(browser, SIDEWAYS)[0] <= 390
    assert console_errors(browser) == []

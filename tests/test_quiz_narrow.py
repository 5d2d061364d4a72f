"""The quiz page in narrow windows (a phone, a docs frame, a narrow notebook): at 390 and 800 px nothing scrolls
sideways, and typing, Enter, Shift+Enter, Ctrl+Enter and the buttons still work; at 1280 the layout is the wide one."""

from __future__ import annotations

import pytest
from conftest import console_errors, inside_frame, notebook_page, window
from test_quiz import answer_first_box, open_page, state

from autograd_lite import Blank, Question, Quiz, quiz

By = pytest.importorskip("selenium.webdriver.common.by").By
Keys = pytest.importorskip("selenium.webdriver.common.keys").Keys

SIDEWAYS = "const e = document.documentElement; return [e.scrollWidth, e.clientWidth]"

# each element: has a size, lies inside the window's width and, scrolled into view, is what the window shows at
# its centre (no sticky header or neighbour covers it); the list names what is wrong
USABLE = """
const problems = [], width = document.documentElement.clientWidth;
for (const e of arguments[0]) {
  const r = e.getBoundingClientRect(), name = (e.id || e.className || e.tagName) + ' of ' + e.closest('.blank, header, .panel').className;
  if (!r.width || !r.height) { problems.push(name + ': no size'); continue; }
  if (r.left < 0 || r.right > width) { problems.push(name + ': ' + r.left + '..' + r.right + ' outside 0..' + width); }
  e.scrollIntoView({block: 'center', inline: 'nearest'});
  const s = e.getBoundingClientRect(), hit = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
  if (!(hit === e || e.contains(hit))) { problems.push(name + ': covered by ' + (hit ? hit.tagName : 'nothing')); }
}
window.scrollTo(0, 0);
return problems;"""

# what sticks out past the window's right edge (a clipped hint, a label): the page may not scroll, yet hide it
PAST_THE_EDGE = """
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll('main *, header *')].filter((e) => e.offsetParent !== null
    && e.getBoundingClientRect().right > width + 0.5).map((e) => e.tagName + '.' + e.className);"""

LONG = ("W^[1] = [[0.688844, 0.515909, -0.158857], [-0.482166, 0.0225494, -0.190132], [0.567597, -0.393375, "
        "-0.0468061]] (3 x 3: row k, column j holds w_jk^[1])")



def visible(browser, element) -> bool:
    """On screen now, top to bottom, and not under anything (the sticky header covered boxes once)."""
    return browser.execute_script("""const e = arguments[0], r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return r.top >= 0 && r.bottom <= innerHeight && (hit === e || e.contains(hit));""", element)


@pytest.mark.parametrize("width", [390, 800])
def test_a_narrow_window_does_not_scroll_sideways_and_the_boxes_work(browser, tmp_path, width):
    q = quiz("tanh(w*x + b)", {"x": 1.0, "w": 0.5, "b": -0.2})
    answers = [b.answer for question in q.questions for b in question.blanks]
    console_errors(browser)
    with window(browser, width, 844 if width == 390 else 720):
        blanks = open_page(browser, tmp_path / "quiz.html", q)
        scroll, client = browser.execute_script(SIDEWAYS)
        assert scroll <= client, f"at {width} px the page is {scroll} px wide in a {client} px window (was 602)"
        controls = browser.find_elements(By.CSS_SELECTOR, ".blank input, .blank button")
        assert len(controls) == 4 * 10 and browser.execute_script(USABLE, controls) == []
        if width == 390:  # a header that stays put would take a sixth of a phone's screen, half with its keyboard up
            assert browser.execute_script("return getComputedStyle(document.querySelector('header')).position") \
                == "static"
        box_width = blanks[0].find_element(By.TAG_NAME, "input").rect["width"]
        assert box_width >= 110, f"the answer box is {box_width} px wide"  # room for -0.0468061

        boxes = [b.find_element(By.TAG_NAME, "input") for b in blanks]
        boxes[0].click()
        boxes[0].send_keys(f"{answers[0]:.5g}" + Keys.ENTER)  # right: the focus moves on, to a box in view
        assert state(blanks[0]) == "right" and browser.switch_to.active_element == boxes[1]
        assert visible(browser, boxes[1])
        boxes[1].send_keys("12345" + Keys.ENTER)  # wrong: stay, and the message fits the window
        assert state(blanks[1]) == "wrong" and browser.switch_to.active_element == boxes[1]
        boxes[1].send_keys(Keys.SHIFT + Keys.ENTER)
        hint = blanks[1].find_element(By.CSS_SELECTOR, ".hint")
        assert hint.is_displayed() and "∂y/∂v2" in hint.text
        boxes[1].send_keys(Keys.CONTROL + Keys.ENTER)
        assert state(blanks[1]) == "revealed" and blanks[1].find_element(By.CSS_SELECTOR, ".solution").is_displayed()
        # the buttons, with real clicks (a covered or clipped button raises)
        blanks[2].find_element(By.CSS_SELECTOR, "button.show-hint").click()
        assert blanks[2].find_element(By.CSS_SELECTOR, ".hint").is_displayed()
        boxes[2].send_keys(f"{answers[2]:.6g}")
        blanks[2].find_element(By.CSS_SELECTOR, "button.check").click()
        assert state(blanks[2]) == "right"
        blanks[3].find_element(By.CSS_SELECTOR, "button.reveal").click()
        assert state(blanks[3]) == "revealed"
        assert browser.find_element(By.ID, "score").text == "Right the first time: 2 of 10"
        assert browser.find_element(By.ID, "progress").text == "answered 4 of 10"
        assert browser.execute_script(SIDEWAYS)[0] <= client  # hints, messages and answers shown: still none
        assert browser.execute_script(PAST_THE_EDGE) == []
    assert console_errors(browser) == []


def test_long_lines_and_a_phone(browser, tmp_path):
    """nn.quiz's matrices as given lines, a long label and hint, a long title: on 390 and 320 px phones they wrap."""
    long_blank = Blank("∂C/∂w_jk^[1] for j = 3, k = 3, the last entry of ∂C/∂W^[1]", -0.0468061, hint=LONG,
                       solution=LONG)
    q = Quiz("A quiz with a long title: " + "backpropagation through a 3-3-2 network " * 2,
             (Question("Layer 1: " + LONG, (long_blank, Blank("b", 1.0)), (LONG, LONG)),), (LONG,))
    for width, mobile in ((390, False), (390, True), (320, True)):
        with window(browser, width, 844, mobile=mobile):
            blanks = open_page(browser, tmp_path / "quiz.html", q)
            blanks[0].find_element(By.CSS_SELECTOR, "button.show-hint").click()
            blanks[0].find_element(By.CSS_SELECTOR, "button.reveal").click()
            scroll, client = browser.execute_script(SIDEWAYS)
            assert scroll <= client and client == (width if mobile else width - 15)
            controls = browser.find_elements(By.CSS_SELECTOR, ".blank input, .blank button")
            assert browser.execute_script(USABLE, controls) == []
            if width == 320:  # the smallest phones: the box has a row of its own
                assert blanks[1].find_element(By.TAG_NAME, "input").rect["width"] >= 250
            assert browser.execute_script(PAST_THE_EDGE) == []
            box = blanks[1].find_element(By.TAG_NAME, "input")
            box.send_keys("1" + Keys.ENTER)
            assert state(blanks[1]) == "right"
    assert console_errors(browser) == []


def test_at_1280_the_layout_is_the_wide_one(browser, tmp_path):
    """Label left, box and buttons right on one row; the header stays on screen while the page scrolls."""
    blanks = open_page(browser, tmp_path / "quiz.html", quiz("x*y", {"x": 3.0, "y": -0.5}))
    assert browser.execute_script("return innerWidth") == 1280
    label = blanks[0].find_element(By.TAG_NAME, "label").rect
    box = blanks[0].find_element(By.TAG_NAME, "input").rect
    answer = blanks[0].find_element(By.CSS_SELECTOR, "button.reveal").rect
    assert label["x"] + label["width"] < box["x"] and abs(label["y"] - box["y"]) < box["height"]
    assert box["width"] == 160 and answer["x"] + answer["width"] == pytest.approx(1076, abs=1)  # the card's right
    assert browser.execute_script("return getComputedStyle(document.querySelector('header')).position") == "sticky"
    assert browser.execute_script("return document.querySelector('main').getBoundingClientRect().width") == 960
    assert console_errors(browser) == []


def test_in_a_narrow_notebook_the_quiz_fits_its_frame(browser, tmp_path):
    q = quiz("x*y", {"x": 3.0, "y": -0.5})
    with window(browser, 390, 844):
        browser.get(notebook_page(tmp_path / "notebook.html", q._repr_html_()).as_uri())
        with inside_frame(browser):
            scroll, client = browser.execute_script(SIDEWAYS)
            assert scroll <= client < 390
            assert answer_first_box(browser, "-0.5") == "right"
    assert console_errors(browser) == []

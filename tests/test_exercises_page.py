"""The HTML exercise sheet: self-contained, and read in headless Chromium without a console error, with every
question, every matrix and every given value on the page."""

from __future__ import annotations

import re

import pytest
from conftest import console_errors

from nn.exercise_sheet import sheet_html
from nn.exercises import make_set


@pytest.mark.parametrize("kind", ["expression", "network"])
def test_the_sheet_needs_no_network_and_escapes_nothing_twice(kind):
    page = sheet_html(make_set(3, 10, kind))
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page) and "<script" not in page and "@import" not in page
    assert "&amp;lt;" not in page and "$" not in page  # HTML maths, no LaTeX left for a renderer we do not ship


@pytest.mark.parametrize("kind", ["expression", "network"])
def test_the_sheet_in_headless_chromium(browser, tmp_path, kind):
    s = make_set(3, 6, kind)
    path = tmp_path / f"sheet-{kind}.html"
    path.write_text(sheet_html(s), encoding="utf-8")
    browser.get(path.as_uri())
    assert console_errors(browser) == []
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert headings == [f"Question {i}" for i in range(1, 7)]
    body = browser.find_element("tag name", "body").text
    if kind == "network":
        matrices = browser.find_elements("css selector", "table.matrix")
        assert len(matrices) == 6 * 6  # W^[1], b^[1], W^[2], b^[2], x, y per question
        q = s.questions[0].exercise
        first = [[float(td.text) for td in tr.find_elements("tag name", "td")]
                 for tr in matrices[0].find_elements("tag name", "tr")]
        assert first == q.layers[0][0].tolist()  # W^[1] is n_1 x n_0, as in notes 003/004
        assert "row k, column j holds w" in body and "jk" in body
    else:
        for q in s.questions:
            assert f"f = {q.exercise.expression}" in body
            for t in q.exercise.table:
                assert f"{t.text} ≈ {t.shown}" in body
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1280  # readable at 1280x720 without scrolling sideways
    browser.save_screenshot(str(tmp_path / f"sheet-{kind}.png"))

"""Pictures as a browser shows them: every character Graphviz measured is drawn where Graphviz put it.

Graphviz writes each run of a label between two tags (``Σ<SUB>j</SUB> w<SUB>j1</SUB>``) as its own SVG ``<text>``
at a fixed x. A browser drops the space at either end of a ``<text>`` unless told to keep it, so the notes'
labels read "Σⱼw  ⱼ₁" (w against the j, a gap after it) in the walkthrough and in a ``render``-ed .svg.
"""

from __future__ import annotations

import re

import pytest
from conftest import console_errors
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Value, draw, explain, render
from autograd_lite.teaching.diagram import keep_svg_spaces

pytestmark = pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="needs Graphviz's dot")

TEXTS = re.compile(r"<text\b([^>]*)>([^<]*)</text>")


def mlp_loss():
    m = nn.MLP(2, [3, 1], activation="tanh", seed=3)
    loss = nn.half_squared_error(m([0.5, -1.5]), 0.7)
    loss.backward()
    return m, loss


def unkept(svg: str) -> list[str]:
    """The ``<text>`` runs with a space at an end that a browser would drop."""
    return [text for attrs, text in TEXTS.findall(svg)
            if text != text.strip(" ") and 'xml:space="preserve"' not in attrs]


def test_the_fix_itself():
    assert keep_svg_spaces('<text x="1"> w</text><textPath>') == '<text xml:space="preserve" x="1"> w</text><textPath>'
    assert keep_svg_spaces('<text xml:space="preserve"> a</text>') == '<text xml:space="preserve"> a</text>'


def test_a_rendered_network_svg_keeps_every_space(tmp_path):
    m, loss = mlp_loss()
    for collapse in (False, True):
        path = render(draw(loss, model=m, collapse=collapse), tmp_path / f"net{collapse}.svg")
        svg = path.read_text(encoding="utf-8")
        runs = [text for _, text in TEXTS.findall(svg)]
        assert collapse or " w" in runs  # the case itself: "Σ_j w_j1^[1] x_j" is split around its subscripts
        assert unkept(svg) == [], unkept(svg)[:5]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(["z_1^[2]", "w_21^[1]", "x_j", "Σ_j", " ", "+", "a b", "yhat_1", "&", "<"]),
                min_size=1, max_size=6))
def test_any_label_split_around_sub_and_superscripts_keeps_its_spaces(tmp_path_factory, parts):
    x = Value(1.5, label="".join(parts))
    path = render(draw((x * 2).tanh()), tmp_path_factory.mktemp("svg") / "y.svg")
    assert unkept(path.read_text(encoding="utf-8")) == []


def test_the_walkthrough_diagram_draws_every_character(browser, tmp_path):
    """In Chromium: each <text> of the MLP's diagram lays out all its characters (a dropped space is one fewer)."""
    m, loss = mlp_loss()
    path = tmp_path / "mlp.html"
    path.write_text(explain(loss).to_html(), encoding="utf-8")
    browser.get(path.as_uri())
    assert console_errors(browser) == []
    found = browser.execute_script("""
        var out = {lost: [], texts: 0};
        document.querySelectorAll('#diagram svg text').forEach(function (t) {
          out.texts += 1;
          if (t.getNumberOfChars() !== t.textContent.length) out.lost.push(t.textContent);
        });
        return out;""")
    assert found["texts"] > 100
    assert found["lost"] == [], found["lost"][:5]


def test_the_svg_a_notebook_or_pipe_shows_keeps_every_space():
    """Jupyter shows a draw() inline through the graphviz package's SVG, not render(): the same fix must hold."""
    m, loss = mlp_loss()
    for graph in (draw(loss, model=m), draw(loss, model=m, collapse=True), draw(loss, model=m).copy()):
        inline = graph._repr_mimebundle_(include=["image/svg+xml"])["image/svg+xml"]
        piped = graph.pipe(format="svg").decode("utf-8")
        assert unkept(inline) == [] and unkept(piped) == [] and unkept(graph.pipe(format="svg", encoding="utf-8")) == []
        assert graph.pipe(format="dot")[:7] == b"digraph"  # other formats untouched

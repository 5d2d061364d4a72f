"""Any text a user can set renders everywhere: labels, parameter names, hand-made op symbols, page titles.

Random text includes what breaks each output: Graphviz's escapes (\\N, \\G, a trailing backslash), quotes,
control characters, lone surrogates, HTML, Markdown and LaTeX syntax, and labels longer than dot reads.
Diagrams go through the real ``dot``; pages are parsed to check that no user text became markup.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
import nn
from autograd_lite import Value, draw, explain, render
from autograd_lite.teaching import labels
from autograd_lite.teaching.formatting import node_names

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SPECIAL = ["\\", "\\N", "\\G", "\\L", "\\\\", "end\\", '"', "'", "<", ">", "&", "&amp;", "&#92;",
           "<img src=x onerror=alert(1)>", "`<img src=x onerror=alert(1)>`", "</script>", "]]>", "-->",
           "|", "$", "`", "*", "_", "{", "}", "%", "#", "^", "~", "[x](javascript:alert(1))",
           "\x00", "\x1b", "\x1b[31m", "\n", "\r", "\t", "\x7f", "\x85", "\u2028", "\u202e", "\ud800", "\udfff",
           "\ufffe", "\uffff", "\\x1b", "cluster", "graph", "node", "%3", "@@1@@"]
any_char = st.characters(exclude_categories=())  # surrogates and control characters included
piece = st.one_of(st.sampled_from(SPECIAL), st.text(any_char, max_size=10))
label_text = st.one_of(
    st.lists(piece, max_size=5).map("".join),
    st.builds(lambda s, n: s * n, st.text(any_char, min_size=1, max_size=4), st.integers(1000, 9000)),  # 16k+
)
label_lists = st.lists(label_text, min_size=1, max_size=5)
SOME = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hand_made(x: Value, symbol: str) -> Value:
    """A node made micrograd's way: its _op text is the user's."""
    out = Value(2.0 * x.data, (x,), symbol)

    def _backward() -> None:
        x.grad += 2.0 * out.grad
    out._backward = _backward
    return out


def graph_with(texts: list[str]) -> tuple[Value, list[Value], list[tuple[str, Value]]]:
    """Every text as a leaf's label, a result's label, a hand-made op's symbol and a parameter's name."""
    leaves = [Value(0.1 * (i + 1), label=t) for i, t in enumerate(texts)]
    results = []
    for t, x in zip(texts, leaves):
        r = hand_made(x, t).tanh()
        r.label = t[::-1]
        results.append(r)
    root = ag.sum(results) * leaves[0]
    root.label = texts[-1]
    root.backward()
    named = [(f"{t}.w.0", x) for t, x in zip(texts, leaves)] + [(f"layers.{t}.neurons.0.b", results[0])]
    return root, leaves, named


def svg_text(path) -> str:
    return "".join(ET.parse(path).getroot().itertext())  # parses: the SVG is well-formed XML


@needs_dot
@SOME
@given(texts=label_lists)
def test_every_diagram_renders_with_dot(texts, tmp_path_factory):
    root, leaves, named = graph_with(texts)
    folder = tmp_path_factory.mktemp("svg")
    for k, graph in enumerate([draw(root), draw(root, model=named, color_by="magnitude", highlight=leaves[0])]):
        graph.source.encode("utf-8")
        shown = svg_text(render(graph, folder / f"g{k}.svg"))
        for t in texts:  # a short printable label is shown as typed: \N stays \N, &amp; stays &amp;
            if t and len(t) <= 12 and t.isascii() and t.isprintable() and " " not in t:
                assert t in shown, (t, shown[:300])


@needs_dot
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=label_text)
def test_a_collapsed_model_with_any_parameter_names_renders(prefix, tmp_path_factory):
    model = nn.MLP(2, [2, 1], seed=0)
    loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
    loss.backward()
    named = [(f"{prefix}.{n}", v) for n, v in model.named_parameters()]
    folder = tmp_path_factory.mktemp("collapsed")
    render(draw(loss, model=named, collapse=True), folder / "c.svg")
    render(draw(loss, model=named), folder / "m.svg")


class Tags(HTMLParser):
    """Every element and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


PAGE_TAGS = {"html", "head", "meta", "link", "title", "style", "body", "header", "h1", "h2", "button", "span",
             "main", "div", "section", "p", "table", "tr", "th", "td", "br", "sup", "details", "summary", "script",
             "code", "b", "sub", "label", "select", "option"}  # sub: the notes' indices; select: the page's scale
SVG_TAGS = {"svg", "g", "title", "text", "polygon", "path", "ellipse", "a", "polyline"}


def assert_no_user_markup(page: str, diagram: bool) -> None:
    page.encode("utf-8")  # no lone surrogate left
    parsed = Tags()
    parsed.feed(page)
    assert set(parsed.tags) <= PAGE_TAGS | (SVG_TAGS if diagram else set()), set(parsed.tags) - PAGE_TAGS
    assert parsed.tags.count("script") == 1
    assert not [a for a in parsed.attributes if a.startswith("on")], "an event handler came from a label"


@SOME
@given(texts=label_lists, title=label_text)
def test_pages_show_user_text_as_text(texts, title):
    root, _, _ = graph_with(texts)
    e = explain(root)
    assert_no_user_markup(e.to_html(title=title, max_diagram_nodes=0), diagram=False)


@needs_dot
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=label_lists)
def test_pages_with_their_diagram(texts):
    root, _, _ = graph_with(texts)
    page = explain(root).to_html()
    assert "<svg" in page and "could not be drawn" not in page
    assert_no_user_markup(page, diagram=True)


def unescaped(text: str, char: str) -> int:
    """How often ``char`` occurs in Markdown ``text`` without a backslash escaping it."""
    return len(re.findall(rf"(?<!\\)(?:\\\\)*{re.escape(char)}", text))


@SOME
@given(texts=label_lists)
def test_markdown_and_text_show_user_text_as_text(texts):
    root, _, _ = graph_with(texts)
    e = explain(root)
    md = e.to_markdown()
    md.encode("utf-8")
    assert "<" not in md.replace("<code>", "").replace("</code>", ""), "raw < from a label"
    assert md.count("<code>") == md.count("</code>")
    assert unescaped(md, "`") == 0, "a backtick could open a code span"
    for line in md.splitlines():
        if line.startswith("| "):
            assert unescaped(line, "|") == 4, line  # three cells, whatever the labels hold
        assert unescaped(line, "$") % 2 == 0, line  # every formula closed
    text = e.to_text()
    text.encode("utf-8")
    flat = text.replace("\n", "")
    assert labels.printable(flat) == flat, "a control character got out"
    assert max(len(line.name) for line in e.forward) <= labels.NAME_LIMIT + 6


@given(texts=st.lists(label_text, min_size=2, max_size=6, unique=True))
@settings(max_examples=100, deadline=None)
def test_different_labels_keep_different_names(texts):
    leaves = [Value(1.0, label=t) for t in texts if t]
    names = node_names(leaves)
    assert len({names[v] for v in leaves}) == len(leaves)


def test_long_labels_are_cut_in_the_middle_and_stay_apart():
    a = Value(1.0, label="layers.0." + "x" * 20_000 + ".w.1")
    b = Value(1.0, label="layers.0." + "x" * 20_000 + ".w.2")
    names = node_names([a, b])
    assert names[a].startswith("layers.0.x") and names[a].endswith("x.w.1") and "…" in names[a]
    assert names[b].endswith(".w.2") and len(names[a]) == labels.NAME_LIMIT
    c, d = Value(1.0, label="y" * 100 + "a" + "z" * 100), Value(1.0, label="y" * 100 + "b" + "z" * 100)
    assert node_names([c, d])[d] == node_names([c, d])[c] + " (2)"  # cut alike: told apart by a number


@needs_dot
def test_graphviz_escapes_show_as_typed(tmp_path):
    x = Value(1.0, label="\\N")
    y = x.exp()
    y.label = "\\G"
    shown = svg_text(render(draw(y, model=[("end\\.w", x)]), tmp_path / "y.svg"))
    assert "\\N" in shown and "\\G" in shown and "end\\" in shown


def test_the_markdown_of_a_label_with_backticks_and_html_has_no_html():
    x = Value(2.0, label="`<img src=x onerror=alert(1)>`")
    md = explain(x.exp()).to_markdown()
    assert "<img" not in md and r"\mathrm{\grave{}\lt{}img\ src=x\ onerror=alert(1)\gt{}\grave{}}" in md


@pytest.mark.parametrize("text", SPECIAL)
def test_each_escaper_takes_any_text(text):
    for escape in (labels.dot_html, labels.dot_text, labels.html_text, labels.markdown, labels.latex, labels.name):
        escape(text * 3).encode("utf-8")
    assert "<" not in labels.markdown(text) + labels.latex(text) + labels.html_text(text) + labels.dot_html(text)
    assert not re.search(r"(?<!\\)(?:\\\\)*\\$", labels.dot_text(text)), "an odd backslash at the end"


def test_a_parameter_name_with_unicode_digits_is_no_index():
    model = nn.MLP(2, [2, 1], seed=0)
    loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
    named = [(name.replace("0", "¹"), v) for name, v in model.named_parameters()]  # "¹".isdigit() is True
    assert "(layers.¹" in draw(loss, model=named, collapse=True).source  # a name, drawn, not an int() error
    assert "cluster_layers__" in draw(loss, model=named).source


def test_names_that_once_broke_draw_sort_and_nest_in_bounded_time():
    """A 4,301-digit index broke int() (CI, stop 14); a name with 5,000 dots made 5,000 nested boxes (18 GB)."""
    from autograd_lite.teaching.clusters import MAX_NESTING, ancestors, natural_key

    assert sorted(["n.10", "n.9", "n." + "0" * 4301, "n.0010"], key=natural_key) == \
        ["n." + "0" * 4301, "n.9", "n.10", "n.0010"]
    assert len(ancestors("." * 5000)) == MAX_NESTING
    assert ancestors("a.0.b.3") == ["a.0"]

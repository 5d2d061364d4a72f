"""The documentation site has room for the pages it embeds (the walkthrough, the quizzes, the training player).

At 1280x720 material's default layout left a 574 px frame in the tour notebook, so the player (853 px) and the
quizzes (602 px) scrolled sideways inside their frames. ``mkdocs.yml`` now puts the toc into the left sidebar
(``toc.integrate``), drops the notebook's prompt column (``no_prompt``) and adds ``docs/stylesheets/wide-pages.css``.

Building the whole site takes a minute (it executes the tour), so the browser test builds a small site instead,
in a temporary folder, from the project's own theme, stylesheets, Markdown extensions and mkdocs-jupyter options:
a Markdown page that embeds the real walkthrough as ``docs/chain-rule.md`` does, and a notebook (not executed: its
outputs are written here) whose outputs are the real player and quiz frames. It is opened in headless Chromium at
1280x720, 800x720 and 390x844 and measured. It is skipped when the docs extra (mkdocs) is not installed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import console_errors, window

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PLAYER_WIDTH = 853  # the training player's narrowest layout, in CSS px (nn/player.html)
CELL_PADDING = 48  # a notebook output is this much narrower than the column, at most (the prompts took 114 px more)

yaml = pytest.importorskip("yaml", reason="PyYAML comes with the docs extra (pip install -e .[docs])")


def project_config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_embedded_page_in_the_docs_uses_the_stylesheets_frame():
    frames = {path.name: re.findall(r"<iframe\b[^>]*>", path.read_text(encoding="utf-8"))
              for path in sorted(DOCS.glob("*.md"))}
    assert frames["chain-rule.md"], "docs/chain-rule.md embeds the walkthrough"
    for name, tags in frames.items():
        for tag in tags:
            assert 'class="page-frame"' in tag, f"{name}: {tag} (docs/stylesheets/wide-pages.css sizes .page-frame)"
            assert not re.search(r"\s(width|height)=", tag), f"{name}: {tag} fixes its size; the stylesheet sets it"
            assert "title=" in tag, f"{name}: {tag} has no title for screen readers"


def test_the_stylesheet_is_wired_into_the_site():
    config = project_config()
    for sheet in config["extra_css"]:
        assert (DOCS / sheet).is_file(), f"mkdocs.yml extra_css names docs/{sheet}, which does not exist"
    assert "stylesheets/wide-pages.css" in config["extra_css"]
    assert "toc.integrate" in config["theme"]["features"]
    jupyter = next(p["mkdocs-jupyter"] for p in config["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p)
    assert jupyter["no_prompt"] is True
    css = (DOCS / "stylesheets" / "wide-pages.css").read_text(encoding="utf-8")
    grid = re.search(r"\.md-grid\s*\{\s*max-width:\s*([\d.]+)rem", css)
    assert grid and float(grid.group(1)) * 20 >= 1280, "the grid must span a 1280 px window (material's root: 20 px)"


def notebook_with_outputs(cells: list[tuple[str, str]]):
    """A notebook whose code cells already hold their HTML outputs ((source, html) pairs), as if run."""
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("# Frames in a notebook"))
    for count, (source, html) in enumerate(cells, start=1):
        output = nbformat.v4.new_output("execute_result", data={"text/html": html}, execution_count=count)
        notebook.cells.append(nbformat.v4.new_code_cell(source, execution_count=count, outputs=[output]))
    return nbformat.writes(notebook)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    """The small site, built strict with the project's theme, stylesheets, extensions and notebook options."""
    pytest.importorskip("material", reason="mkdocs-material comes with the docs extra (pip install -e .[docs])")
    pytest.importorskip("mkdocs_jupyter", reason="mkdocs-jupyter comes with the docs extra (pip install -e .[docs])")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import autograd_lite
    import nn
    from autograd_lite import Value, explain

    folder = tmp_path_factory.mktemp("docs-site")
    docs = folder / "docs"
    docs.mkdir()
    for sheet in project_config()["extra_css"]:
        (docs / sheet).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DOCS / sheet, docs / sheet)
    x, w, b = Value(1.0, label="x"), Value(0.5, label="w"), Value(-0.2, label="b")
    y = (w * x + b).tanh()
    y.label = "y"
    y.backward()
    (docs / "walkthrough.html").write_text(explain(y).to_html(), encoding="utf-8")
    frame = re.search(r"<iframe\b[^>]*></iframe>", (DOCS / "chain-rule.md").read_text(encoding="utf-8")).group(0)
    (docs / "frame.md").write_text(f"# One page, embedded\n\n{frame.replace('generated/', '')}\n", encoding="utf-8")

    features, labels = nn.datasets.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = nn.fit(model, features, labels, loss="bce_with_logits", epochs=2, batch_size=16, seed=0,
                     progress=False, record=True)
    quiz = autograd_lite.quiz("tanh(w*x + b)", {"x": 1, "w": 0.5, "b": -0.2})
    network_quiz = nn.quiz(nn.MLP(2, [3, 2], activation="tanh", seed=1), [1.0, -2.0], [0.5, -0.5])
    (docs / "tour.ipynb").write_text(notebook_with_outputs([
        ("history", history._repr_html_()), ("quiz", quiz._repr_html_()), ("network_quiz", network_quiz._repr_html_()),
    ]), encoding="utf-8")

    project = project_config()
    jupyter = next(dict(p["mkdocs-jupyter"]) for p in project["plugins"]
                   if isinstance(p, dict) and "mkdocs-jupyter" in p)
    jupyter.update(execute=False, cache=False)  # the outputs are in the file already
    config = {
        "site_name": "layout", "docs_dir": str(docs), "site_dir": str(folder / "site"), "strict": True,
        "nav": [{"One page": "frame.md"}, {"The notebook": "tour.ipynb"}],
        # font false: no Google Fonts request (a test machine may be offline; the fallback font is what it measures)
        "theme": {**project["theme"], "font": False}, "extra_css": project["extra_css"],
        "markdown_extensions": [e for e in project["markdown_extensions"] if "pymdownx.snippets" not in str(e)],
        "plugins": [{"mkdocs-jupyter": jupyter}],
    }
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    build(load_config(str(folder / "mkdocs.yml")))
    return folder / "site"


MEASURE = """
const box = e => e.getBoundingClientRect();
const header = document.querySelector('.md-header');
return {
  inner: [window.innerWidth, window.innerHeight], page: document.documentElement.scrollWidth,
  column: Math.round(box(document.querySelector('.md-content__inner')).width),
  header: Math.round(box(header).height),
  frames: [...document.querySelectorAll('.md-content iframe')].map(f => ({
    title: f.title, left: box(f).left, right: box(f).right, width: box(f).width, height: box(f).height})),
};"""


def measure(browser, page: Path, width: int, height: int) -> dict:
    """The page at ``width`` x ``height``: its column, its frames and, inside each frame, scrollWidth and
    clientWidth of the frame's document (a frame scrolls sideways when the first is larger)."""
    with window(browser, width, height, mobile=width < 600):
        browser.get(page.as_uri())
        facts = browser.execute_script(MEASURE)
        for frame, element in zip(facts["frames"], browser.find_elements("css selector", ".md-content iframe")):
            browser.switch_to.frame(element)
            frame["scroll"], frame["client"] = browser.execute_script(
                "const e = document.scrollingElement; return [e.scrollWidth, e.clientWidth]")
            browser.switch_to.default_content()
        return facts


def test_at_1280x720_every_embedded_page_fits_its_frame(browser, small_site):
    console_errors(browser)
    for page in ("frame", "tour"):
        facts = measure(browser, small_site / page / "index.html", 1280, 720)
        assert facts["inner"] == [1280, 720]
        assert facts["column"] >= 950, f"{page}: the content column is {facts['column']} px (was 688 px)"
        assert facts["page"] <= 1280, f"{page}: the page scrolls sideways ({facts['page']} px)"
        assert len(facts["frames"]) == {"frame": 1, "tour": 3}[page]
        for frame in facts["frames"]:
            assert frame["scroll"] <= frame["client"], f"{page}: {frame['title']} scrolls sideways: {frame}"
            assert frame["width"] >= facts["column"] - CELL_PADDING, f"{page}: {frame['title']} is narrower"
            # the whole frame (and so its own scroll bar) fits in the window below the header
            assert frame["height"] <= 720 - facts["header"], f"{page}: {frame['title']} is taller than the window"
        if page == "tour":
            player = next(f for f in facts["frames"] if f["title"] == "training player")
            assert player["client"] >= PLAYER_WIDTH
    assert console_errors(browser) == []


@pytest.mark.parametrize(("width", "height"), [(800, 720), (390, 844)])
def test_narrow_windows_keep_every_frame_inside_the_page(browser, small_site, width, height):
    for page in ("frame", "tour"):
        facts = measure(browser, small_site / page / "index.html", width, height)
        assert facts["page"] <= width, f"{page} at {width} px scrolls sideways ({facts['page']} px)"
        for frame in facts["frames"]:
            assert 0 <= frame["left"] and frame["right"] <= width, f"{page} at {width} px: {frame}"
            assert frame["width"] >= facts["column"] - CELL_PADDING, f"{page} at {width} px: {frame['title']}"
        # the walkthrough reflows to any width; the quizzes (602 px) and the player (853 px) cannot, so at
        # 390 px they scroll inside their frames, and the page around them does not
        walkthrough = facts["frames"][0] if page == "frame" else None
        if walkthrough:
            assert walkthrough["scroll"] <= walkthrough["client"], walkthrough
        if page == "tour" and width == 800:
            quizzes = [f for f in facts["frames"] if f["title"].startswith("Backpropagation quiz")]
            assert len(quizzes) == 2 and all(f["scroll"] <= f["client"] for f in quizzes), quizzes

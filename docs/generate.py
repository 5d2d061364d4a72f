"""Make what the documentation shows but does not store: pictures, the live walkthrough, the CLI's help and the
tour notebook (executed by mkdocs-jupyter when the site is built). Run by ``python3 tasks.py docs``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nn
from autograd_lite import Value, draw, explain, render

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "generated"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    x, w, b = Value(1.0, label="x"), Value(0.5, label="w"), Value(-0.2, label="b")
    y = (w * x + b).tanh()
    y.label = "y"
    y.backward()
    render(draw(y), OUT / "neuron.svg")
    (OUT / "walkthrough.html").write_text(explain(y).to_html(), encoding="utf-8")

    mlp = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    loss = nn.mse_loss(mlp([1.0, -0.5]), 0.5)
    loss.backward()
    render(draw(loss, model=mlp), OUT / "mlp.svg")
    render(draw(loss, model=mlp, collapse=True), OUT / "mlp_collapsed.svg")

    cli = [sys.executable, "-m", "autograd_lite"]
    helps = [subprocess.run([*cli, *args], capture_output=True, text=True, check=True).stdout
             for args in (["--help"], ["explain", "--help"], ["draw", "--help"], ["train", "--help"])]
    (OUT / "cli-help.txt").write_text("\n".join(h.rstrip() for h in helps) + "\n", encoding="utf-8")
    shown = subprocess.run([*cli, "explain", "tanh(w*x + b)", "x=1", "w=0.5", "b=-0.2"], capture_output=True,
                           text=True, check=True).stdout
    (OUT / "cli-explain.txt").write_text("$ autograd-lite explain \"tanh(w*x + b)\" x=1 w=0.5 b=-0.2\n" + shown,
                                         encoding="utf-8")
    shutil.copy(ROOT / "demos" / "tour.ipynb", OUT / "tour.ipynb")
    (OUT / "mathjax-config.js").write_text(
        "window.MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)'], ['$', '$']], "
        "displayMath: [['\\\\[', '\\\\]'], ['$$', '$$']]}, "
        "options: {processHtmlClass: 'arithmatex|jp-RenderedMarkdown|jp-RenderedHTMLCommon'}};\n", encoding="utf-8")


if __name__ == "__main__":
    main()

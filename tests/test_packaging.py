"""The package as a user gets it: build the sdist and the wheel, install the wheel (not editable) into a fresh
virtual environment, and run the README's tour and ``autograd-lite --help`` there.

Slow (about a minute: the build backend and numpy are installed into new environments), so it runs once, as one
module-scoped fixture; it needs the package index, as the test command itself does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd_lite", "nn")
ASSETS = {".html", ".js", ".css"}
SKIP = shutil.ignore_patterns(".venv*", ".git", "__pycache__", "*.egg-info", "build", "dist", "out", "site",
                              ".hypothesis", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".import_linter_cache")


def run(*cmd, cwd=None) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(sdist, wheel, python of a fresh venv with the wheel installed); the source is copied first, so the build
    writes nothing into the checkout."""
    pytest.importorskip("build", reason="the 'build' package is not installed (pip install -e .[test])")
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    dist = work / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source)  # the sdist, then the wheel built from it
    (sdist,), (wheel,) = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    env = work / "env"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    return sdist, wheel, python


def test_twine_check_passes(built):
    pytest.importorskip("twine", reason="twine is not installed (pip install -e .[test])")
    sdist, wheel, _ = built
    assert "PASSED" in run(sys.executable, "-m", "twine", "check", sdist, wheel).stdout


def test_the_wheel_carries_the_pages_and_the_type_marker(built):
    _, wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    # the packages' own files only: generated pages elsewhere in the checkout (out/, docs/generated/) are no templates
    templates = {str(p.relative_to(ROOT)) for package in PACKAGES for p in (ROOT / package).rglob("*")
                 if p.suffix in ASSETS}
    assert {"autograd_lite/teaching/quiz.html", "autograd_lite/teaching/walkthrough.html", "nn/player.html",
            "nn/layer_view.html"} <= templates
    assert templates <= names, templates - names
    # and every resource the code opens by name: a new page whose template the package data would leave out fails
    opened = {f"{path.parent.relative_to(ROOT)}/{name}" for package in PACKAGES for path in (ROOT / package).rglob("*.py")
              for name in re.findall(r"joinpath\(\s*[\"']([^\"']+)[\"']", path.read_text(encoding="utf-8"))}
    assert opened and opened <= names, opened - names
    assert {"autograd_lite/py.typed", "nn/py.typed"} <= names
    assert not any(n.startswith("tests/") for n in names)


def test_the_version_lives_in_one_place(built):
    import autograd_lite

    _, wheel, python = built
    assert f"-{autograd_lite.__version__}-" in wheel.name
    assert "version =" not in (ROOT / "pyproject.toml").read_text().split("[project]")[1].split("[")[0]
    shown = run(python, "-c", "from importlib.metadata import version; print(version('autograd-lite'))").stdout
    assert shown.strip() == autograd_lite.__version__


def test_the_readme_tour_runs_from_the_installed_wheel(built, tmp_path):
    _, _, python = built
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A 10-line tour", 1)[1]
    code = re.search(r"```python\n(.*?)```", tour, re.DOTALL).group(1)
    done = run(python, "-c", code, cwd=tmp_path)  # not the checkout: only the installed package can be imported
    assert "Value(data=8" in done.stdout  # Value(2.0) ** Value(3.0)
    where = run(python, "-c", "import autograd_lite, nn; print(autograd_lite.__file__, nn.__file__)", cwd=tmp_path)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout


def test_the_command_line_runs_from_the_installed_wheel(built, tmp_path):
    _, _, python = built
    script = python.parent / ("autograd-lite.exe" if sys.platform == "win32" else "autograd-lite")
    shown = run(script, "--help", cwd=tmp_path).stdout
    assert "explain" in shown and "train" in shown  # train arrives through nn's entry point
    assert "dy/dx" in run(script, "explain", "x**2", "x=3", cwd=tmp_path).stdout


PAGES = """
import numpy as np, nn
from autograd_lite import Value, explain, quiz
x, w = Value(3.0, label="x"), Value(0.5, label="w")
y = (w * x).tanh()
y.backward()
m = nn.MLP(2, [3, 1], activation="tanh", seed=0)
view = nn.explain_layers(m, np.array([[0.5, -1.5]]), np.array([[0.7]]), loss="half_squared_error")
history = nn.fit(m, np.array([[0.5, -1.5], [1.0, 2.0]]), np.array([0.7, 0.1]), loss="mse", epochs=2,
                 progress=False, record=True)
from nn.player import to_html
pages = {"walkthrough": explain(y).to_html(), "quiz": quiz(y).to_html(), "layers": view.to_html(),
         "player": to_html(history)}
for name, page in pages.items():
    print(name, len(page), "%%" in page, page.lstrip()[:9])  # a placeholder %%NAME%% left unfilled
"""


def test_every_page_renders_from_the_installed_wheel(built, tmp_path):
    """Each page's template is read from the installed package, not the checkout, and filled in."""
    _, _, python = built
    shown = run(python, "-c", PAGES, cwd=tmp_path).stdout.split("\n")
    pages = {line.split()[0]: line.split()[1:] for line in shown if line}
    assert set(pages) == {"walkthrough", "quiz", "layers", "player"}, shown
    for name, (size, unfilled, start) in pages.items():
        assert int(size) > 2000 and unfilled == "False" and start.lower() == "<!doctype", (name, size, unfilled, start)

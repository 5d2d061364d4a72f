#!/usr/bin/env python3
"""One entry point that works on a fresh machine: ``python3 tasks.py test`` / ``python3 tasks.py demo``
(and ``docs``: the documentation site into ``site/``; ``bench``: the benchmarks).

It makes a virtual environment in ``.venv``, installs the project with its extras there,
installs Graphviz's ``dot`` (and Chromium, for the browser test) through the system package
manager when they are missing and that is possible, then runs the tests or the demo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*cmd: str | Path, check: bool = True) -> int:
    print("+", " ".join(map(str, cmd)), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


def ensure_venv(extras: str) -> None:
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras}"
    source = (ROOT / "pyproject.toml").stat().st_mtime
    if not stamp.exists() or stamp.stat().st_mtime < source:
        run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".[{extras}]")
        stamp.touch()


def apt_install(needed: dict[str, str]) -> None:
    """Install the Debian packages whose programs are missing (``{program: package}``), in one apt-get call,
    when we may (root, or sudo without a password); otherwise say what to install."""
    missing = {prog: pkg for prog, pkg in needed.items() if not shutil.which(prog)}
    if not missing:
        return
    package_list = sorted(set(missing.values()))
    packages = " ".join(package_list)
    skipped = f"tests that need {', '.join(missing)} are skipped, with a reason"
    sudo: list[str] = []
    if not shutil.which("apt-get"):
        print(f"note: {', '.join(missing)} missing and no apt-get here: install {packages} by hand ({skipped})")
        return
    if os.geteuid() != 0:
        if not shutil.which("sudo") or subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode:
            print(f"note: run 'sudo apt-get install {packages}' ({skipped})")
            return
        sudo = ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in ([*sudo, "apt-get", "update", "-qq"], [*sudo, "apt-get", "install", "-y", "-qq", *package_list]):
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode:
            print(f"note: could not install {packages} ({skipped})")
            return


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    if task == "test":
        ensure_venv("test")
        # dot renders the diagrams; selenium drives Chromium through chromedriver for the walkthrough test
        apt_install({"dot": "graphviz", "chromium": "chromium", "chromedriver": "chromium-driver"})
        if run(PYTHON, "-m", "ruff", "check", ".", check=False):
            print("ruff check failed: fix the findings above (the test suite did not run)")
            return 1
        lint_imports = VENV / ("Scripts/lint-imports.exe" if os.name == "nt" else "bin/lint-imports")
        if run(lint_imports, check=False):  # the import rules of ARCHITECTURE.md
            print("lint-imports failed: an import breaks the rules in ARCHITECTURE.md (the test suite did not run)")
            return 1
        if run(PYTHON, "-m", "mypy", check=False):  # autograd_lite and nn ([tool.mypy] in pyproject)
            print("mypy failed: fix the type errors above (the test suite did not run)")
            return 1
        return run(PYTHON, "-m", "pytest", *argv[1:], check=False)
    if task == "demo":
        ensure_venv("plot")
        apt_install({"dot": "graphviz"})
        return run(PYTHON, "demos/main.py", *argv[1:], check=False)
    if task == "docs":  # the documentation site, strict: a warning fails the build
        ensure_venv("docs")
        apt_install({"dot": "graphviz"})
        if run(PYTHON, "docs/generate.py", check=False):
            return 1
        os.environ["NO_MKDOCS_2_WARNING"] = "1"
        mkdocs = VENV / ("Scripts/mkdocs.exe" if os.name == "nt" else "bin/mkdocs")
        code = run(mkdocs, "build", "--strict", *argv[1:], check=False)
        if not code:
            print(f"the site is in {ROOT / 'site'} (open site/index.html)")
        return code
    if task == "bench":
        ensure_venv("test")
        return run(PYTHON, "benchmarks/run.py", *argv[1:], check=False)
    print(__doc__)
    print("usage: python3 tasks.py test [pytest args] | demo | docs | bench")
    return 0 if task == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

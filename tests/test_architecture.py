"""The layout rules of ARCHITECTURE.md that import-linter does not check: no module reads another module's
private names, and every source file can be read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for package in ("autograd_lite", "nn") for p in (ROOT / package).rglob("*.py"))
MAX_LINES = 400


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str) -> list[str]:
    """Every ``from m import _name`` and ``module._name`` (of an imported module) in ``source``."""
    tree = ast.parse(source)
    modules: set[str] = set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _private(alias.name):
                    found.append((node.lineno, f"from {'.' * node.level}{node.module or ''} import {alias.name}"))
                else:
                    modules.add(alias.asname or alias.name)  # may be a module (from . import scalar_math)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_checker_sees_both_kinds_of_private_use():
    assert private_uses("from .engine import _apply\nimport x\nx._y()\nfrom . import m\nm._z") == [
        "line 1: from .engine import _apply", "line 3: x._y", "line 5: m._z"]
    assert private_uses("from .engine import Value\nclass A:\n    def f(self): return self._g\n") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_another_modules_private_names(path):
    assert private_uses(path.read_text(encoding="utf-8")) == [], f"{path.relative_to(ROOT)} reads private names"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_source_file_reads_in_one_sitting(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it by job (at most {MAX_LINES})"


PUBLIC = ("Value", "grad", "no_grad", "enable_grad", "is_grad_enabled", "draw", "render", "explain", "compile", "Tape",
          "TraceError", "OPS", "Op", "dot", "sum", "logsumexp", "topological_order", "define_op",
          "symbol", "notation_label", "notebook_frame", "check", "quiz", "CheckResult", "Quiz", "Question", "Blank")


def test_the_public_api_is_importable_from_the_package():
    import autograd_lite

    missing = [name for name in PUBLIC if not hasattr(autograd_lite, name)]
    assert missing == [], f"autograd_lite no longer offers {missing}"


def test_names_that_moved_to_nn_say_where():
    import autograd_lite

    with pytest.raises(AttributeError, match=r"moved to nn .*nn\.explain_layers"):
        autograd_lite.explain_layers  # noqa: B018
    with pytest.raises(ImportError):
        from autograd_lite import LayerView  # noqa: F401

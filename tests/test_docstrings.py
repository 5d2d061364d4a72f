"""The examples in every docstring of autograd_lite are executed, so the documentation cannot drift."""

import doctest
import importlib
import pkgutil

import pytest

import autograd_lite

MODULES = ["autograd_lite"] + [m.name for m in pkgutil.walk_packages(autograd_lite.__path__, "autograd_lite.")
                               if not m.name.endswith("__main__")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    extra = {"Value": autograd_lite.Value}
    result = doctest.testmod(module, extraglobs=extra, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name} (run pytest -s to see them)"

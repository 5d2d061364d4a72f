"""The examples in the nn package's docstrings are executed, so its documentation cannot drift."""

import doctest
import importlib
import pkgutil

import pytest

import nn

MODULES = ["nn"] + [f"nn.{m.name}" for m in pkgutil.iter_modules(nn.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name} (run pytest -s to see them)"

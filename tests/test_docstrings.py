"""The examples in the engine's docstrings are executed, so the documentation cannot drift."""

import doctest
import importlib

import pytest

MODULES = ["autograd_lite", "autograd_lite.engine", "autograd_lite.ops", "autograd_lite.backprop",
           "autograd_lite.graph"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    extra = {"Value": importlib.import_module("autograd_lite").Value}
    result = doctest.testmod(module, extraglobs=extra, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name} (run pytest -s to see them)"

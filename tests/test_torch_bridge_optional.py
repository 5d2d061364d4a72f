"""Without PyTorch, to_torch/from_torch say how to get it (the rest of nn never needs it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import nn


def test_without_torch_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        nn.MLP(2, [1], seed=0).to_torch()
    with pytest.raises(ImportError, match="PyTorch"):
        nn.MLP.from_torch(object())


def test_nn_never_imports_torch_unless_asked():
    code = "import sys, nn, nn.torch_bridge; nn.fit(nn.MLP(2, [2, 1], seed=0), [[0, 1]], [1], loss='mse', epochs=1, " \
           "progress=False); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr

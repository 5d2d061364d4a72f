"""The numbers the lecture notes work by hand, reproduced exactly by the engine and by nn.reference.

The computations live in ``demos/notes_examples.py`` (which prints them step by step); the
expected values here are copied from the notes.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "demos" / "notes_examples.py"


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("notes_examples", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_note_002_linear_regression_gradient_and_update(demo):
    r = demo.linear_regression(lr=0.5)
    assert r["z"] == 3.0  # "FORWARD: z = 1*1 + 0*0 + 2*1 = 3"
    assert r["J"] == 0.5  # 1/(2N) (t - z)^2 with N = 1
    # dJ/dw1 = -(t - z) x1 = 1, dJ/dw2 = 0, dJ/dw3 (the bias) = 1. The note prints (2 - 3) = -1, a sign slip:
    # its update w <- [1, 0] - eps * grad = [0.5, 0] holds only for grad = [+1, 0] (eps = 0.5).
    assert r["dw"] == [1.0, 0.0] and r["db"] == 1.0
    assert r["ref_dw"] == [1.0, 0.0] and r["ref_db"] == 1.0
    assert r["w"] == [0.5, 0.0]  # "We can update w <- ... = [0.5, 0]"
    assert r["b"] == 1.5


def test_note_002_relu_network_with_mse(demo):
    r = demo.relu_network(lr=1.0)
    assert r["h"] == [1.0, 0.0]  # h1 = max(0, 1) = 1, h2 = max(0, 0) = 0
    assert r["z"] == 1.0  # z = 1*1 + 2*0 = 1
    assert r["J"] == 0.5  # J = MSE = 1/2 (1 - 2)^2
    assert r["delta2"] == [-1.0]
    assert r["dW2"] == r["ref_dW2"][0] == [-1.0, 0.0]  # dJ/dw^2 = [-1, 0]
    assert r["delta1"] == [-1.0, 0.0]  # ReLU'(0) = 0: "1 if x > 0, 0 otherwise"
    assert r["dW1"] == r["ref_dW1"] == [[-1.0, 0.0], [0.0, 0.0]]  # dJ/dW^1 = [[-1, 0], [0, 0]]
    assert r["w2"] == [2.0, 2.0]  # w^2 <- [1, 2] + [1, 0] = [2, 2]


def test_notes_000_003_sigmoid_log_loss_output_delta(demo):
    r = demo.sigmoid_log_loss(a_out=0.8)
    s = 1 / (1 + math.exp(-0.8))
    for t in (1.0, 0.0):
        engine, closed = r[f"t={t:g}"]
        assert closed == s - t  # delta_out = sigma(a_out) - t (note 000)
        assert engine == pytest.approx(closed, rel=1e-14)
    assert r["note003 t=1"] == pytest.approx(s - (1 - 1.0), rel=1e-14)  # note 003: sigma(a) - (1 - t)


def test_demo_script_runs_and_prints_the_notes_numbers():
    out = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, check=True).stdout
    assert "dJ/dw2 = delta2 h^T = [-1, 0]" in out
    assert "dJ/dW1 = delta1 x^T = [[-1, 0], [0, 0]]" in out
    assert "w <- w - 0.5 dJ/dw = [0.5, 0]" in out

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

import numpy as np
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


# --- the printed numbers of note 002 (/work/shared/notes/002_*.txt), line by line, in both pictures -------------
NOTE_002_RELU = {  # (row of the collapsed view, the note's number, where the note prints it)
    "h": ([1.0, 0.0], "line 205: h1 = max(0, 1) = 1; line 209: h2 = max(0, 0) = 0; line 233: h = [1, 0]"),
    "z": (1.0, "line 207: z = 1*1 + 2*0 = 1; line 245: z = 1"),
    "J": (0.5, "line 228: J = MSE = 1/2 (1 - 2)^2; line 245: J = 1/2 (line 211 drops the 1/2: J = (c - z)^2 = 1)"),
    "dW2": ([-1.0, 0.0], "line 241: dJ/dw^2 = [-1, 0] (line 214 prints +1: the sign slip of line 42 again)"),
    "relu'": ([[1.0, 0.0], [0.0, 0.0]], "line 253: diag(dh1/da1, dh2/da2) = [[1, 0], [0, 0]]"),
    "dW1": ([[-1.0, 0.0], [0.0, 0.0]], "line 261: dJ/dW^1 = [[-1, 0], [0, 0]]"),
    "w2": ([2.0, 2.0], "line 251: [1, 2] + [1, 0] = [2, 2]"),
}


def test_note_002_relu_every_printed_number(demo):
    r = demo.relu_network(lr=1.0)
    assert r["h"] == NOTE_002_RELU["h"][0]
    assert r["z"] == NOTE_002_RELU["z"][0]
    assert r["J"] == NOTE_002_RELU["J"][0]
    assert r["dW2"] == NOTE_002_RELU["dW2"][0]
    assert r["dW1"] == NOTE_002_RELU["dW1"][0]
    # ReLU'(z^[1]) = diag([1, 0]): the engine's delta^[1] is (W^[2])^T delta^[2] = [-1, -2] masked by it
    assert r["engine_delta1"] == [-1.0 * NOTE_002_RELU["relu'"][0][0][0], -2.0 * NOTE_002_RELU["relu'"][0][1][1]]
    assert r["w2"] == NOTE_002_RELU["w2"][0]


@pytest.mark.skipif(not __import__("shutil").which("dot"), reason="needs Graphviz's dot")
@pytest.mark.parametrize("name", ["note002-regression", "note002-relu", "note000-sigmoid", "note001-softmax"])
def test_each_example_is_one_command_that_prints_and_draws_both_views(name, tmp_path):
    run = subprocess.run([sys.executable, str(DEMO), name, "--out", str(tmp_path)], capture_output=True, text=True,
                         check=True)
    for view in ("full", "collapsed"):
        for suffix in ("png", "svg"):
            path = tmp_path / f"{name}-{view}.{suffix}"
            assert path.stat().st_size > 1000 and str(path) in run.stdout
    assert "note" in run.stdout.splitlines()[0].lower()


def test_note_002_relu_collapsed_view_shows_the_notes_matrices(demo, tmp_path):
    """The collapsed picture a student holds against note 002: every matrix it shows is the note's."""
    from test_collapsed import boxes, close, row

    import nn
    from autograd_lite import draw

    model = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    model.from_numpy([(np.eye(2), np.zeros(2)), (np.array([[1.0, 2.0]]), np.zeros(1))])  # W^1 = I, w^2 = [1, 2]
    loss = nn.half_squared_error(model([1.0, 0.0]), 2.0)  # x = [1, 0], c = 2 (line 199)
    loss.backward()
    shown = boxes(draw(loss, model=model, collapse=True, precision=12))
    assert close(row(shown["inputs"], "x"), [[1.0], [0.0]])  # line 230: x = [1, 0]
    assert close(row(shown["layer0"], "a[1] = ReLU"), [[v] for v in NOTE_002_RELU["h"][0]])
    assert close(row(shown["layer1"], "z[2]"), [[NOTE_002_RELU["z"][0]]])
    assert close(row(shown["layer1"], "∂L/∂W[2]"), [NOTE_002_RELU["dW2"][0]])
    assert close(row(shown["layer0"], "∂L/∂W[1]"), NOTE_002_RELU["dW1"][0])
    assert close(row(shown["layer1"], "δ[2]"), [[-1.0]])  # line 239: dJ/dz = -1 (-(c - z) with c = 2, z = 1)
    assert shown["loss"]["value"] == f"C = {NOTE_002_RELU['J'][0]:g}"
    assert shown["loss"]["title"] == "loss: half squared error (the notes)"


def test_note_002_regression_in_the_collapsed_view(demo):
    from test_collapsed import boxes, close, row

    import nn
    from autograd_lite import draw

    neuron = nn.Neuron(2, activation="linear", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.0, 0.0, 2.0  # line 40: w = [1, 0], b = 2
    loss = nn.half_squared_error(neuron([1.0, 0.0]), 2.0)
    loss.backward()
    shown = boxes(draw(loss, model=neuron, collapse=True, precision=12))
    assert close(row(shown["layer0"], "z[1]"), [[3.0]])  # line 40: z = 3
    # lines 42-47 print dJ/dw1 = (2 - 3) * 1 = -1, dJ/dw2 = 0, dJ/dw3 (bias) = -1: -(t - z) = +1 is the sign the
    # note's own update on line 54 ([1, 0] - 0.5 grad = [0.5, 0]) needs
    assert close(row(shown["layer0"], "∂L/∂W[1]"), [[1.0, 0.0]])
    assert close(row(shown["layer0"], "∂L/∂b[1]"), [[1.0]])


def test_notes_000_003_output_delta_in_a_neuron(demo):
    r = demo.sigmoid_log_loss(a_out=0.8)
    engine, closed = r["neuron"]
    # note 000 line 66: delta_out = sigma(a_out) - t (its a is our z); note 003 line 38: sigma(a_out) - (1 - t)
    assert engine == pytest.approx(1 / (1 + math.exp(-0.8)) - 1.0, rel=1e-14) and closed == pytest.approx(engine)


def test_note_001_softmax_cross_entropy_output_delta(demo):
    r = demo.softmax_cross_entropy(target=0)
    z = np.array([1.0, 2.0, -1.0])  # W^[2] a^[1] with a^[1] = ReLU([1, 2])
    y_hat = np.exp(z) / np.exp(z).sum()
    assert r["y_hat"] == pytest.approx(y_hat.tolist(), rel=1e-14)
    assert r["loss"] == pytest.approx(-math.log(y_hat[0]), rel=1e-14)  # eq. 9 with one example
    # note 001 line 655, eq. 21d: dL/dz_k^[L] = y-hat_k - y~_k
    assert r["delta2"] == pytest.approx((y_hat - [1.0, 0.0, 0.0]).tolist(), rel=1e-13)
    assert r["delta2"] == pytest.approx(r["ref_delta2"], rel=1e-13)
    # eq. 21c: delta^[1] = g'(z^[1]) (W^[2])^T delta^[2] (this W is n_l x n_{l-1}; note 001's is its transpose)
    W2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    assert r["delta1"] == pytest.approx((W2.T @ (y_hat - [1.0, 0.0, 0.0])).tolist(), rel=1e-13)
    assert np.allclose(r["dW1"], np.outer(r["ref_delta1"], [1.0, 2.0]), rtol=1e-13)  # eq. 21a: delta^[1] x^T

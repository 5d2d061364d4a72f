"""fit(record=True) and the training player: the snapshots hold the right numbers, the caps hold, the page and
the command write what they say. The page itself is driven in Chromium in test_player_page.py."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd_lite.cli import main
from nn import recording
from nn.player import DATA_POINTS, inline_player, to_html

DEMO = Path(__file__).resolve().parents[1] / "demos" / "main.py"


def moons_run(epochs=6, compiled=False, record=True, seed=3, hidden=(5, 4)):
    X, y = nn.datasets.make_moons(30, noise=0.1, seed=seed)
    model = nn.MLP(2, [*hidden, 1], activation="tanh", seed=seed)
    history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05),
                     epochs=epochs, batch_size=8, seed=seed, progress=False, compiled=compiled, record=record)
    return model, X, y, history


def page_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))


@pytest.mark.parametrize("compiled", [False, True])
def test_snapshot_k_holds_the_weights_of_a_run_stopped_at_k(compiled):
    model, _, _, history = moons_run(epochs=6, compiled=compiled)
    snapshots = history.recording.snapshots
    assert [s.epoch for s in snapshots] == list(range(7))
    assert [s.loss for s in snapshots[1:]] == history.loss and snapshots[0].loss is None
    for s in snapshots:
        replay, *_ = moons_run(epochs=s.epoch, compiled=compiled, record=False)
        for (W, b), (W2, b2) in zip(s.weights, replay.to_numpy()):
            np.testing.assert_array_equal(W, W2)
            np.testing.assert_array_equal(b, b2)
    # the last snapshot is the model fit returned (its real parameters, synced after the compiled tape)
    for (W, b), (W2, b2) in zip(snapshots[-1].weights, model.to_numpy()):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)


def test_compiled_and_eager_recordings_agree():
    eager = moons_run(epochs=4, compiled=False)[3].recording.snapshots
    compiled = moons_run(epochs=4, compiled=True)[3].recording.snapshots
    for a, b in zip(eager, compiled):
        for (W, _), (W2, _) in zip(a.weights, b.weights):
            np.testing.assert_allclose(W, W2, rtol=1e-9, atol=1e-12)
        for (dW, _), (dW2, _) in zip(a.grads, b.grads):
            np.testing.assert_allclose(dW, dW2, rtol=1e-7, atol=1e-12)


def engine_figures(weights, X, y, loss_fn, activation="tanh", output="linear"):
    """dC/dW, dC/db and mean |m dC/dz| per layer by the engine itself: the loss over all rows, backward."""
    model = nn.MLP(2, [len(b) for _, b in weights], activation=activation, output_activation=output)
    model.from_numpy(weights)
    traces = [model.trace(x) for x in X.tolist()]
    outputs = [t.a[-1][0] if len(t.a[-1]) == 1 else t.a[-1] for t in traces]
    C = loss_fn(outputs, y.tolist())
    C.backward()
    grads = [(np.array([[w.grad for w in n.w] for n in layer.neurons]), np.array([n.b.grad for n in layer.neurons]))
             for layer in model.layers]
    m = len(X)
    delta = [np.mean([[abs(m * z.grad) for z in t.z[i]] for t in traces], axis=0) for i in range(len(weights))]
    return grads, delta, C.data


@pytest.mark.parametrize("compiled", [False, True])
def test_gradients_and_deltas_are_the_engines_over_the_probe_rows(compiled):
    _, X, y, history = moons_run(epochs=5, compiled=compiled)
    for s in history.recording.snapshots[::2]:
        grads, delta, C = engine_figures(s.weights, X, y, nn.binary_cross_entropy_with_logits)
        assert s.probe_loss == pytest.approx(C, rel=1e-12)
        for (dW, db), (eW, eb) in zip(s.grads, grads):
            np.testing.assert_allclose(dW, eW, rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(db, eb, rtol=1e-9, atol=1e-15)
        for d, e in zip(s.delta, delta):
            np.testing.assert_allclose(d, e, rtol=1e-9, atol=1e-15)
        assert all(np.abs(dW).max() > 0 for dW, _ in s.grads)  # a real, non-zero gradient


def test_deltas_match_the_notes_closed_form():
    # a sigmoid output with bce: nn.reference.backprop gives each example's delta^l (notes 003/004)
    X, y = nn.datasets.make_moons(12, noise=0.1, seed=1)
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
    history = nn.fit(model, X, y, loss="bce", optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=2, batch_size=4,
                     progress=False, record=True)
    for s in history.recording.snapshots:
        bp = nn.reference.backprop(s.weights, X.T, y, hidden="sigmoid", output="sigmoid", loss="bce")
        for d, ref in zip(s.delta, bp.delta):
            np.testing.assert_allclose(d, np.abs(ref).mean(axis=1), rtol=1e-10)
        for (dW, db), rW, rb in zip(s.grads, bp.dW, bp.db):
            np.testing.assert_allclose(dW, rW, rtol=1e-10)
            np.testing.assert_allclose(db, rb, rtol=1e-10)
        assert s.probe_loss == pytest.approx(bp.cost, rel=1e-10)


def test_gradients_by_hand_for_one_weight():
    # z = 2 x, C = mse = (z - t)^2 at x = 1, t = 1: dC/dz = 2 (z - t) = 2, dC/dw = 2 x = 2, delta = 2
    grads, delta, C = recording.gradients([(np.array([[2.0]]), np.array([0.0]))], (np.array([[1.0]]), [1.0]),
                                          "relu", "linear", nn.mse_loss)
    assert grads[0][0].tolist() == [[2.0]] and grads[0][1].tolist() == [2.0] and delta[0].tolist() == [2.0]
    assert C == 1.0


def test_the_boundary_is_the_models_prediction_on_the_grid():
    model, X, y, history = moons_run(epochs=3)
    rec = history.recording
    x0, x1, y0, y1 = rec.box
    assert (x0, x1) == pytest.approx((X[:, 0].min() - 0.5, X[:, 0].max() + 0.5))
    xs, ys = np.linspace(x0, x1, rec.grid), np.linspace(y0, y1, rec.grid)
    logits = nn.predict(model, np.array([(a, b) for b in ys for a in xs])).reshape(rec.grid, rec.grid)
    expected = np.round(255 / (1 + np.exp(-logits)))
    assert np.abs(rec.snapshots[-1].boundary - expected).max() <= 1
    assert not np.array_equal(rec.snapshots[0].boundary, rec.snapshots[-1].boundary)


def test_three_classes_store_the_arg_max_and_its_confidence():
    X, y = nn.datasets.make_spirals(30, n_classes=3, noise=0.1, seed=0)
    model = nn.MLP(2, [6, 3], seed=0)
    history = nn.fit(model, X, y, loss="cross_entropy", epochs=2, progress=False, record=nn.Recorder(grid=9))
    rec = history.recording
    xs, ys = np.linspace(*rec.box[:2], 9), np.linspace(*rec.box[2:], 9)
    logits = nn.predict(model, np.array([(a, b) for b in ys for a in xs]))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    cells = rec.snapshots[-1].boundary.reshape(-1)
    assert (cells // 256 == logits.argmax(axis=1)).all()
    assert np.abs(cells % 256 - np.round(255 * p.max(axis=1))).max() <= 1


def test_the_snapshot_cap_thins_evenly_and_keeps_both_ends():
    _, _, _, history = moons_run(epochs=17, record=nn.Recorder(max_snapshots=5))
    assert [s.epoch for s in history.recording.snapshots] == [0, 4, 8, 13, 17]
    assert recording.planned_epochs(1_000_000, 200)[:3] == [0, 5025, 10050]
    assert len(recording.planned_epochs(1_000_000, 200)) == 200
    _, _, _, default = moons_run(epochs=450)
    assert len(default.recording.snapshots) == 200 and default.recording.snapshots[-1].epoch == 450


def test_a_big_model_keeps_fewer_snapshots(monkeypatch):
    monkeypatch.setattr(recording, "RECORD_VALUES", 20_000)
    _, _, _, history = moons_run(epochs=30)  # 2 * 49 parameters + 10 deltas + 48 * 48 cells a snapshot
    per_snapshot = 2 * 49 + 10 + 48 * 48
    assert len(history.recording.snapshots) == 20_000 // per_snapshot == 8


def test_recorder_bounds_and_wrong_models_are_refused():
    for bad in (dict(max_snapshots=1), dict(max_snapshots=recording.MAX_SNAPSHOTS + 1), dict(grid=1),
                dict(grid=recording.MAX_GRID + 1), dict(probe_rows=0), dict(probe_rows=True)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            nn.Recorder(**bad)
    X, y = nn.datasets.make_xor()
    with pytest.raises(ValueError, match="needs an nn.MLP"):
        nn.fit(nn.Neuron(2, seed=0), X, y, loss="mse", epochs=1, progress=False, record=True)
    with pytest.raises(TypeError, match="record must be"):
        nn.fit(nn.MLP(2, [1], seed=0), X, y, loss="mse", epochs=1, progress=False, record="yes")
    history = nn.fit(nn.MLP(2, [1], seed=0), X, y, loss="mse", epochs=1, progress=False)
    assert history.recording is None and "<iframe" not in history._repr_html_()  # the figures, not a player
    with pytest.raises(ValueError, match="record=True"):
        history.player("never.html")


def test_probe_rows_are_spread_through_the_data():
    X, y = nn.datasets.make_moons(50, seed=0)
    model = nn.MLP(2, [2, 1], seed=0)
    history = nn.fit(model, X, y, loss="bce_with_logits", epochs=1, progress=False, record=nn.Recorder(probe_rows=10))
    s = history.recording.snapshots[-1]
    grads, _, C = engine_figures(s.weights, X[::5], y[::5], nn.binary_cross_entropy_with_logits, activation="relu")
    np.testing.assert_allclose(s.grads[0][0], grads[0][0], rtol=1e-9)
    assert s.probe_loss == pytest.approx(C)


def test_the_page_is_offline_escaped_and_holds_every_snapshot(tmp_path):
    model, X, y, history = moons_run(epochs=4)
    page = to_html(history, title="<script>alert(1)</script>")
    assert page.startswith("<!DOCTYPE html>") and "%%" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page) and "<script src" not in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    data = page_data(page)
    assert [s["epoch"] for s in data["snapshots"]] == [0, 1, 2, 3, 4]
    last = history.recording.snapshots[-1]
    assert data["snapshots"][-1]["w"][0][:10] == [float(f"{v:.4g}") for v in last.weights[0][0].ravel()]
    assert data["snapshots"][-1]["g"][1][-1] == float(f"{last.grads[1][1][-1]:.4g}")  # b of layer 2's last neuron
    assert data["curves"]["loss"] == [float(f"{v:.4g}") for v in history.loss]
    assert len(data["points"]["x"]) == len(X)
    path = history.player(tmp_path / "p.html")
    assert path.read_text(encoding="utf-8") == to_html(history)
    frame = history._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in frame and frame == inline_player(history)


def test_big_runs_are_thinned_on_the_page():
    X, y = nn.datasets.make_moons(DATA_POINTS + 500, seed=0)
    model = nn.MLP(2, [40, 1], seed=0)  # 40 neurons a layer: not drawn
    history = nn.fit(model, X, y, loss="bce_with_logits", epochs=1, batch_size=None, progress=False,
                     compiled=True, record=nn.Recorder(probe_rows=100))
    history.loss = history.loss * 3000  # as after 3,000 epochs: the curves keep 1,000 points
    history.accuracy = history.accuracy * 3000
    data = page_data(to_html(history))
    assert data["drawn"] is False and "w" not in data["snapshots"][0]
    assert len(data["points"]["x"]) <= DATA_POINTS and len(data["curves"]["loss"]) == 1000
    assert data["curves"]["epoch"][0] == 1 and data["curves"]["epoch"][-1] == 3000


def test_the_moons_demo_writes_a_player_under_10_mb(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("demo_main_player", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path), "--grid", "10", "--quiet"]) == 0  # the demo's own 30 epochs
    page = tmp_path / "moons_player.html"
    assert str(page) in capsys.readouterr().out
    size = page.stat().st_size
    assert 50_000 < size < 10_000_000, size
    assert [s["epoch"] for s in page_data(page.read_text(encoding="utf-8"))["snapshots"]] == list(range(31))


def test_train_command_writes_the_player(tmp_path, capsys):
    path = tmp_path / "train.html"
    code = main(["train", "xor", "--samples", "8", "--epochs", "5", "--hidden", "3", "--quiet", "--player", str(path)])
    out, err = capsys.readouterr()
    assert code == 0 and "final accuracy" in out and str(path) in err
    data = page_data(path.read_text(encoding="utf-8"))
    assert [s["epoch"] for s in data["snapshots"]] == [0, 1, 2, 3, 4, 5] and data["widths"] == [2, 3, 1]
    code = main(["train", "xor", "--samples", "8", "--epochs", "2", "--eager", "--quiet", "--player", str(path)])
    assert code == 0 and len(page_data(path.read_text(encoding="utf-8"))["snapshots"]) == 3


def test_train_command_checks_the_player_path_before_training(tmp_path, capsys):
    assert main(["train", "xor", "--player", str(tmp_path / "train.png")]) == 2
    assert "--player" in capsys.readouterr().err
    assert main(["train", "xor", "--player", str(tmp_path / "missing" / "train.html")]) == 1
    err = capsys.readouterr().err
    assert "--player" in err and "training" not in err  # refused before anything was trained
    (tmp_path / "folder.html").mkdir()
    assert main(["train", "xor", "--player", str(tmp_path / "folder.html")]) == 1
    assert "is a directory" in capsys.readouterr().err


# --- found by the tester: a diverging run crashed inside the recorder ("Value(data) must be a finite number") ----
def test_finite_weights_whose_z_overflows_give_no_gradients_instead_of_a_crash():
    from nn.recording import gradients

    huge = [(np.array([[1e200, 1e200]]), np.array([0.0])), (np.array([[1e200]]), np.array([0.0]))]
    probe = (np.array([[1e200, 1e200]]), [1.0])
    assert gradients(huge, probe, "relu", "linear", nn.mse_loss) is None  # z^[2] = 1e200 * 2e400 = inf
    fine = [(np.array([[2.0, 0.0]]), np.array([0.0])), (np.array([[1.0]]), np.array([0.0]))]
    grads, _, C = gradients(fine, (np.array([[1.0, 5.0]]), [1.0]), "relu", "linear", nn.mse_loss)
    assert C == 1.0 and grads[1][0].tolist() == [[4.0]]  # y = 2: dC/dy = 2 (y - t) = 2, dC/dw^[2] = 2 a^[1] = 4


@pytest.mark.parametrize("compiled", [False, True])
def test_a_diverging_fit_fails_the_same_with_and_without_recording(compiled):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)) * 100, rng.integers(0, 2, size=40) * 100.0

    def run(record):
        model = nn.MLP(2, [4, 1], seed=0)
        nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=10.0), epochs=6, progress=False,
               compiled=compiled, record=record)

    with pytest.raises(OverflowError) as plain:
        run(False)
    with pytest.raises(OverflowError) as recorded:  # the engine's own error, not the recorder's
        run(True)
    assert str(recorded.value) == str(plain.value)

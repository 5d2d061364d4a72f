"""The demos run: moons (``python3 tasks.py demo``) writes its pictures and model where it says; XOR is learned."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import nn

DEMO = Path(__file__).resolve().parents[1] / "demos" / "main.py"


def test_main_demo_writes_boundary_loss_curve_and_model(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("demo_main", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path), "--epochs", "2", "--grid", "10", "--quiet"]) == 0
    printed = capsys.readouterr().out
    for name in ("moons_boundary.png", "moons_loss.png"):
        path = tmp_path / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(path) in printed
    model = nn.load(tmp_path / "moons_model.json")
    assert model.nouts == [16, 16, 1]
    # compiled training (the default) and --eager give the same run
    assert module.main(["--out", str(tmp_path / "eager"), "--epochs", "2", "--grid", "10", "--quiet", "--eager"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == printed.splitlines()[1]
    assert nn.load(tmp_path / "eager" / "moons_model.json").state_dict() == pytest.approx(model.state_dict(), rel=1e-9)


def test_xor_demo_learns_the_truth_table_and_draws_it(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("demo_xor", DEMO.with_name("xor.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0  # 0 only when every corner is classified right
    printed = capsys.readouterr().out
    rows = [line.split("|") for line in printed.splitlines() if line.count("|") == 2 and "XOR" not in line]
    assert [(r[0].split(), int(r[1])) for r in rows] == [(["0", "0"], 0), (["0", "1"], 1), (["1", "0"], 1),
                                                          (["1", "1"], 0)]
    assert all((float(r[2]) > 0.5) == bool(int(r[1])) for r in rows)
    picture = tmp_path / "xor_boundary.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and str(picture) in printed

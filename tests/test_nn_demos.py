"""The moons demo (``python3 tasks.py demo``) runs and writes its pictures and model where it says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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

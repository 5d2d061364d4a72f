"""The command line reaches explain's and draw's newer options: --constants, and --scale for a projector."""

from __future__ import annotations

import contextlib
import io
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value, explain
from autograd_lite.cli import main


def test_explain_folds_numbers_unless_constants_is_given(capsys):
    assert main(["explain", "(w*x + 0.5)*2", "w=1", "x=2"]) == 0
    folded = capsys.readouterr().out
    assert main(["explain", "(w*x + 0.5)*2", "w=1", "x=2", "--constants"]) == 0
    shown = capsys.readouterr().out
    w, x = Value(1.0, label="w"), Value(2.0, label="x")
    root = (w * x + 0.5) * 2
    # the same steps as the library's two settings, and the numbers' own steps only with --constants
    assert len(re.findall(r"^  \d+\. edge", folded, re.M)) == len(explain(root).steps) == 4
    assert len(re.findall(r"^  \d+\. edge", shown, re.M)) == len(explain(root, constants=True).steps) == 6
    assert "d(v1 + 0.5)/dv1 = 1" in folded and "edge 0.5 ->" not in folded and "edge 0.5 ->" in shown


def test_explain_html_takes_the_page_scale(capsys, tmp_path):
    page = tmp_path / "p.html"
    assert main(["explain", "x*2", "x=1", "--format", "html", "--scale", "2", "-o", str(page)]) == 0
    assert 'data-scale="2"' in page.read_text(encoding="utf-8")
    assert main(["explain", "x*2", "x=1", "--format", "html", "-o", str(page)]) == 0
    assert 'data-scale="1"' in page.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_draw_scale_makes_the_png_bigger(capsys, tmp_path):
    sizes = {}
    for scale in ("1", "2"):
        path = tmp_path / f"g{scale}.png"
        assert main(["draw", "tanh(w*x)", "w=1", "x=2", "--scale", scale, "-o", str(path)]) == 0
        data = path.read_bytes()
        sizes[scale] = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # PNG IHDR
    assert abs(sizes["2"][0] / sizes["1"][0] - 2) < 0.05 and abs(sizes["2"][1] / sizes["1"][1] - 2) < 0.05


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.sampled_from(["nan", "inf", "-inf", "0", "0.49", "3.01", "4.01", "-1", "1e999", "", "x", "2,5",
                                  "0x2", "1_0", "0.5", "3", "4"]),
                 st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10).map(repr)))
def test_a_scale_out_of_bounds_is_a_usage_error_naming_it(text):
    for argv, (low, high) in ((["explain", "x", "x=1", "--format", "html", f"--scale={text}"], (0.5, 3)),
                              (["draw", "x", "x=1", f"--scale={text}"], (0.5, 4))):
        try:
            good = low <= float(text) <= high
        except ValueError:
            good = False
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main(argv)
            except SystemExit as stop:
                code = stop.code
        assert code == (0 if good else 2), (argv, err.getvalue())
        if not good:
            assert "--scale" in err.getvalue() and f"from {low:g} to {high:g}" in err.getvalue()

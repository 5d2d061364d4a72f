"""The autograd-lite command: explain, draw and train, with exit codes 0 / 1 / 2 and one-line errors."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import pytest

from autograd_lite.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
NEURON = ["tanh(w*x + b)", "x=1", "w=0.5", "b=-0.2"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_text(capsys):
    code, out, err = run(capsys, "explain", *NEURON)
    assert code == 0 and err == ""
    assert out.startswith("Forward pass") and "y  = tanh(v2) = 0.2913" in out
    assert "dy/dx = 0.4576" in out  # 0.5 * (1 - tanh(0.3)^2)
    assert out.count("local ") == 5


def test_explain_markdown_and_html_to_a_file(capsys, tmp_path):
    code, out, _ = run(capsys, "explain", *NEURON, "--format", "md")
    assert code == 0 and "\\frac{\\partial" in out
    target = tmp_path / "steps.html"
    code, out, err = run(capsys, "explain", *NEURON, "--format", "html", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    page = target.read_text(encoding="utf-8")
    assert page.count('<section class="frame"') == 5 and "Backpropagation through tanh(w*x + b)" in page


@pytest.mark.parametrize(("name", "starts"), [("walk.html", "<!DOCTYPE html>"), ("walk.HTM", "<!DOCTYPE html>"),
                                             ("steps.md", "**Forward pass**"), ("steps.txt", "Forward pass"),
                                             ("steps.out", "Forward pass")])
def test_explain_without_format_writes_what_the_file_name_says(capsys, tmp_path, name, starts):
    code, _, err = run(capsys, "explain", *NEURON, "-o", str(tmp_path / name))
    assert code == 0 and "wrote" in err
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(starts)


def test_explain_refuses_a_format_its_file_name_contradicts_and_writes_nothing(capsys, tmp_path):
    code, out, err = run(capsys, "explain", *NEURON, "--format", "md", "-o", str(tmp_path / "walk.html"))
    assert code == 2 and out == "" and not (tmp_path / "walk.html").exists()
    assert "is named for html output but --format is md" in err and len(err.splitlines()) == 1
    code, _, _ = run(capsys, "explain", *NEURON, "--format", "html", "-o", str(tmp_path / "walk.page"))
    assert code == 0 and (tmp_path / "walk.page").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_explain_precision(capsys):
    code, out, _ = run(capsys, "explain", "x*x", "x=3.14159265", "--precision", "8")
    assert code == 0 and "9.8696044" in out


def test_draw_prints_dot_source_without_output(capsys):
    code, out, _ = run(capsys, "draw", *NEURON, "--highlight", "w", "--color-by", "sign")
    assert code == 0 and out.startswith("digraph") and "penwidth=2.5" in out
    assert f"grad {0.5 * (1 - math.tanh(0.3) ** 2):.4g}" in out  # backward ran before drawing


@needs_dot
def test_draw_writes_an_svg(capsys, tmp_path):
    target = tmp_path / "graph.svg"
    code, _, err = run(capsys, "draw", *NEURON, "-o", str(target), "--rankdir", "TB")
    assert code == 0 and target.read_text().lstrip().startswith("<?xml") and "wrote" in err


@pytest.mark.parametrize("argv, message", [
    (["explain", "__import__('os')", "x=1"], "cannot call __import__"),
    (["explain", "x.__class__", "x=1"], "attribute access"),
    (["explain", "lambda: 0"], "lambda"),
    (["explain", "x ** 100000", "x=2"], "too large"),
    (["explain", "x + z", "x=1"], "unknown name 'z'"),
    (["explain", "x", "x=1", "y=2"], "y is not in the expression"),
    (["explain", "x", "x=one"], "must be a number"),
    (["explain", "x", "x"], "NAME=VALUE"),
    (["explain", "x", "x=1", "--precision", "0"], "precision"),
    (["draw", "x", "x=1", "--highlight", "q"], "not a variable"),
    (["draw", "x", "x=1", "-o", "graph.docx"], ".svg"),
    (["train", "moons", "--hidden", "16,x"], "--hidden"),
    (["train", "moons", "--activation", "swish"], "--activation"),
    (["train", "moons", "--lr", "-1"], "--lr"),
    (["train", "moons", "--lr", "inf"], "--lr must be a number above 0 and at most 10"),
    (["train", "moons", "--lr", "nan"], "--lr must be a number above 0 and at most 10"),
    (["train", "moons", "--seed", "-1"], "argument --seed: expected a whole number from 0 to 4,294,967,295"),
    (["explain", "dot([x], [x, x])", "x=1"], "1 weights but 2 inputs"),
    (["train", "moons", "--plot", "boundary.txt"], "--plot"),
])
def test_refused_input_exits_2_with_one_line_on_stderr(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith(f"autograd-lite {argv[0]}: error:")
    assert "Traceback" not in err


def test_math_failure_exits_1(capsys):
    code, out, err = run(capsys, "explain", "log(x)", "x=-1")
    assert code == 1 and out == "" and "log is only defined for positive numbers" in err and err.count("\n") == 1


def test_unwritable_output_exits_1(capsys, tmp_path):
    code, _, err = run(capsys, "explain", "x", "x=1", "-o", str(tmp_path / "missing" / "out.txt"))
    assert code == 1 and f"the directory {tmp_path / 'missing'} does not exist" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["--help"], ["explain", "--help"], ["draw", "--help"], ["train", "--help"]])
def test_help_for_every_subcommand(capsys, argv):
    assert main(argv) == 0  # main returns the exit code, also for --help
    out = capsys.readouterr().out
    assert "usage: autograd-lite" in out and "exit codes" in out


def test_bad_command_line_exits_2_with_one_line(capsys):
    for argv in (["frobnicate"], ["train", "mnist"], ["train", "moons", "--epochs", "0"], []):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and err.startswith("autograd-lite") and "--help)" in err


def test_train_xor_reaches_full_accuracy_and_plots(capsys, tmp_path):
    plot = tmp_path / "xor.png"
    code, out, err = run(capsys, "train", "xor", "--samples", "4", "--hidden", "4", "--activation", "tanh",
                         "--lr", "0.1", "--epochs", "150", "--batch-size", "4", "--seed", "1", "--quiet",
                         "--plot", str(plot))
    assert code == 0, err
    assert out.startswith("final accuracy 1.000 (4/4)")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_compiled_by_default_and_eager_agree(capsys):
    argv = ["train", "spirals", "--samples", "30", "--hidden", "6", "--epochs", "5", "--quiet"]
    code, compiled, _ = run(capsys, *argv)
    assert code == 0
    code, eager, _ = run(capsys, *argv, "--eager")
    assert code == 0 and compiled == eager and compiled.startswith("final accuracy")


def test_train_shows_a_progress_bar(capsys):
    code, out, err = run(capsys, "train", "spirals", "--samples", "12", "--hidden", "3", "--epochs", "2")
    assert code == 0 and "final accuracy" in out and "epoch" in err  # tqdm writes to stderr


def test_console_script_runs_as_a_program():
    result = subprocess.run([sys.executable, "-m", "autograd_lite.cli", "explain", "x*y", "x=2", "y=3"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "dy/dx" not in result.stdout and "df/dx = 3" in result.stdout
    result = subprocess.run([sys.executable, "-m", "autograd_lite.cli", "explain", "x.y", "x=2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_the_installed_autograd_lite_command_is_this_main():
    import sysconfig
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "autograd-lite"]
    assert script.value == "autograd_lite.cli:main"
    program = shutil.which("autograd-lite", path=sysconfig.get_path("scripts"))
    assert program, "pip install -e . did not put the autograd-lite program next to this Python"
    result = subprocess.run([program, "explain", "w*x", "w=2", "x=3"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "dy/dw = 3" in result.stdout
    result = subprocess.run([program, "explain", "w*", "w=2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == "" and "not a valid expression" in result.stderr


def test_docstring_examples():
    import doctest

    result = doctest.testmod(sys.modules["autograd_lite.cli.commands"], optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_an_expression_starting_with_minus(capsys):
    assert main(["explain", "-x*2", "x=1"]) == 2 and 'goes after "--"' in capsys.readouterr().err
    code, out, _ = run(capsys, "explain", "--", "-x*2", "x=1")
    assert code == 0 and "dy/dx = -2" in out

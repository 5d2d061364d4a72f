"""Command lines through ``autograd_lite.cli.main``, in process: whatever the arguments, the exit code
is 0, 1, 2 or 130, an error is one short line on stderr, exit 1 only when the work failed (math, files,
Graphviz), and no traceback ever shows.

- Random: tokens from a vocabulary of the commands, their options and values at and past their bounds
  (huge numbers, 100,000-character arguments, hundreds of NAME=VALUE pairs, empty, missing and
  unwritable paths, bytes that are not UTF-8) and random text, and command lines right but for a few things.
- Systematic: every option that takes a value, at every extreme, on an otherwise right command line.

The options come from each command's ``--help``, so an option added later, without a bound or with a
message that repeats its value whole, fails here without touching this file. Training is kept tiny:
``fit`` and ``evaluate`` run for real only on small problems (one epoch), and the plot is a stub; the
bounds of train's sizes are tested directly in test_cli_train_bounds.py.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
import nn.commands
import nn.plot
from autograd_lite.cli import main
from autograd_lite.cli.args import MAX_LINE
from autograd_lite.cli.commands import MAX_ARGUMENTS

HUGE = 100_000
MANY = object()  # stands for 420 NAME=VALUE arguments (more than an expression may use; three: more than main takes)
COMMANDS = ["explain", "draw", "train", "frobnicate", "--help", "--version", "-h", "", "--"]


def options_and_choices(command: str) -> tuple[dict[str, bool], list[str]]:
    """The options ``command --help`` lists (option -> takes a value) and its choices, so that an option
    added later is drawn too."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([command, "--help"]) == 0
    text = out.getvalue()
    choices = [c for group in re.findall(r"\{([^}]+)\}", text) for c in group.split(",")]
    options = {}
    for entry in re.findall(r"(?m)^ {2}(-.*?)(?:  |\n)", text.split("options:", 1)[1]):  # '-o FILE, --output FILE'
        for form in entry.split(", "):
            option, _, value = form.partition(" ")
            options[option] = bool(value)
    del options["-h"], options["--help"]
    return options, sorted(set(choices))


HELP = {command: options_and_choices(command) for command in ("explain", "draw", "train")}
VOCABULARY = [
    # explain and draw
    "x", "x=1", "x=-2", "y=0.5", "w=3", "x=", "=1", "x=nan", "x=1e309", "x=abc", "tanh(w*x + y)", "log(x)", "1/x", "x**1000",
    "x*y", "-x", "exp(x)", "sqrt(-x)", "dot([x], [y])", "__import__('os')", "x.real", "lambda: 0", "(" * 300 + "x",
    "--format", "text", "md", "html", "--precision", "--rankdir", "LR", "TB", "--no-grad", "--highlight", "--color-by",
    "sign", "magnitude", "--force", "-o", "--output", "--out",
    # files: fine, refused, missing directory, a directory, a full disk, not UTF-8, not a file name
    "out.txt", "out.svg", "out.dot", "out.png", "keep.svg", "out.docx", "missing/out.svg", "missing/plot.png", ".", "sub",
    "/dev/full", "\udcff.svg", "\ud800.txt", "a\x00b.svg", " ", "plot.png", "plot.txt",
    # train
    "moons", "xor", "spirals", "mnist", "--epochs", "--samples", "--hidden", "--activation", "relu", "tanh", "swish",
    "--lr", "--batch-size", "--seed", "--plot", "--quiet", "--eager",
    # numbers at and past the bounds
    *(token for options, choices in HELP.values() for token in [*options, *choices]),
    "0", "1", "2", "3", "4", "-1", "10", "11", "17", "18", "1e300", "-1e-300", "nan", "inf", "100000", "100001",
    "4294967295", "4294967296", "1000000", "1000001", "9" * 30, "256,256", "256,256,256", "16,x", "16,,16",
    ",".join(["1"] * 70), "1" * 5000, "x" * HUGE, "a" * 3000 + "=1",
]
text = st.text(st.characters(exclude_categories=[]), max_size=12).filter(
    lambda s: not s.startswith(("/", "~")) and ".." not in s)  # random file names stay in the work directory
token = st.one_of(st.sampled_from(VOCABULARY), text, st.just(MANY))

# Command lines that are right but for a few things, so that the runs get past argparse
numbers = (st.sampled_from(["1", "2", "3", "4", "5", "8", "16"]) | st.integers(-5, 10**6).map(str)
           | st.sampled_from([t for t in VOCABULARY if t[:1].isdigit() or t[:1] in "-n"]))
paths = st.sampled_from(["out.txt", "out.svg", "out.dot", "keep.svg", "out.docx", "missing/out.svg", ".", "sub",
                         "/dev/full", "\udcff.svg", "\ud800.svg", "a\x00b.svg", "", " ", "plot.png", "plot.txt",
                         "missing/plot.png", "sub/plot.png"]) | text
FORMULA = {"explain": {"--format": st.sampled_from(["text", "md", "html", "pdf"]), "--precision": numbers,
                       "-o": paths, "--output": paths},
           "draw": {"-o": paths, "--rankdir": st.sampled_from(["LR", "TB", "XX"]), "--no-grad": None,
                    "--highlight": st.sampled_from(["x", "w", "q", "x" * 5000]), "--precision": numbers,
                    "--color-by": st.sampled_from(["sign", "magnitude", "size"]), "--force": None}}
TRAIN = {"--epochs": numbers, "--samples": numbers, "--batch-size": numbers, "--seed": numbers,
         "--lr": numbers | st.sampled_from(["0.1", "1e-3", "10", "10.5"]), "--quiet": None, "--eager": None,
         "--hidden": st.sampled_from(["2", "3,3", "256,256", "256,256,256", "16,x", "", ",", "0", "257"]) | numbers,
         "--activation": st.sampled_from(["relu", "tanh", "sigmoid", "swish"]), "--plot": paths}


@st.composite
def nearly_right(draw) -> tuple[str, list]:
    command = draw(st.sampled_from(["explain", "draw", "train"]))
    if command == "train":
        args, options = [draw(st.sampled_from(["moons", "xor", "spirals"]))], TRAIN
    else:
        expression = draw(st.sampled_from(["tanh(w*x + y)", "x*y", "log(x)", "1/x", "x**1000", "exp(x) + w", "x"]))
        names = [n for n in "xwy" if n in expression] + draw(st.sampled_from([[], [], ["z"]]))  # z: not used
        args = [expression] + [f"{n}={draw(st.sampled_from(['1', '3', '0.5', '0', '-2']))}" for n in names]
        options = FORMULA[command]
    anything = numbers | paths | text | st.sampled_from(HELP[command][1])
    for option in draw(st.lists(st.sampled_from(sorted(HELP[command][0])), max_size=4)):  # every option, new ones too
        value = options.get(option, anything)
        args += [option] if value is None else [option, draw(value)]
    if draw(st.integers(0, 3)) == 0:  # and now and then a token anywhere
        args.insert(draw(st.integers(0, len(args))), draw(token))
    return command, args


command_lines = st.tuples(st.sampled_from(COMMANDS) | text, st.lists(token, max_size=10)) | nearly_right()


THE_WORK_FAILED = re.compile("cannot compute|not a finite|cannot write|does not exist|is a directory|is not a directory"
                             "|not made by autograd-lite draw|File name too long|Graphviz|dot failed|dot stopped|needs matplotlib")


def small_fit(model, X, y, *, epochs, **kwargs):
    """The real fit, one epoch, on small problems only: hypothesis stays fast."""
    if len(X) * len(model.parameters()) <= 20_000:
        return nn.fit(model, X, y, epochs=1, **{**kwargs, "progress": False})
    return None


def small_evaluate(model, X, y, *, loss, **kwargs):
    if len(X) * len(model.parameters()) <= 20_000:
        return nn.evaluate(model, X, y, loss=loss, **kwargs)
    return 0.5, 0.5


def stub_plot(model, X, y, path, title=""):
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n")  # a write as real as savefig's: it can fail the same ways
    return Path(path)


def run_in(folder: Path, argv: list[str], fit=small_fit) -> tuple[int, str, str]:
    """main(argv) with stdout and stderr as strict UTF-8 streams, as a terminal's (a surrogate would fail)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    with contextlib.chdir(folder), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            mock.patch.object(nn.commands, "fit", fit), mock.patch.object(nn.commands, "evaluate", small_evaluate), \
            mock.patch.object(nn.plot, "plot_decision_boundary", stub_plot):
        code = main(argv)
    return code, out.buffer.getvalue().decode(), err.buffer.getvalue().decode()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One work directory for all examples, with a directory, and a keep.dot that autograd-lite did not write."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "sub").mkdir()
    (folder / "keep.dot").write_text("my own notes\n")
    return folder


def expand(first: str, rest: list) -> list[str]:
    argv = [first]
    for t in rest:
        argv.extend(f"v{i}={i}" for i in range(420)) if t is MANY else argv.append(t)
    return argv


@settings(max_examples=300, deadline=timedelta(seconds=60), suppress_health_check=[HealthCheck.too_slow])
@given(line=command_lines)
def test_any_command_line_exits_0_1_2_with_at_most_one_short_error_line(folder, line):
    check(*run_in(folder, expand(*line)))


def check(code: int, out: str, err: str) -> None:
    """The properties of every run: exit 0, 1 or 2; no traceback; one short error line; exit 1 only when
    the work failed."""
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in out + err and "not enough memory" not in err  # MemoryError: a size without a bound
    lines = err.splitlines()
    assert all(len(one) <= MAX_LINE for one in lines), "an unbounded line on stderr"
    if code != 0:
        assert len(lines) == 1 and lines[0].startswith("autograd-lite") and ": error: " in lines[0], err
    if code == 2:  # a usage error repeats what was typed already shortened: say() never had to cut it
        assert len(lines[0]) < MAX_LINE, err
    if code == 1:  # the work failed: the math, a file or Graphviz; not a size or a value no check caught
        assert THE_WORK_FAILED.search(lines[0]), err
    if code == 0:
        assert len(lines) <= 3, err  # 'training ...', 'wrote ...'


EXTREMES = ["0", "-1", "1", "100000", "1000000", "4294967296", "9" * 30, "1" * 5000, "-1e-300", "1e300", "nan", "inf",
            "", " ", "x" * HUGE, "\udcff", "a\x00b", "missing/x.png", "sub", "1,1", ",".join(["256"] * 2000)]
BASE = {"explain": ["explain", "x*y", "x=1", "y=2"], "draw": ["draw", "x*y", "x=1", "y=2"],
        "train": ["train", "xor", "--samples", "4", "--hidden", "2", "--epochs", "1", "--quiet"]}


@pytest.mark.parametrize("command, option", [(c, o) for c, (options, _) in HELP.items() for o, value in options.items()
                                             if value])
def test_every_option_at_its_extremes(folder, command, option):
    """Not random: each option that takes a value, at every extreme, on an otherwise right command line.
    An option added without a bound, or a message that repeats its value whole, fails here."""
    for value in EXTREMES:
        check(*run_in(folder, [*BASE[command], f"{option}={value}"]))


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@settings(max_examples=60, deadline=None)
@given(line=command_lines, where=st.sampled_from(["parser", "explain", "draw", "data", "fit"]))
def test_ctrl_c_anywhere_is_130_and_one_line(folder, line, where):
    """Whatever the command and wherever Ctrl-C lands, one line and 130 (unless the run ends before)."""
    targets = {"parser": "autograd_lite.cli.commands.entry_points", "explain": "autograd_lite.cli.commands.explain",
               "draw": "autograd_lite.cli.commands.draw", "data": "nn.datasets.make_moons"}
    argv = expand(*line)
    with mock.patch(targets[where], interrupt) if where in targets else contextlib.nullcontext():
        code, out, err = run_in(folder, argv, fit=interrupt if where == "fit" else small_fit)
    assert code in (0, 1, 2, 130) and "Traceback" not in out + err
    if code == 130:  # after at most 'training ...': one line, and no error
        assert err.endswith(": interrupted\n") and err.splitlines()[-1].startswith("autograd-lite")
        assert err.count("interrupted") == 1 and "error" not in err and err.count("\n") <= 2
    if where == "parser" and len(argv) <= MAX_ARGUMENTS:
        assert (code, err) == (130, "autograd-lite: interrupted\n")

"""The command line's limits, one test per way in: empty and unwritable paths, user text repeated in
messages (cut, with an ellipsis), NAME=VALUE counts, bytes that are not UTF-8, the DOT file beside an
image, write errors, and Ctrl-C. (Training's sizes: test_cli_train_bounds.py; random command lines:
test_cli_fuzz.py; signals and pipes in a real process: test_cli_interrupt.py.)"""

from __future__ import annotations

import errno
import io
import os
import shutil
from unittest import mock

import pytest

import nn.commands
from autograd_lite.cli import main
from autograd_lite.cli.args import MAX_LINE, name_some, shorten
from autograd_lite.cli.commands import DRAWN_BY
from autograd_lite.cli.expr import MAX_ASSIGNMENTS

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
HUGE = 100_000


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err
    assert len(err) <= MAX_LINE + 1
    return err.rstrip("\n")


# --- empty and unusable file names: usage errors (2), before any work ---------------------------------
@pytest.mark.parametrize("argv", [
    ["explain", "x", "x=1", "-o", ""],
    ["explain", "x", "x=1", "--output", "   "],
    ["draw", "x", "x=1", "-o", ""],
    ["train", "moons", "--plot", ""],
    ["explain", "x", "x=1", "-o", "a\0b.txt"],
    ["draw", "x", "x=1", "-o", "\ud800.svg"],  # a surrogate that no byte decodes to: no file can have it
])
def test_an_empty_or_impossible_file_name_is_refused(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    line = one_line(err)
    assert code == 2 and out == "" and "file name" in line and "--help" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, option", [
    (["explain", "x", "x=1", "-o", "{missing}/out.txt"], "-o"),
    (["draw", "x", "x=1", "-o", "{missing}/graph.svg"], "-o"),
    (["train", "xor", "--plot", "{missing}/boundary.png"], "--plot"),
])
def test_a_file_in_a_missing_directory_fails_before_the_work(capsys, tmp_path, argv, option):
    argv = [a.format(missing=tmp_path / "missing") for a in argv]
    with mock.patch.object(nn.commands, "fit", side_effect=AssertionError("trained before checking --plot")):
        code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert one_line(err).endswith(f"{option} {argv[-1]}: the directory {tmp_path / 'missing'} does not exist")


@pytest.mark.parametrize("argv", [["explain", "x", "x=1", "-o", "{dir}"], ["draw", "x", "x=1", "-o", "{dir}.svg"],
                                  ["train", "xor", "--plot", "{dir}.png"]])
def test_a_directory_is_not_a_file_to_write(capsys, tmp_path, argv):
    for name in ("d", "d.svg", "d.png"):
        (tmp_path / name).mkdir()
    argv = [a.format(dir=tmp_path / "d") for a in argv]
    with mock.patch.object(nn.commands, "fit", side_effect=AssertionError("trained before checking --plot")):
        code, out, err = run(capsys, *argv)
    assert code == 1 and "is a directory" in one_line(err)


def test_a_file_under_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "plain").write_text("")
    code, _, err = run(capsys, "explain", "x", "x=1", "-o", str(tmp_path / "plain" / "out.txt"))
    assert code == 1 and "is not a directory" in one_line(err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_is_one_line_and_exit_1(capsys):
    code, _, err = run(capsys, "explain", "x", "x=1", "-o", "/dev/full")
    assert code == 1 and one_line(err) == "autograd-lite explain: error: cannot write /dev/full: No space left on device"


class Full(io.StringIO):
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("argv", [["explain", "x", "x=1"], ["draw", "x", "x=1"], ["--help"], ["--version"],
                                  ["train", "xor", "--samples", "4", "--epochs", "1", "--hidden", "2", "--quiet"]])
def test_standard_output_that_cannot_be_written_is_one_line_and_exit_1(capsys, argv):
    with mock.patch("sys.stdout", Full()):
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and err.splitlines()[-1].endswith("cannot write to standard output: No space left on device")
    assert "Traceback" not in err and err.count("error") == 1


# --- what the user typed, repeated in a message, is cut -------------------------------------------------
LONG = "q" * HUGE


@pytest.mark.parametrize("argv, says", [
    (["explain", "x", LONG], "expected NAME=VALUE (like x=1.5), got 'qqq"),
    (["explain", "x", "x=" + LONG], "the value of x must be a number, got 'qqq"),
    (["explain", "x", "1" + LONG + "=1"], "is not a valid variable name"),
    (["explain", "x", "x=1", LONG + "=1"], "is not in the expression"),
    (["explain", "x", "x=1", LONG + "=1", LONG + "=2"], "is given twice"),
    (["explain", "x", "x=1", "--precision", "9" * HUGE], "argument --precision: expected a whole number from 1 to 17"),
    (["explain", "x", "x=1", "--format", LONG], "argument --format: invalid choice"),
    (["draw", "x", "x=1", "--highlight", LONG], "--highlight qqq"),
    (["draw", "x", "x=1", "-o", LONG + ".docx"], "use a name ending in .svg"),
    (["train", LONG], "argument dataset: invalid choice"),
    (["train", "moons", "--hidden", "1," + LONG], "is not a whole number"),
    (["train", "moons", "--activation", LONG], "--activation must be one of"),
    (["train", "moons", "--plot", LONG + ".txt"], "use a name ending in .png"),
    (["train", "moons", "--seed", "1" * 4000], "argument --seed: expected a whole number from 0 to 4,294,967,295"),
    (["explain", "x", "x=1", *[f"--{i}" for i in range(900)]], "unrecognized arguments: --0, --1, --2 and 897 more"),
])
def test_a_long_argument_is_cut_in_the_message(capsys, argv, says):
    code, out, err = run(capsys, *argv)
    line = one_line(err)
    assert code == 2 and out == "" and says in line and len(line) <= 300
    assert "…" in line or "more" in line


def test_what_is_not_repeated_is_bounded_too(capsys):
    code, _, err = run(capsys, "explain", LONG)
    assert code == 2 and one_line(err).endswith("error: the expression is 100,000 characters long; the limit is 2,000")
    code, _, err = run(capsys, "explain", "x", "x=1", "-o", "d/" * (HUGE // 2) + "x")  # longer than the system allows
    assert code == 1 and one_line(err).endswith(": File name too long") and "…" in err


def test_the_number_of_arguments_is_bounded(capsys):
    """argparse takes time as the square of the arguments that look like options: 100,000 took minutes."""
    code, _, err = run(capsys, "explain", "x", "x=1", *[f"--{i}" for i in range(HUGE)])
    assert code == 2 and one_line(err) == "autograd-lite: error: 100,003 arguments; the limit is 1,000 " \
                                          "(see autograd-lite --help)"


def test_unused_names_are_named_a_few_and_counted(capsys):
    code, _, err = run(capsys, "explain", "x", "x=1", *[f"v{i}=1" for i in range(MAX_ASSIGNMENTS - 1)])
    assert code == 2 and one_line(err).endswith("error: v0, v1, v10 and 396 more are not in the expression")
    code, _, err = run(capsys, "explain", "x", "x=1", "y=2")
    assert code == 2 and one_line(err).endswith("error: y is not in the expression")


@pytest.mark.parametrize("count", [MAX_ASSIGNMENTS + 1, 998])
def test_the_number_of_name_value_arguments_is_bounded(capsys, count):
    code, _, err = run(capsys, "explain", "x", *[f"v{i}=1" for i in range(count)])
    assert code == 2 and one_line(err).endswith(
        f"error: {count:,} NAME=VALUE arguments; the limit is {MAX_ASSIGNMENTS} (an expression cannot use more variables)")


def test_shorten_and_name_some():
    assert shorten("abc") == "abc" and len(shorten("a" * 50, 9)) == 9 and "…" in shorten("a" * 50, 9)
    assert len(shorten("b" * HUGE)) == 40
    assert shorten("x\ny\x1b[2J\udcff") == "x\\ny\\x1b[2J\\udcff"  # one printable line, whatever came
    assert name_some([]) == "" and name_some(["a", "b", "c"]) == "a, b, c"
    assert name_some(["a", "b", "c", "d"]) == "a, b, c and 1 more"


# --- bytes that are not UTF-8 (sys.argv holds them as lone surrogates) -----------------------------
def test_bytes_that_are_not_utf8(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "explain", "x + \udcff", "x=1")
    assert code == 2 and one_line(err).endswith("the expression contains a byte that is not UTF-8 text at column 5")
    code, _, err = run(capsys, "explain", "x", "\udcff=1")
    assert code == 2 and "'\\udcff' is not a valid variable name" in one_line(err)
    code, _, err = run(capsys, "train", "moons", "--hidden", "\udcff")
    assert code == 2 and "'\\udcff' is not a whole number" in one_line(err)
    code, _, err = run(capsys, "explain", "x", "x=1", "-o", "r\udcffsum\u00e9.txt")  # a file name may be any bytes
    assert code == 0 and one_line(err) == "wrote r\\udcffsum\u00e9.txt"
    assert os.listdir(b".") == [b"r\xffsum\xc3\xa9.txt"]


def test_a_null_byte_in_the_expression(capsys):
    code, _, err = run(capsys, "explain", "x\0", "x=1")
    assert code == 2 and one_line(err).endswith("the expression contains a null byte at column 2")


# --- draw -o keep.svg also writes keep.dot --------------------------------------------------------
def test_draw_does_not_replace_a_dot_file_it_did_not_write(capsys, tmp_path):
    mine = tmp_path / "keep.dot"
    mine.write_text("digraph { my -> notes }\n")
    code, out, err = run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "keep.svg"))
    assert code == 1 and out == "" and mine.read_text() == "digraph { my -> notes }\n"
    assert not (tmp_path / "keep.svg").exists()
    assert one_line(err).endswith(f"-o {tmp_path / 'keep.svg'} also writes the DOT source to {mine}, which exists and "
                                  "was not made by autograd-lite draw; pass --force to replace it, or choose another name")


@needs_dot
def test_draw_replaces_its_own_dot_file_and_any_with_force(capsys, tmp_path):
    image, source = tmp_path / "keep.svg", tmp_path / "keep.dot"
    source.write_text("digraph { my -> notes }\n")
    code, _, err = run(capsys, "draw", "x*2", "x=1", "-o", str(image), "--force")
    assert code == 0 and one_line(err) == f"wrote {image} (and its DOT source, {source})"
    assert source.read_text().startswith(f"// {DRAWN_BY}\ndigraph") and image.read_text().lstrip().startswith("<?xml")
    code, _, err = run(capsys, "draw", "x*3", "x=1", "-o", str(image))  # the next run may replace what draw wrote
    assert code == 0 and "3" in source.read_text()


def test_draw_writes_a_dot_file_it_is_given_and_marks_it(capsys, tmp_path):
    target = tmp_path / "graph.dot"
    target.write_text("anything\n")  # named on the command line: replaced, as any -o
    code, _, _ = run(capsys, "draw", "x", "x=1", "-o", str(target))
    assert code == 0 and target.read_text().startswith(f"// {DRAWN_BY}\n")
    code, out, _ = run(capsys, "draw", "x", "x=1")
    assert code == 0 and out.startswith("digraph")  # printed source: no mark


# --- Ctrl-C: one line and 130, for every command ---------------------------------------------------------
def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("argv, where", [
    (["explain", "x", "x=1"], "autograd_lite.cli.commands.explain"),
    (["draw", "x", "x=1", "-o", "{tmp}/g.svg"], "autograd_lite.cli.commands.render"),
    (["train", "xor", "--samples", "4", "--quiet"], "nn.commands.fit"),
    (["train", "xor", "--samples", "4", "--quiet"], "nn.commands.evaluate"),
    (["explain", "x", "x=1"], "autograd_lite.cli.commands.entry_points"),  # while building the parser
])
def test_ctrl_c_is_one_line_and_130(capsys, tmp_path, argv, where):
    with mock.patch(where, interrupt):
        code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    name = "autograd-lite" if where.endswith("entry_points") else f"autograd-lite {argv[0]}"
    assert code == 130 and err.splitlines()[-1] == f"{name}: interrupted" and "Traceback" not in err


def test_help_states_the_exit_codes_and_bounds(capsys):
    for argv in (["--help"], ["explain", "--help"], ["draw", "--help"], ["train", "--help"]):
        assert main(argv) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "130 interrupted" in out
    for bound in ("1 to 1,000,000", "to 100,000", "moons 2, xor 4, spirals 3", "at most 100,000 weights",
                  "at most 10", "0 to 4,294,967,295", "1 to 64 layers of 1 to 256", "at most 1 GB"):
        assert bound in out, bound

"""The ``autograd-lite`` command: explain or draw a formula's gradients, or train a small MLP.

    autograd-lite explain "tanh(w*x + b)" x=1 w=0.5 b=-0.2 [--format text|md|html] [-o FILE]
    autograd-lite draw "tanh(w*x + b)" x=1 w=0.5 b=-0.2 -o graph.svg
    autograd-lite check "x*y + x" x=3 y=-2 --grad x=-1 --grad y=3     (and quiz: practice.py)
    autograd-lite train moons [--epochs N] [--plot boundary.png]     (added by nn, see below)

Exit codes: 0 success; 1 the work failed (a math domain error such as log(-1), a file that
cannot be written, Graphviz missing); 2 a usage error (bad option, refused expression, bad
NAME=VALUE, a number out of its bounds); 130 interrupted (Ctrl-C), the shell's convention.
``check`` and ``grade`` give a verdict (as grep and diff do): 1 there is "an answer is wrong" only, and
whatever stops the verdict (log(0) in the formula, an unreadable answers file) is 2.

Every message goes to stderr as one line through ``say``, which escapes what is not printable and
cuts the line to ``MAX_LINE`` characters, whatever a message repeats (argparse's errors too, without
the usage text). ``main`` is the one place that turns errors and Ctrl-C into a line and an exit code.

Other packages add commands through the entry-point group ``autograd_lite.commands``: each
entry names a function ``add(commands)`` that adds its subparser to ``commands`` (argparse's
subparsers) with ``set_defaults(run=function)``; ``run(args)`` returns the exit code and may
raise ``UsageError`` (exit 2) or ``OSError``, ``ValueError``, ``ArithmeticError``, ``RuntimeError``
(exit 1). A command whose exit 1 is a verdict (``check``, ``grade``: an answer is wrong) sets
``verdict=True`` too: then every failure is exit 2, "no verdict", as grep and diff do. The helpers
here are for them too: ``whole_number`` and ``output_path`` (argparse types with bounds),
``check_output`` and ``check_suffix`` (before any work), ``write_output``, ``say``, ``shorten``, ``name_some``.
This is how ``nn`` adds ``train`` without ``autograd_lite`` importing ``nn``.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

from .. import __version__
from ..core.engine import Value
from ..teaching.draw import draw, render
from ..teaching.explain import explain
from .args import (
    ECHO,
    PATH_ECHO,
    SPECIAL,
    UsageError,
    check_output,
    check_suffix,
    name_some,
    number_between,
    os_message,
    output_format,
    output_path,
    say,
    shorten,
    special_file,
    stream_open,
    whole_number,
    write_output,
)
from .expr import FUNCTIONS, ExpressionError, parse_assignments, parse_expression

PROG = "autograd-lite"
EXPLAIN_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "text"}
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
PLUGINS = "autograd_lite.commands"  # the entry-point group through which other packages add commands
MAX_ARGUMENTS = 1000  # on one command line: 400 NAME=VALUE and options to spare (argparse slows as the square)
MAX_PRECISION = 17  # significant digits: a float has no more
DRAWN_BY = "made by autograd-lite draw"  # the first line of the DOT files draw writes (see _source_beside)
OPTION_LIKE = re.compile(r"--[A-Za-z][\w-]*(=.*)?", re.DOTALL)  # an option we do not have, not an expression

EXPRESSION_HELP = (
    "a formula in Python syntax: numbers, variable names, + - * / **, unary minus and the functions "
    + ", ".join(sorted(FUNCTIONS))
    + ' (quote it; start it with "--" if it begins with a minus sign; at most 2,000 characters)'
)
EPILOG = ("exit codes: 0 success, 1 the computation or writing failed, 2 usage error "
          "(bad option, refused expression, bad NAME=VALUE, a number out of bounds), 130 interrupted (Ctrl-C)")


class _Parser(argparse.ArgumentParser):
    """argparse, with errors as one line (through ``say``), unknown arguments counted rather than all
    repeated, and a hint for the one mistake it cannot explain: an expression starting with '-'."""

    # Any, not Namespace: the override must fit argparse's overloads (a namespace passed in comes back)
    def parse_args(self, args: Iterable[str] | None = None, namespace: Any = None) -> Any:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {name_some(extras)}{self._hint(extras)}")
        return parsed

    def _hint(self, extras: list[str]) -> str:
        """Why an argument was not recognized, when that can be told: an option of another command, or an
        expression that starts with a minus sign (one that is not an option anywhere and does not look like one)."""
        owners: dict[str, list[str]] = {}
        for action in self._actions:
            commands = action.choices if isinstance(action.choices, dict) else {}  # the subparsers: name -> parser
            for command, sub in commands.items():
                for option in (o for a in sub._actions for o in a.option_strings):
                    owners.setdefault(option, []).append(command)
        for extra in extras:
            option = extra.split("=", 1)[0]
            if option in owners:
                return f" ({shorten(option)} is an option of {', '.join(owners[option])})"
        if any(e.startswith("-") and not OPTION_LIKE.fullmatch(e) for e in extras):
            return ' (an expression that starts with a minus sign goes after "--": explain -- "-x*2" x=1)'
        return ""

    def error(self, message: str) -> NoReturn:
        message = re.sub(f"'([^']{{{ECHO + 1},}})'", lambda m: f"'{shorten(m[1])}'", message)  # values argparse quotes
        if "expected one argument" in message:
            message += " (a value that starts with a minus sign goes after '=', as in --lr=-1)"
        say(f"{self.prog}: error: {message} (see {self.prog} --help)")
        self.exit(EXIT_USAGE)

    def print_help(self, file: Any = None) -> None:
        self.write(self.format_help(), file)

    def write(self, text: str, file: Any = None) -> None:
        """Help and version text: argparse would drop it silently on a full disk or a closed pipe."""
        try:
            write_output(text, None) if file is None else file.write(text)
        except OSError as error:
            say(f"{self.prog}: error: {error}")
            self.exit(EXIT_FAILED)


class _Version(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        parser.write(f"{PROG} {__version__}\n")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit code (also for
    ``--help`` and usage errors: it never raises ``SystemExit``, nor lets Ctrl-C out as a traceback).

    >>> main(["explain", "x*y", "x=2", "y=3", "--format", "text"]) # doctest: +ELLIPSIS
    Forward pass ...
    0
    """
    name = PROG
    _hold_closed_descriptors()
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) > MAX_ARGUMENTS:
        say(f"{PROG}: error: {len(argv):,} arguments; the limit is {MAX_ARGUMENTS:,} (see {PROG} --help)")
        return EXIT_USAGE
    try:
        try:
            args = _parser().parse_args(argv)
            name = f"{PROG} {args.command}"
            code = _run(args, name)
        except SystemExit as stop:  # --help, --version, an argparse error (reported), a plugin's sys.exit
            code = _exit_code(stop.code, name)
        return _flush_stdout(code, name)
    except KeyboardInterrupt:
        pass  # leaving the handler first frees the interrupted frames, so a progress bar ends its line
    say(f"{name}: interrupted")
    return EXIT_INTERRUPTED


def _run(args: argparse.Namespace, name: str) -> int:
    failed = EXIT_USAGE if getattr(args, "verdict", False) else EXIT_FAILED  # a verdict's 1 means "wrong"
    try:
        return args.run(args)
    except (UsageError, ExpressionError) as error:
        say(f"{name}: error: {error}")
        return EXIT_USAGE
    except OSError as error:
        say(f"{name}: error: {os_message(error)}")
        return failed
    except MemoryError:
        say(f"{name}: error: not enough memory")
        return failed
    except (ValueError, ArithmeticError, RuntimeError) as error:
        say(f"{name}: error: {error}")
        return failed


def _exit_code(code: object, name: str) -> int:
    if code is None or isinstance(code, int):
        return code or EXIT_OK
    say(f"{name}: error: {code}")
    return EXIT_FAILED


def _hold_closed_descriptors() -> None:
    """Point a standard descriptor (0, 1, 2) the program was started without (``>&-``) at /dev/null, so that no
    file the command opens takes its number and gets what a library writes there. Python has set the stream to
    None; it stays None, and the command treats it as closed (``stream_open``)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            null = os.open(os.devnull, os.O_RDWR)
        except OSError:
            return
        if null != fd:  # the lowest free number: fd itself, unless a lower one is closed too (taken in turn)
            os.dup2(null, fd)
            os.close(null)


def _flush_stdout(code: int, name: str) -> int:
    """Flush standard output here, so a full disk or a closed pipe is one line and exit 1, not a message
    from the interpreter at exit; then point the descriptor at /dev/null so the exit flush is quiet. A closed
    standard output (None) holds nothing to flush: a command that needed it has failed already."""
    if not stream_open(sys.stdout):
        return code
    try:
        sys.stdout.flush()
    except (OSError, ValueError) as error:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        if code == EXIT_OK:
            say(f"{name}: error: cannot write to standard output: {getattr(error, 'strerror', None) or error}")
            return EXIT_FAILED
    return code


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="See backpropagation work, one scalar at a time.", epilog=EPILOG)
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    precision: dict[str, Any] = dict(type=whole_number(1, MAX_PRECISION), default=4,
                                     help=f"significant digits shown, 1 to {MAX_PRECISION} (default 4)")

    p = commands.add_parser("explain", help="the chain rule for a formula, step by step", epilog=EPILOG,
                            description="Print the forward pass and every chain-rule step of backpropagation.")
    formula_arguments(p)
    p.add_argument("--format", choices=("text", "md", "html"),
                   help="text for the terminal, md (Markdown with LaTeX), html (a walkthrough page); default: "
                        "from -o's name (.html, .md, .txt), else text")
    p.add_argument("-o", "--output", metavar="FILE", type=output_path, help="write to FILE instead of standard output")
    p.add_argument("--precision", **precision)
    p.add_argument("--constants", action="store_true", help="give the formula's numbers steps of their own")
    p.add_argument("--scale", type=number_between(0.5, 3), default=1.0, help="html: page scale, 0.5 to 3 (default 1)")
    p.set_defaults(run=_explain)

    p = commands.add_parser("draw", help="the computation graph of a formula, as an image", epilog=EPILOG,
                            description="Draw the graph of a formula with each node's value and gradient.")
    formula_arguments(p)
    p.add_argument("-o", "--output", metavar="FILE", type=output_path,
                   help="graph.svg / .png / .pdf (needs Graphviz; the DOT source is also written, to graph.dot) "
                        "or .dot; without it the DOT source is printed")
    p.add_argument("--force", action="store_true",
                   help="replace an existing graph.dot beside graph.svg that autograd-lite did not write")
    p.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR", help="layout direction")
    p.add_argument("--no-grad", action="store_true", help="do not show gradients")
    p.add_argument("--precision", **precision)
    p.add_argument("--highlight", metavar="NAME", help="thicken every path from variable NAME to the result")
    p.add_argument("--color-by", choices=("sign", "magnitude"), help="tint nodes by their gradient")
    p.add_argument("--scale", type=number_between(0.5, 4), default=1.0, help="picture size, 0.5 to 4 (default 1)")
    p.set_defaults(run=_draw)

    from .practice import add_practice_commands  # here: practice reads this module's UsageError and formula

    add_practice_commands(commands)  # check and quiz
    for name, plugin in _plugins():
        _add_plugin(commands, name, plugin)
    return parser


def _plugins() -> Iterator[tuple[str, Any]]:
    """(name, entry point) of every command another installed package adds, in name order."""
    yield from sorted(((ep.name, ep) for ep in entry_points(group=PLUGINS)), key=lambda pair: pair[0])


def _add_plugin(commands: Any, name: str, plugin: Any) -> None:
    """Let ``plugin`` add its command; if it cannot be loaded, the command is still listed and says why when run."""
    try:
        plugin.load()(commands)
    except Exception as error:  # a broken plugin must not take explain and draw down with it
        reason = f"{type(error).__name__}: {error}"

        def broken(args: argparse.Namespace) -> int:
            raise RuntimeError(f"the {name} command ({plugin.value}) could not be loaded: {reason}")

        p = commands.add_parser(name, help=f"(could not be loaded: {shorten(reason, 60)})", add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(run=broken)


def formula_arguments(p: argparse.ArgumentParser) -> None:
    """Add EXPR and NAME=VALUE... to ``p`` (read them with ``formula``)."""
    p.add_argument("expression", metavar="EXPR", help=EXPRESSION_HELP)
    p.add_argument("values", metavar="NAME=VALUE", nargs="*",
                   help="the value of each variable, like x=1.5 (one per variable of EXPR)")


# --- explain and draw -------------------------------------------------------------------------
def formula(args: argparse.Namespace) -> tuple[Value, dict[str, Value]]:
    """The graph of ``args.expression`` with ``args.values`` (from ``formula_arguments``): see ``formula_graph``."""
    return formula_graph(args.expression, parse_assignments(args.values))


def formula_graph(expression: str, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
    """(root, leaves by name) of ``expression``; the root gets a label ("y", else "f", ...). A value for a name
    not in the expression is a UsageError, a refused expression an ExpressionError.

    >>> root, leaves = formula_graph("x*y + x", {"x": 3.0, "y": -2.0}); root.label, root.data
    ('f', -3.0)
    """
    root, leaves = parse_expression(expression, values)
    unused = sorted(set(values) - set(leaves))
    if unused:
        raise UsageError(f"{name_some(unused)} {'is' if len(unused) == 1 else 'are'} not in the expression")
    root.label = root.label or next(n for n in ("y", "f", "out", "result") if n not in leaves)
    return root, leaves


def _explain(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output(args.output, "-o", pipe_ok=True)  # write_output opens a pipe without waiting
    args.format = output_format(args.format, args.output, EXPLAIN_FORMATS)
    root, _ = formula(args)
    e = explain(root, constants=args.constants)
    if args.format == "html":
        text = e.to_html(precision=args.precision, title=f"Backpropagation through {args.expression}",
                         scale=args.scale)
    else:
        text = (e.to_text if args.format == "text" else e.to_markdown)(precision=args.precision)
    write_output(text + "\n", args.output)
    return EXIT_OK


def _draw(args: argparse.Namespace) -> int:
    source = None
    if args.output is not None:
        check_suffix(args.output, "-o", (".svg", ".png", ".pdf", ".jpg", ".gif", ".dot", ".gv"))
        source = _source_beside(check_output(args.output, "-o"), args.force)
    root, leaves = formula(args)
    if args.highlight is not None and args.highlight not in leaves:
        raise UsageError(f"--highlight {shorten(args.highlight)}: not a variable of the expression "
                         f"({name_some(leaves, 10)})")
    root.backward()
    graph = draw(root, rankdir=args.rankdir, show_grad=not args.no_grad, precision=args.precision,
                 highlight=leaves[args.highlight] if args.highlight else None, color_by=args.color_by,
                 scale=args.scale)
    if args.output is None:
        write_output(graph.source, None)
        return EXIT_OK
    graph.comment = DRAWN_BY  # so that the next draw may replace the file, and only then
    path = render(graph, args.output)
    say(f"wrote {path}" + (f" (and its DOT source, {source})" if source else ""))
    return EXIT_OK


def _source_beside(image: Path, force: bool) -> Path | None:
    """``render`` always writes an image's DOT source beside it (graph.svg -> graph.dot). Refuse to replace
    a file there that an earlier draw did not write (its first line is ``// made by autograd-lite draw``)."""
    if image.suffix.lower() in (".dot", ".gv"):
        return None
    source = image.with_suffix(".dot")
    kind = special_file(source)
    if kind is not None:  # writing would wait for a reader, even with --force
        raise OSError(f"-o {shorten(image, PATH_ECHO)} also writes its DOT source to {shorten(source, PATH_ECHO)}, "
                      f"which is {SPECIAL[kind]}, not a file; choose another name")
    if force or not (source.exists() or source.is_symlink()):
        return source
    if _first_line(source) == f"// {DRAWN_BY}":
        return source
    raise FileExistsError(f"-o {shorten(image, PATH_ECHO)} also writes the DOT source to {shorten(source, PATH_ECHO)}, "
                          "which exists and was not made by autograd-lite draw; pass --force to replace it, "
                          "or choose another name")



def _first_line(path: Path) -> str | None:
    """The first line of the regular file ``path`` (at most 200 characters), or None for anything else: the file
    is opened without waiting, so a named pipe that replaced it meanwhile cannot hang the command."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, 800).decode("utf-8", "replace").split("\n", 1)[0][:200].strip()
    except OSError:
        return None
    finally:
        os.close(fd)


if __name__ == "__main__":
    sys.exit(main())

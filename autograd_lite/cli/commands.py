"""The ``autograd-lite`` command: explain or draw a formula's gradients, or train a small MLP.

    autograd-lite explain "tanh(w*x + b)" x=1 w=0.5 b=-0.2 [--format text|md|html] [-o FILE]
    autograd-lite draw "tanh(w*x + b)" x=1 w=0.5 b=-0.2 -o graph.svg
    autograd-lite train moons [--epochs N] [--plot boundary.png]     (added by nn, see below)

Exit codes: 0 success; 1 the work failed (a math domain error such as log(-1), a file that
cannot be written, Graphviz missing); 2 a usage error (bad option, refused expression, bad
NAME=VALUE). Errors go to stderr as one line.

Other packages add commands through the entry-point group ``autograd_lite.commands``: each
entry names a function ``add(commands)`` that adds its subparser to ``commands`` (argparse's
subparsers) with ``set_defaults(run=function)``; ``run(args)`` returns the exit code and may
raise ``UsageError``. This is how ``nn`` adds ``train`` without ``autograd_lite`` importing ``nn``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

from .. import __version__
from ..core.engine import Value
from ..teaching.draw import draw, render
from ..teaching.explain import explain
from .expr import FUNCTIONS, ExpressionError, parse_assignments, parse_expression

PROG = "autograd-lite"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PLUGINS = "autograd_lite.commands"  # the entry-point group through which other packages add commands

EXPRESSION_HELP = (
    "a formula in Python syntax: numbers, variable names, + - * / **, unary minus and the functions "
    + ", ".join(sorted(FUNCTIONS))
    + ' (quote it; start it with "--" if it begins with a minus sign)'
)
EPILOG = ("exit codes: 0 success, 1 the computation or writing failed, 2 usage error "
          "(bad option, refused expression, bad NAME=VALUE)")


class UsageError(Exception):
    """A problem with what the user typed: exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a hint for the one mistake it cannot explain: an expression starting with '-'."""

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments: -" in message or "expected one argument" in message:
            message += ' (an expression that starts with a minus sign goes after "--": explain -- "-x*2" x=1)'
        super().error(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    >>> main(["explain", "x*y", "x=2", "y=3", "--format", "text"]) # doctest: +ELLIPSIS
    Forward pass ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)  # exits with 2 on a bad command line, printing the usage
    try:
        return args.run(args)
    except UsageError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ExpressionError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, ArithmeticError, OSError, RuntimeError) as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="See backpropagation work, one scalar at a time.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("explain", help="the chain rule for a formula, step by step", epilog=EPILOG,
                            description="Print the forward pass and every chain-rule step of backpropagation.")
    _formula_arguments(p)
    p.add_argument("--format", choices=("text", "md", "html"), default="text",
                   help="text for the terminal, md (Markdown with LaTeX), html (a walkthrough page)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--precision", type=int, default=4, help="significant digits shown (default 4)")
    p.set_defaults(run=_explain)

    p = commands.add_parser("draw", help="the computation graph of a formula, as an image", epilog=EPILOG,
                            description="Draw the graph of a formula with each node's value and gradient.")
    _formula_arguments(p)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="graph.svg / .png / .pdf (needs Graphviz) or .dot; without it the DOT source is printed")
    p.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR", help="layout direction")
    p.add_argument("--no-grad", action="store_true", help="do not show gradients")
    p.add_argument("--precision", type=int, default=4, help="significant digits shown (default 4)")
    p.add_argument("--highlight", metavar="NAME", help="thicken every path from variable NAME to the result")
    p.add_argument("--color-by", choices=("sign", "magnitude"), help="tint nodes by their gradient")
    p.set_defaults(run=_draw)

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

        p = commands.add_parser(name, help=f"(could not be loaded: {reason[:60]})", add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(run=broken)


def _formula_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expression", metavar="EXPR", help=EXPRESSION_HELP)
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", help="the value of each variable, like x=1.5")


def positive_int(text: str) -> int:
    """An argparse ``type`` for whole numbers >= 1: ``positive_int("3") == 3``."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return n


# --- explain and draw -------------------------------------------------------------------------
def _formula(args: argparse.Namespace) -> tuple[Value, dict[str, Value]]:
    values = parse_assignments(args.values)
    root, leaves = parse_expression(args.expression, values)
    unused = sorted(set(values) - set(leaves))
    if unused:
        raise UsageError(f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not in the expression")
    root.label = root.label or next(n for n in ("y", "f", "out", "result") if n not in leaves)
    if not 1 <= args.precision <= 17:
        raise UsageError(f"--precision must be from 1 to 17, got {args.precision}")
    return root, leaves


def _explain(args: argparse.Namespace) -> int:
    root, _ = _formula(args)
    e = explain(root)
    if args.format == "html":
        text = e.to_html(precision=args.precision, title=f"Backpropagation through {args.expression}")
    else:
        text = (e.to_text if args.format == "text" else e.to_markdown)(precision=args.precision)
    _emit(text + "\n", args.output)
    return EXIT_OK


def _draw(args: argparse.Namespace) -> int:
    if args.output and Path(args.output).suffix.lower() not in (".svg", ".png", ".pdf", ".jpg", ".gif", ".dot", ".gv"):
        raise UsageError(f"-o {args.output}: use a name ending in .svg, .png, .pdf, .jpg, .gif, .dot or .gv")
    root, leaves = _formula(args)
    if args.highlight is not None and args.highlight not in leaves:
        raise UsageError(f"--highlight {args.highlight}: not a variable of the expression ({', '.join(leaves)})")
    root.backward()
    graph = draw(root, rankdir=args.rankdir, show_grad=not args.no_grad, precision=args.precision,
                 highlight=leaves[args.highlight] if args.highlight else None, color_by=args.color_by)
    if args.output is None:
        _emit(graph.source, None)
    else:
        path = render(graph, args.output)
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    Path(output).write_text(text, encoding="utf-8")
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

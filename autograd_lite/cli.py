"""The ``autograd-lite`` command: explain or draw a formula's gradients, or train a small MLP.

    autograd-lite explain "tanh(w*x + b)" x=1 w=0.5 b=-0.2 [--format text|md|html] [-o FILE]
    autograd-lite draw "tanh(w*x + b)" x=1 w=0.5 b=-0.2 -o graph.svg
    autograd-lite train moons [--epochs N] [--plot boundary.png]

Exit codes: 0 success; 1 the work failed (a math domain error such as log(-1), a file that
cannot be written, Graphviz missing); 2 a usage error (bad option, refused expression, bad
NAME=VALUE). Errors go to stderr as one line.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .draw import draw, render
from .engine import Value
from .explain import explain
from .expr import FUNCTIONS, ExpressionError, parse_assignments, parse_expression

PROG = "autograd-lite"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DATASETS = ("moons", "xor", "spirals")

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

    p = commands.add_parser("train", help="train a small MLP on a toy data set", epilog=EPILOG,
                            description="Train an MLP with a progress bar and print the final accuracy.")
    p.add_argument("dataset", choices=DATASETS, help="moons and xor: two classes; spirals: three")
    p.add_argument("--epochs", type=_positive, default=None, help="passes over the data (default: per data set)")
    p.add_argument("--samples", type=_positive, default=None, help="number of examples (default: per data set)")
    p.add_argument("--hidden", default="16,16", help="hidden layer widths, comma separated (default 16,16)")
    p.add_argument("--activation", default="relu", help="hidden activation: relu, tanh, sigmoid, ... (default relu)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate (default 0.05)")
    p.add_argument("--batch-size", type=_positive, default=32, help="examples per step (default 32)")
    p.add_argument("--seed", type=int, default=0, help="seed of the data, the weights and the shuffles (an int >= 0)")
    p.add_argument("--plot", metavar="FILE", help="save the decision boundary as an image (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--eager", action="store_true",
                   help="train through the scalar engine, one graph per example (slower); by default the model "
                        "and loss are traced once into a compiled tape that gives the same updates")
    p.set_defaults(run=_train)
    return parser


def _formula_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expression", metavar="EXPR", help=EXPRESSION_HELP)
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", help="the value of each variable, like x=1.5")


def _positive(text: str) -> int:
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


# --- train ---------------------------------------------------------------------------------------
def _train(args: argparse.Namespace) -> int:
    import nn

    hidden = _widths(args.hidden)
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {args.seed}")  # numpy refuses negative seeds
    if args.activation not in nn.ACTIVATIONS:
        raise UsageError(f"--activation must be one of {', '.join(nn.ACTIVATIONS)}, got {args.activation!r}")
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg", ".pdf", ".jpg"):
        raise UsageError(f"--plot {args.plot}: use a name ending in .png, .svg, .pdf or .jpg")
    X, y, classes, epochs = _dataset(nn, args.dataset, args.samples, args.seed)
    two = classes == 2
    loss = "bce_with_logits" if two else "cross_entropy"
    model = nn.MLP(2, [*hidden, 1 if two else classes], activation=args.activation, seed=args.seed)
    print(f"training MLP(2, {[*hidden, 1 if two else classes]}) on {args.dataset} ({len(X)} examples, {loss})",
          file=sys.stderr)
    nn.fit(model, X, y, loss=loss, optimizer=nn.Adam(model.parameters(), lr=args.lr),
           epochs=args.epochs or epochs, batch_size=args.batch_size, seed=args.seed, progress=not args.quiet,
           compiled=not args.eager)
    final_loss, accuracy = nn.evaluate(model, X, y, loss=loss)
    correct = round(accuracy * len(X))
    print(f"final accuracy {accuracy:.3f} ({correct}/{len(X)}), loss {final_loss:.4f}")
    if args.plot:
        try:
            import matplotlib
        except ImportError:
            raise RuntimeError("--plot needs matplotlib: pip install matplotlib (or autograd-lite[plot])") from None
        matplotlib.use("Agg")  # a file, no window
        from nn.plot import plot_decision_boundary

        path = plot_decision_boundary(model, X, y, args.plot, title=f"{args.dataset}: accuracy {accuracy:.3f}")
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _widths(text: str) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--hidden must be widths like 16,16; got {text!r}") from None
    if not widths or any(w < 1 or w > 256 for w in widths):
        raise UsageError(f"--hidden must be widths from 1 to 256 like 16,16; got {text!r}")
    return widths


def _dataset(nn: Any, name: str, samples: int | None, seed: int) -> tuple[Any, Any, int, int]:
    """(X, y, number of classes, default epochs) for a data set name."""
    if name == "moons":
        X, y = nn.datasets.make_moons(samples or 100, noise=0.1, seed=seed)
        return X, y, 2, 60
    if name == "xor":
        X, y = nn.datasets.make_xor(samples or 64, noise=0.1 if (samples or 64) > 4 else 0.0, seed=seed)
        return X, y, 2, 60
    X, y = nn.datasets.make_spirals(samples or 150, n_classes=3, noise=0.1, seed=seed)
    return X, y, 3, 150


if __name__ == "__main__":
    sys.exit(main())

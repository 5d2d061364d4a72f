"""The ``autograd-lite train`` command, which ``nn`` adds to the command line (an entry point in the
``autograd_lite.commands`` group, so ``autograd_lite`` never imports ``nn``).

    autograd-lite train moons [--epochs N] [--hidden 16,16] [--plot boundary.png] [--eager]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from autograd_lite.cli import EPILOG, EXIT_OK, UsageError, positive_int

from . import datasets
from .activations import ACTIVATIONS
from .layers import MLP
from .optim import Adam
from .train import evaluate, fit

DATASETS = ("moons", "xor", "spirals")


def add_train(commands: Any) -> None:
    """Add ``train`` to the command line's subparsers (the entry point ``autograd_lite.commands: train``)."""
    p = commands.add_parser("train", help="train a small MLP on a toy data set", epilog=EPILOG,
                            description="Train an MLP with a progress bar and print the final accuracy.")
    p.add_argument("dataset", choices=DATASETS, help="moons and xor: two classes; spirals: three")
    p.add_argument("--epochs", type=positive_int, default=None, help="passes over the data (default: per data set)")
    p.add_argument("--samples", type=positive_int, default=None, help="number of examples (default: per data set)")
    p.add_argument("--hidden", default="16,16", help="hidden layer widths, comma separated (default 16,16)")
    p.add_argument("--activation", default="relu", help="hidden activation: relu, tanh, sigmoid, ... (default relu)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate (default 0.05)")
    p.add_argument("--batch-size", type=positive_int, default=32, help="examples per step (default 32)")
    p.add_argument("--seed", type=int, default=0, help="seed of the data, the weights and the shuffles (an int >= 0)")
    p.add_argument("--plot", metavar="FILE", help="save the decision boundary as an image (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--eager", action="store_true",
                   help="train through the scalar engine, one graph per example (slower); by default the model "
                        "and loss are traced once into a compiled tape that gives the same updates")
    p.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> int:
    hidden = _widths(args.hidden)
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {args.seed}")  # numpy refuses negative seeds
    if args.activation not in ACTIVATIONS:
        raise UsageError(f"--activation must be one of {', '.join(ACTIVATIONS)}, got {args.activation!r}")
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg", ".pdf", ".jpg"):
        raise UsageError(f"--plot {args.plot}: use a name ending in .png, .svg, .pdf or .jpg")
    X, y, classes, epochs = _dataset(args.dataset, args.samples, args.seed)
    two = classes == 2
    loss = "bce_with_logits" if two else "cross_entropy"
    model = MLP(2, [*hidden, 1 if two else classes], activation=args.activation, seed=args.seed)
    print(f"training MLP(2, {[*hidden, 1 if two else classes]}) on {args.dataset} ({len(X)} examples, {loss})",
          file=sys.stderr)
    fit(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=args.lr),
           epochs=args.epochs or epochs, batch_size=args.batch_size, seed=args.seed, progress=not args.quiet,
           compiled=not args.eager)
    final_loss, accuracy = evaluate(model, X, y, loss=loss)
    correct = round(accuracy * len(X))
    print(f"final accuracy {accuracy:.3f} ({correct}/{len(X)}), loss {final_loss:.4f}")
    if args.plot:
        try:
            import matplotlib
        except ImportError:
            raise RuntimeError("--plot needs matplotlib: pip install matplotlib (or autograd-lite[plot])") from None
        matplotlib.use("Agg")  # a file, no window
        from .plot import plot_decision_boundary

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


def _dataset(name: str, samples: int | None, seed: int) -> tuple[Any, Any, int, int]:
    """(X, y, number of classes, default epochs) for a data set name."""
    if name == "moons":
        X, y = datasets.make_moons(samples or 100, noise=0.1, seed=seed)
        return X, y, 2, 60
    if name == "xor":
        X, y = datasets.make_xor(samples or 64, noise=0.1 if (samples or 64) > 4 else 0.0, seed=seed)
        return X, y, 2, 60
    X, y = datasets.make_spirals(samples or 150, n_classes=3, noise=0.1, seed=seed)
    return X, y, 3, 150

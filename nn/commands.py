"""The ``autograd-lite train`` command, which ``nn`` adds to the command line (an entry point in the
``autograd_lite.commands`` group, so ``autograd_lite`` never imports ``nn``).

    autograd-lite train moons [--epochs N] [--hidden 16,16] [--plot boundary.png] [--player train.html] [--eager]

Every size the user picks has a bound, and all of them are checked before anything is allocated
(a usage error, exit 2, names the bound): the examples (``MAX_SAMPLES``, and each data set's
minimum), epochs, the hidden layers, their widths and the parameters in all, the learning rate, the
seed, and the memory of one training step (``step_bytes``: the batch times what one example costs).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd_lite.cli import (
    EPILOG,
    EXIT_OK,
    UsageError,
    check_output,
    check_suffix,
    output_path,
    say,
    shorten,
    stream_open,
    whole_number,
    write_output,
)

from . import datasets
from .activations import ACTIVATIONS
from .layers import MLP
from .optim import Adam
from .train import evaluate, fit

MAX_SAMPLES = 100_000  # examples: plenty to see a decision boundary, a few MB of data
MAX_EPOCHS = 1_000_000
MAX_LAYERS = 64  # hidden layers
MAX_WIDTH = 256  # neurons in a hidden layer
MAX_PARAMETERS = 100_000  # weights and biases in all: two hidden layers of 256 fit
MAX_LR = 10.0  # Adam moves each weight by about lr a step: far beyond the sizes that learn here
MAX_SEED = 2**32 - 1
STEP_MEMORY = 1_000_000_000  # bytes one training step may need (estimated by step_bytes)
EVAL_BATCH = 1024  # examples per call of the compiled tape in the final evaluation (fewer if a step would not fit)


@dataclass(frozen=True)
class DataSet:
    """A data set the command trains on: its classes, its fewest examples, its defaults, how to make it."""

    classes: int
    least: int  # fewest examples: one per class (xor: one per corner of the truth table)
    why: str  # why that many
    samples: int  # default number of examples
    epochs: int  # default epochs
    make: Callable[[int, int], tuple[Any, Any]]  # (n_samples, seed) -> (X, y)


DATASETS = {
    "moons": DataSet(2, 2, "one per moon", 100, 60, lambda n, seed: datasets.make_moons(n, noise=0.1, seed=seed)),
    "xor": DataSet(2, 4, "one per corner of the truth table", 64, 60,
                   lambda n, seed: datasets.make_xor(n, noise=0.1 if n > 4 else 0.0, seed=seed)),
    "spirals": DataSet(3, 3, "one per arm", 150, 150,
                       lambda n, seed: datasets.make_spirals(n, n_classes=3, noise=0.1, seed=seed)),
}


def _per_set(value: Callable[[DataSet], object]) -> str:
    return ", ".join(f"{name} {value(spec)}" for name, spec in DATASETS.items())


def add_train(commands: Any) -> None:
    """Add ``train`` to the command line's subparsers (the entry point ``autograd_lite.commands: train``)."""
    p = commands.add_parser("train", help="train a small MLP on a toy data set", epilog=EPILOG,
                            description="Train an MLP with a progress bar and print the final accuracy.")
    p.add_argument("dataset", choices=tuple(DATASETS), help="moons and xor: two classes; spirals: three")
    p.add_argument("--epochs", type=whole_number(1, MAX_EPOCHS), default=None,
                   help=f"passes over the data, 1 to {MAX_EPOCHS:,} (default: {_per_set(lambda s: s.epochs)})")
    p.add_argument("--samples", type=whole_number(1, MAX_SAMPLES), default=None,
                   help=f"number of examples, from {_per_set(lambda s: s.least)} to {MAX_SAMPLES:,} "
                        f"(default: {_per_set(lambda s: s.samples)})")
    p.add_argument("--hidden", default="16,16",
                   help=f"hidden layer widths, comma separated (default 16,16): 1 to {MAX_LAYERS} layers of 1 to "
                        f"{MAX_WIDTH}, at most {MAX_PARAMETERS:,} weights and biases in all")
    p.add_argument("--activation", default="relu", help=f"hidden activation: {', '.join(ACTIVATIONS)} (default relu)")
    p.add_argument("--lr", type=float, default=0.05, help=f"Adam's learning rate, above 0 and at most {MAX_LR:g} "
                                                          "(default 0.05)")
    p.add_argument("--batch-size", type=whole_number(1, MAX_SAMPLES), default=32,
                   help=f"examples per step, 1 to {MAX_SAMPLES:,} (default 32); one step may need at most "
                        f"{STEP_MEMORY / 1e9:g} GB: with the default model, about "
                        f"{largest_batch([16, 16, 1], True) // 1000 * 1000:,} examples with --eager, all of them "
                        "compiled")
    p.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0,
                   help=f"seed of the data, the weights and the shuffles, 0 to {MAX_SEED:,} (default 0)")
    p.add_argument("--plot", metavar="FILE", type=output_path,
                   help="save the decision boundary as a .png, .svg, .pdf or .jpg image (needs matplotlib)")
    p.add_argument("--player", metavar="FILE", type=output_path,
                   help="write the training player, one offline .html page: play and scrub through the epochs "
                        "(decision boundary, curves, weights and gradients, delta per layer)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--eager", action="store_true",
                   help="train through the scalar engine, one graph per example (slower); by default the model "
                        "and loss are traced once into a compiled tape that gives the same updates")
    p.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> int:
    spec = DATASETS[args.dataset]
    samples = _samples(args.dataset, spec, args.samples)
    hidden = widths(args.hidden)
    layers = [*hidden, 1 if spec.classes == 2 else spec.classes]
    _check_size(layers, min(args.batch_size, samples), args.eager)
    if not (math.isfinite(args.lr) and 0 < args.lr <= MAX_LR):
        raise UsageError(f"--lr must be a number above 0 and at most {MAX_LR:g}, got {shorten(args.lr)}")
    if args.activation not in ACTIVATIONS:
        raise UsageError(f"--activation must be one of {', '.join(ACTIVATIONS)}, got '{shorten(args.activation)}'")
    if args.plot is not None:
        check_suffix(args.plot, "--plot", (".png", ".svg", ".pdf", ".jpg"))
        check_output(args.plot, "--plot")  # before training, not after it
        if importlib.util.find_spec("matplotlib") is None:
            raise RuntimeError("--plot needs matplotlib: pip install matplotlib (or autograd-lite[plot])")
    if args.player is not None:
        check_suffix(args.player, "--player", (".html", ".htm"))
        check_output(args.player, "--player")  # before training, not after it
    X, y = spec.make(samples, args.seed)
    loss = "bce_with_logits" if spec.classes == 2 else "cross_entropy"
    model = MLP(2, layers, activation=args.activation, seed=args.seed)
    say(f"training MLP(2, {layers}) on {args.dataset} ({len(X)} examples, {loss})")
    history = fit(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=args.lr),
                  epochs=args.epochs or spec.epochs, batch_size=args.batch_size, seed=args.seed,
                  progress=not args.quiet and stream_open(sys.stderr),  # tqdm needs a stderr (2>&-)
                  compiled=not args.eager, record=args.player is not None)
    # through a compiled tape unless --eager: the scalar engine takes some 15 ms an example for a 256,256 model
    final_loss, accuracy = evaluate(model, X, y, loss=loss, compiled=not args.eager,
                                    batch_size=max(1, min(EVAL_BATCH, largest_batch(layers, False))))
    assert accuracy is not None, "both classification losses count correct answers"
    correct = round(accuracy * len(X))
    write_output(f"final accuracy {accuracy:.3f} ({correct}/{len(X)}), loss {final_loss:.4f}\n", None)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")  # a file, no window
        from .plot import plot_decision_boundary

        path = plot_decision_boundary(model, X, y, args.plot, title=f"{args.dataset}: accuracy {accuracy:.3f}")
        say(f"wrote {path}")
    if args.player:
        say(f"wrote {history.player(args.player, title=f'MLP(2, {layers}) on {args.dataset}')}")
    return EXIT_OK


def _samples(name: str, spec: DataSet, samples: int | None) -> int:
    if samples is None:
        return spec.samples
    if samples < spec.least:
        raise UsageError(f"--samples {samples}: {name} needs at least {spec.least} examples ({spec.why})")
    return samples


def widths(text: str) -> list[int]:
    """The hidden widths of ``--hidden``: ``widths("16, 16") == [16, 16]``; UsageError past the bounds."""
    parts = [part for part in text.split(",", 4 * MAX_LAYERS) if part.strip()]  # empty parts (16,,16) are fine
    if len(parts) > MAX_LAYERS or text.count(",") >= 4 * MAX_LAYERS:
        raise UsageError(f"--hidden: at most {MAX_LAYERS} hidden layers, got {text.count(',') + 1:,} widths")
    found = []
    for part in parts:
        try:
            found.append(int(part))
        except ValueError:
            raise UsageError(f"--hidden must be widths like 16,16; '{shorten(part.strip())}' is not a whole number") \
                from None
    if not found or any(not 1 <= w <= MAX_WIDTH for w in found):
        raise UsageError(f"--hidden must be widths from 1 to {MAX_WIDTH} like 16,16; got '{shorten(text)}'")
    return found


def parameters(layers: list[int], inputs: int = 2) -> int:
    """Weights and biases of ``MLP(inputs, layers)``: ``parameters([16, 16, 1]) == 337``."""
    return sum((fan_in + 1) * width for fan_in, width in zip([inputs, *layers], layers))


def step_bytes(layers: list[int], batch: int, eager: bool) -> int:
    """About the peak memory of one training step of ``MLP(2, layers)`` on ``batch`` examples.

    Measured with ``tracemalloc``, with some room (``tests/test_cli_train_bounds.py`` holds it above the
    measure): the model and its compiled tape take a few hundred bytes per parameter, plus caches; then
    per example, the compiled tape keeps some 70 bytes per neuron, and the eager engine builds a graph
    of some 14 bytes per parameter (each dot node holds its weights) and 900 to 1,300 per neuron.
    """
    count, neurons = parameters(layers), sum(layers)
    per_example = 20 * count + 1300 * neurons + 1000 if eager else 100 * neurons + 400
    return 2_000_000 + 300 * count + batch * per_example


def largest_batch(layers: list[int], eager: bool) -> int:
    """The largest batch whose step fits in ``STEP_MEMORY`` (the default model, eager: some 19,700)."""
    fixed = step_bytes(layers, 0, eager)
    return max(0, (STEP_MEMORY - fixed) // (step_bytes(layers, 1, eager) - fixed))


def _check_size(layers: list[int], batch: int, eager: bool) -> None:
    count = parameters(layers)
    if count > MAX_PARAMETERS:
        raise UsageError(f"--hidden {shorten(','.join(map(str, layers[:-1])))} makes {count:,} weights and biases; "
                         f"the limit is {MAX_PARAMETERS:,}")
    need = step_bytes(layers, batch, eager)
    if need > STEP_MEMORY:
        how = "an eager (--eager)" if eager else "a compiled"
        raise UsageError(f"--batch-size {batch:,} needs about {need / 1e9:.1f} GB for {how} step of "
                         f"MLP(2, {shorten(layers, 60)}); the limit is {STEP_MEMORY / 1e9:g} GB: use --batch-size "
                         f"{largest_batch(layers, eager):,} or less, or a smaller model")

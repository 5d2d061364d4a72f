"""Train micrograd's network on the two moons and draw what it learned.

    python3 demos/main.py            (or: python3 tasks.py demo)

Writes into ``out/``: ``moons_boundary.png`` (the decision boundary over the data),
``moons_loss.png`` (loss and accuracy per epoch), ``moons_model.json`` (the trained
model, reloadable with ``nn.load``) and ``moons_player.html`` (the training player: open it
in a browser to play and scrub through the epochs). Takes a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import nn  # noqa: E402
from nn.plot import plot_decision_boundary  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def plot_history(history: nn.History, path: Path) -> None:
    """Loss (log scale) and training accuracy per epoch."""
    epochs = np.arange(1, len(history.loss) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, history.loss, color="tab:blue", label="loss")
    ax.set(yscale="log", xlabel="epoch", ylabel="mean mini-batch loss (log scale)", title="Training on the moons")
    right = ax.twinx()
    right.plot(epochs, history.accuracy, color="tab:orange", label="accuracy")
    right.set(ylabel="training accuracy", ylim=(0.5, 1.02))
    fig.legend(loc="center right", bbox_to_anchor=(0.85, 0.35))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="folder for the pictures (default: out/)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=int, default=100, help="boundary picture resolution (grid x grid points)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--eager", action="store_true", help="train through the scalar engine (slower; by default "
                        "the model and loss are traced once into a compiled tape with the same updates)")
    args = parser.parse_args(argv)

    X, y = nn.datasets.make_moons(200, noise=0.1, seed=args.seed)
    model = nn.MLP(2, [16, 16, 1], seed=args.seed)  # micrograd's demo network: ReLU, ReLU, linear
    print(f"{model}: {len(model.parameters())} parameters, 200 moons points")
    history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.02),
                     epochs=args.epochs, batch_size=16, seed=args.seed, progress=not args.quiet,
                     compiled=not args.eager, record=True)  # record: snapshots for the training player
    loss, accuracy = nn.evaluate(model, X, y, loss="bce_with_logits")
    print(f"after {args.epochs} epochs: loss {loss:.4f}, training accuracy {accuracy:.1%}")

    args.out.mkdir(parents=True, exist_ok=True)
    boundary, curve, saved = args.out / "moons_boundary.png", args.out / "moons_loss.png", args.out / "moons_model.json"
    player = args.out / "moons_player.html"
    plot_decision_boundary(model, X, y, boundary, title=f"MLP(2, [16, 16, 1]) on the moons: {accuracy:.1%} correct",
                           resolution=args.grid)
    plot_history(history, curve)
    model.save(saved)
    history.player(player, title="A 2-16-16-1 MLP learns the moons")
    print(f"decision boundary: {boundary}")
    print(f"loss curve:        {curve}")
    print(f"trained model:     {saved}  (nn.load to use it again)")
    print(f"training player:   {player}  (open it in a browser: play and scrub through the epochs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

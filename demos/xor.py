"""XOR, the function one neuron cannot learn, learned by MLP(2, [4, 1]).

    python3 demos/xor.py

Prints the truth table with the trained network's probabilities and its weights (z = W a + b
per layer, as in the notes), and draws the decision boundary into ``out/xor_boundary.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import nn
from nn.plot import plot_decision_boundary

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="folder for the picture (default: out/)")
    args = parser.parse_args(argv)
    X, y = nn.datasets.make_xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1), epochs=150,
           batch_size=4, seed=0, progress=False)
    probability = 1.0 / (1.0 + np.exp(-nn.predict(model, X)))
    print("x1 x2 | XOR | P(1)")
    for (x1, x2), target, p in zip(X.astype(int).tolist(), y.tolist(), probability.tolist()):
        print(f" {x1}  {x2} |  {target}  | {p:.3f}")
    for i, (W, b) in enumerate(model.to_numpy(), start=1):
        print(f"layer {i}: W^{i} =\n{np.round(W, 3)}\n        b^{i} = {np.round(b, 3)}")
    args.out.mkdir(parents=True, exist_ok=True)
    picture = args.out / "xor_boundary.png"
    plot_decision_boundary(model, X, y, picture, title="MLP(2, [4, 1], tanh) learns XOR", resolution=100)
    print(f"decision boundary: {picture}")
    return 0 if ((probability > 0.5).astype(int) == y).all() else 1


if __name__ == "__main__":
    sys.exit(main())

"""autograd-lite's engine side by side with micrograd 0.1.0 (PyPI), in one run.

    python3 benchmarks/engine_vs_micrograd.py            # full run (about a minute)
    python3 benchmarks/engine_vs_micrograd.py --quick    # fewer repetitions

Measures, for both engines, with Python's garbage collector ON (what users get) and OFF
(micrograd's closures make reference cycles, so much of its time is the collector):

1. micrograd's own demo training step (its demo.ipynb: 2-16-16-1 ReLU MLP, 100 moons
   points, max-margin loss + 1e-4 L2, forward + backward + SGD), written ONCE below as a
   function of ``Value`` and ``MLP``: only the imports differ between the engines;
2. graph build and backward throughput on the same ~100,000-node expression;
3. bytes per node (tracemalloc; a node made from two existing Values);
4. the deepest chain each can backpropagate (doubling search, then bisection).

Prints a table with the ratios and saves it to ``benchmarks/results/engine_vs_micrograd.csv``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere

from common import fmt_seconds, load_micrograd, machine, median_seconds, print_table, write_csv

SEED = 1337
PAIRS = 25_000  # the throughput expression: 4 * PAIRS - 1 = 99,999 op nodes on 2 * PAIRS leaves
DEPTH_CAP = 1_000_000


# --- 1. micrograd's demo step, written once for any (Value, MLP) ---------------------------
def demo_step(Value: Any, MLP: Any, X: list[list[float]], y: list[int], width: int = 16,
              steps: int = 100) -> tuple[Any, Callable[[int], float]]:
    """micrograd's demo.ipynb model and training step, verbatim but for the two names passed in
    (and the hidden width and the length of the learning-rate schedule: 16 and 100 in the demo)."""
    random.seed(SEED)
    model = MLP(2, [width, width, 1])  # 2-layer neural network

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # svm "max-margin" loss
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())  # L2 regularization
        return data_loss + reg_loss

    def step(k: int) -> float:
        total_loss = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return total_loss.data

    return model, step


# --- 2. throughput: the same expression in both engines -------------------------------------
def make_leaves(Value: Any, pairs: int) -> list[tuple[Any, Any]]:
    rng = random.Random(SEED)
    return [(Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))) for _ in range(pairs)]


def build_expression(leaves: list[tuple[Any, Any]]) -> Any:
    """sum over pairs of relu(a*b + a), summed as a balanced tree (shallow: micrograd recurses)."""
    terms = [(a * b + a).relu() for a, b in leaves]
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = paired + terms[len(terms) - len(terms) % 2:]
    return terms[0]


# --- 3. memory --------------------------------------------------------------------------------
def bytes_per_node(Value: Any, n: int = 100_000) -> float:
    """Traced bytes per node ``a * b`` of two existing Values (the list holding them is preallocated)."""
    a, b = Value(1.5), Value(-2.5)
    keep: list[Any] = [None] * n
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        keep[i] = a * b
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / n


# --- 4. depth ---------------------------------------------------------------------------------
def chain_backpropagates(Value: Any, depth: int) -> bool:
    """Can ``backward()`` run through ``depth`` chained additions?"""
    x = Value(0.5)
    y = x
    for _ in range(depth):
        y = y + 1.0
    try:
        y.backward()
    except RecursionError:
        return False
    return x.grad == 1.0


def deepest_chain(Value: Any, cap: int = DEPTH_CAP) -> tuple[int, bool]:
    """(deepest depth that backpropagates, whether the search hit ``cap``): double, then bisect."""
    good, bad, depth = 0, None, 125
    while bad is None:
        if chain_backpropagates(Value, depth):
            good = depth
            if depth == cap:
                return good, True
            depth = min(2 * depth, cap)
        else:
            bad = depth
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if chain_backpropagates(Value, mid) else (good, mid)
    return good, False


# --- the run ----------------------------------------------------------------------------------
def measure(name: str, Value: Any, MLP: Any, X: list[list[float]], y: list[int], repeats: int,
            start_from: list[float] | None = None) -> dict[str, Any]:
    print(f"measuring {name} ...", flush=True)
    model, step = demo_step(Value, MLP, X, y)
    if start_from is not None:  # same starting weights, so both engines do exactly the same arithmetic
        for p, w in zip(model.parameters(), start_from, strict=True):
            p.data = w
    r: dict[str, Any] = {"weights": [float(p.data) for p in model.parameters()], "first_loss": step(0)}
    for gc_on in (True, False):
        tag = "on" if gc_on else "off"
        r[f"step_gc_{tag}"] = median_seconds(step, repeats, gc_on)
        r[f"build_gc_{tag}"] = median_seconds(build_expression, repeats, gc_on,
                                              setup=lambda i: make_leaves(Value, PAIRS))
        r[f"backward_gc_{tag}"] = median_seconds(lambda root: root.backward(), repeats, gc_on,
                                                 setup=lambda i: build_expression(make_leaves(Value, PAIRS)))
    r["bytes"] = bytes_per_node(Value)
    r["depth"], r["depth_capped"] = deepest_chain(Value)
    return r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repetitions per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats

    from autograd_lite import Value
    from nn import MLP
    from nn.datasets import make_moons

    X_np, y_np = make_moons(100, noise=0.1, seed=SEED)
    X, y = X_np.tolist(), [2 * int(v) - 1 for v in y_np]  # labels -1 / +1, as micrograd's demo
    micro = load_micrograd()
    results: dict[str, dict[str, Any]] = {}
    if isinstance(micro, str):
        print(micro)
    else:
        results["micrograd 0.1.0"] = measure("micrograd 0.1.0", micro[0].Value, micro[1].MLP, X, y, repeats)
    start_from = results["micrograd 0.1.0"]["weights"] if results else None
    results["autograd-lite"] = measure("autograd-lite", Value, MLP, X, y, repeats, start_from)

    ours = results["autograd-lite"]
    theirs = results.get("micrograd 0.1.0")
    nodes = 4 * PAIRS - 1
    rows: list[list[Any]] = []

    def row(label: str, key: str, show: Callable[[Any], str], ratio: Callable[[Any, Any], float],
            at_least: bool = False) -> None:
        t, o = (theirs[key] if theirs else None), ours[key]
        cells = [label, show(t) if t is not None else "-", show(o)]
        cells.append(f"{'>= ' if at_least else ''}{ratio(t, o):.1f}x" if theirs else "-")
        rows.append(cells)

    faster = lambda t, o: t / o
    for what, key, per in (("demo training step", "step", None), (f"build {nodes:,} nodes", "build", nodes),
                           (f"backward {nodes:,} nodes", "backward", nodes)):
        for tag in ("on", "off"):
            show = fmt_seconds if per is None else (lambda s, per=per: f"{fmt_seconds(s)} ({per / s / 1e6:.2f} M/s)")
            row(f"{what}, GC {tag}", f"{key}_gc_{tag}", show, faster)
    row("bytes per node (a * b)", "bytes", lambda b: f"{b:.0f} B", lambda t, o: t / o)
    row("deepest chain backward", "depth",
        lambda d: f"{d:,}" if d < DEPTH_CAP else f">= {d:,} (search cap)", lambda t, o: o / t, ours["depth_capped"])

    print()
    print(f"engine vs micrograd, median of {repeats} runs; {machine()}")
    print_table(["measure", "micrograd 0.1.0", "autograd-lite", "ratio (ours better by)"], rows)
    if theirs:
        same = abs(theirs["first_loss"] - ours["first_loss"]) <= 1e-9 * max(1.0, abs(ours["first_loss"]))
        print(f"\nfirst step's loss: micrograd {theirs['first_loss']:.12f}, autograd-lite {ours['first_loss']:.12f}"
              f" (same weights copied into both: {'losses agree' if same else 'LOSSES DIFFER'})")
    path = write_csv("engine_vs_micrograd.csv", ["measure", "micrograd 0.1.0", "autograd-lite", "ratio"], rows)
    print(f"saved {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

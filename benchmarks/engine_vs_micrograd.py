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
4. the deepest chain each can backpropagate (doubling search, then bisection);
5. issue 12's targets side by side: the demo step's ratios with the GC on and off (the two engines'
   steps interleaved, repetition by repetition, so load on the machine hits both alike), the tanh
   variant of the step against micrograd-rust when it can be imported (``pip install micrograd-rust``
   builds it from source with cargo; skipped with a note otherwise), bytes per node, and the time of
   ``backward()`` on a chain of 10^6 nodes.

Prints a table with the ratios and saves it to ``benchmarks/results/engine_vs_micrograd.csv``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere

from common import fmt_seconds, load_micrograd, machine, median_seconds, print_table, write_csv

SEED = 1337
PAIRS = 25_000  # the throughput expression: 4 * PAIRS - 1 = 99,999 op nodes on 2 * PAIRS leaves
DEPTH_CAP = 1_000_000
CHAIN_NODES = 1_000_000
TARGETS = {"gc_on": 50.0, "gc_off": 6.0, "bytes": 168.0, "chain_seconds": 0.5}  # issue 12


# --- 1. micrograd's demo step, written once for any (Value, MLP) ---------------------------
def sgd_step(model: Any, total_loss: Any, k: int, steps: int) -> float:
    """micrograd's demo update, for any engine with its API: backward, then SGD at the decaying rate."""
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / steps
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data


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
        return sgd_step(model, total_loss, k, steps)

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


# --- 5. issue 12's targets -----------------------------------------------------------------------
def tanh_step(Value: Any, model: Any, X: list[list[float]], y: list[int], steps: int = 100) -> Callable[[int], float]:
    """The demo step with tanh units and a tanh'd margin (micrograd-rust has no relu), written with only the
    operations micrograd-rust supports (a number on the left of + and *, Values on both sides otherwise)."""
    def step(k: int) -> float:
        inputs = [[Value(a), Value(b)] for a, b in X]
        scores = [model(x) for x in inputs]
        scores = [s[0] if isinstance(s, list) else s for s in scores]
        losses = [(1 + -yi * scorei).tanh() for yi, scorei in zip(y, scores)]
        total_loss = (1.0 / len(losses)) * sum(losses) + 1e-4 * sum(p * p for p in model.parameters())
        return sgd_step(model, total_loss, k, steps)

    return step


def load_micrograd_rust() -> tuple[Any, Any] | str:
    """``(Value, MLP)`` of micrograd-rust if it can be imported, else why not."""
    try:
        import micrograd_rust  # type: ignore[import-not-found]
    except ImportError:
        return ("micrograd-rust skipped: not installed ('pip install micrograd-rust' builds it from source with "
                "cargo, which needs crates.io; on this machine that fails)")
    return micrograd_rust.Value, micrograd_rust.MLP


def interleaved_medians(steps: dict[str, Callable[[int], Any]], rounds: int, gc_on: bool,
                        per_round: int = 3) -> dict[str, float]:
    """Median time per step of each engine, the engines taking turns round by round.

    In each round every engine runs ``per_round`` steps in a row, timed together, after an untimed full
    collection: so one engine's garbage (micrograd's reference cycles) is never collected on the other's
    time, and with the collector on, the collections an engine's own garbage causes count for it.
    """
    times: dict[str, list[float]] = {name: [] for name in steps}
    was_enabled = gc.isenabled()
    try:
        for r in range(rounds):
            for name, step in steps.items():
                gc.enable()
                gc.collect()
                gc.enable() if gc_on else gc.disable()
                start = time.perf_counter()
                for k in range(per_round):
                    step(r * per_round + k)
                times[name].append((time.perf_counter() - start) / per_round)
    finally:
        gc.enable() if was_enabled else gc.disable()
        gc.collect()
    return {name: statistics.median(t) for name, t in times.items()}


def chain_backward_seconds(Value: Any, nodes: int = CHAIN_NODES, repeats: int = 3) -> float:
    """Median time of ``backward()`` on a chain of ``nodes`` nodes (``y = y + 1.0``: an add and its constant per
    link), GC on as users have it; the chain is rebuilt, untimed, for each repetition."""
    times = []
    for _ in range(repeats):
        x = Value(0.5)
        y = x
        for _ in range((nodes - 1) // 2):
            y = y + 1.0
        start = time.perf_counter()
        y.backward()
        times.append(time.perf_counter() - start)
        assert x.grad == 1.0
        del x, y
    return statistics.median(times)


def targets(Value: Any, MLP: Any, micro: Any, X: list[list[float]], y: list[int], repeats: int,
            start_from: list[float] | None, ours: dict[str, Any]) -> list[list[Any]]:
    """Issue 12's eager targets, each measured in this run: rows of (target, measured, goal, met)."""
    rows: list[list[Any]] = []
    if not isinstance(micro, str):
        _, theirs_step = demo_step(micro[0].Value, micro[1].MLP, X, y)
        model, ours_step = demo_step(Value, MLP, X, y)
        for p, w in zip(model.parameters(), start_from or [], strict=bool(start_from)):
            p.data = w  # the same starting weights: both engines do the same arithmetic
        for gc_on, key in ((True, "gc_on"), (False, "gc_off")):
            t = interleaved_medians({"micrograd": theirs_step, "ours": ours_step}, max(repeats, 5), gc_on)
            ratio = t["micrograd"] / t["ours"]
            rows.append([f"demo step vs micrograd, GC {'on' if gc_on else 'off'} (interleaved)",
                         f"{ratio:.1f}x ({fmt_seconds(t['micrograd'])} / {fmt_seconds(t['ours'])})",
                         f">= {TARGETS[key]:.0f}x", "yes" if ratio >= TARGETS[key] else "NO"])
    rust = load_micrograd_rust()
    if isinstance(rust, str):
        print(rust)
        rows.append(["tanh step vs micrograd-rust", "skipped (not installed)", "ahead", "-"])
    else:
        random.seed(SEED)
        ours_model = MLP(2, [16, 16, 1], activation="tanh", output_activation="tanh")
        rust_model = rust[1](2, [16, 16, 1])
        t = interleaved_medians({"rust": tanh_step(rust[0], rust_model, X, y),
                                 "ours": tanh_step(Value, ours_model, X, y)}, max(repeats, 5), True)
        ratio = t["rust"] / t["ours"]
        rows.append(["tanh step vs micrograd-rust, GC on (interleaved)",
                     f"{ratio:.2f}x ({fmt_seconds(t['rust'])} / {fmt_seconds(t['ours'])})", "> 1x (ahead)",
                     "yes" if ratio > 1.0 else "NO"])
    rows.append(["bytes per node (a * b)", f"{ours['bytes']:.0f} B", f"<= {TARGETS['bytes']:.0f} B",
                 "yes" if ours["bytes"] <= TARGETS["bytes"] else "NO"])
    seconds = chain_backward_seconds(Value)
    rows.append([f"backward() of a {CHAIN_NODES:,}-node chain", fmt_seconds(seconds),
                 f"< {fmt_seconds(TARGETS['chain_seconds'])}", "yes" if seconds < TARGETS["chain_seconds"] else "NO"])
    return rows


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
    print("\nissue 12's eager targets (measured in this run):")
    target_rows = targets(Value, MLP, micro, X, y, repeats, start_from, ours)
    print_table(["target", "measured", "goal", "met"], target_rows)
    rows += [[f"target: {r[0]}", r[2], r[1], r[3]] for r in target_rows]
    path = write_csv("engine_vs_micrograd.csv", ["measure", "micrograd 0.1.0", "autograd-lite", "ratio"], rows)
    print(f"saved {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 12: the compiled tape against a lean numpy closed form, JAX ``jit`` and PyTorch, side by side in one run.

    python3 benchmarks/compiled_scaling.py            # about 5 minutes on a quiet machine
    python3 benchmarks/compiled_scaling.py --quick    # fewer rounds

The workload is ``workload.py``'s (2-W-W-1 ReLU MLP, max-margin + L2, one SGD step). Every engine
runs on ONE thread (OpenBLAS, XLA and torch set so before they load). The engines of a
configuration are timed INTERLEAVED: each round times every engine once (a few steps each, in a
rotated order), and a ratio is taken within each round, so a noisy machine (shared cores) slows
all engines of a round alike; an engine's time in a round is the best of 3 short runs (about 10 ms each),
and medians over the rounds are reported.

1. the issue's table: one step at B = 100, W = 16, with every engine (the eager engine too);
2. batch scaling, B = 100 ... 100,000 (W = 16); 3. width scaling, W = 16, 64, 256 (B = 100 and 1,000);
4. numpy calls per step (``numpy_calls``); 5. peak memory per sample (tracemalloc, B = 10,000 vs 20,000).

Saves ``results/compiled_scaling.csv`` and ``results/compiled_scaling.png``. JAX is used when it is
installed (``pip install jax``), else skipped with a note; micrograd-rust likewise (it builds from
source with cargo, which needs crates.io).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402 - the thread settings above must come before numpy loads
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere

import numpy as np  # noqa: E402
import numpy_calls  # noqa: E402
import workload  # noqa: E402
from common import RESULTS, fmt_seconds, interleaved_times, machine, print_table, write_csv  # noqa: E402
from training_suite import moons  # noqa: E402

import nn  # noqa: E402
from autograd_lite import Value  # noqa: E402
from autograd_lite.compiled import array_math, layer_replay, replay  # noqa: E402
from autograd_lite.compiled import tape as tape_module  # noqa: E402

NUMPY = "numpy closed form"
HELD = "compiled tape, held parameters"
VALUES = "compiled tape, p.data SGD"
INTERPRETED = "compiled tape, interpreter only"
K, STEPS = 1.11, 1  # every step uses learning rate 1 - 0.9 K / STEPS = 0.001: no divergence over thousands of steps


def interpreter_only(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Any:
    """The tape as before issue 12 (no layer lowered): the held-parameter step with the plan switched off."""
    step = workload.compiled_held(width, X, y, weights, steps)
    tape = next(c.cell_contents for c in step.__closure__ if isinstance(c.cell_contents, tape_module.Tape))
    tape._plan = None  # noqa: SLF001 - measuring the fallback
    return step


def engines(eager: bool) -> tuple[dict[str, Any], list[str]]:
    found: dict[str, Any] = {NUMPY: workload.closed_form, HELD: workload.compiled_held, VALUES: workload.compiled}
    notes = []
    try:
        import jax
    except ImportError:
        notes.append("JAX skipped: not installed (pip install jax)")
    else:
        jax.config.update("jax_enable_x64", True)
        found[f"JAX {jax.__version__} jit, float64"] = workload.jax_jit(jax)
    try:
        import torch
    except ImportError:
        notes.append("PyTorch skipped: not installed (pip install torch)")
    else:
        found[f"PyTorch {torch.__version__} CPU"] = workload.pytorch(torch)
    if eager:
        found[INTERPRETED] = interpreter_only
        found["autograd-lite eager (B = 100 only)"] = workload.eager(Value, nn.MLP)
    try:
        import micrograd_rust  # noqa: F401
    except ImportError:
        notes.append("micrograd-rust skipped: not installed (pip builds it from source with cargo, which needs "
                     "crates.io; the eager comparison is benchmarks/engine_vs_micrograd.py)")
    return found, notes


def interleaved(found: dict[str, Any], width: int, B: int, rounds: int) -> dict[str, tuple[float, float]]:
    """name -> (median seconds per step, median over rounds of its time / numpy's in the same round)."""
    X, y = moons(B)
    weights = workload.initial_weights(width)
    steps = {name: make(width, X, y, weights, STEPS) for name, make in found.items()}
    times = interleaved_times(steps, rounds, K)
    return {name: (statistics.median(ts), statistics.median(t / n for t, n in zip(ts, times[NUMPY])))
            for name, ts in times.items()}


def peak_per_sample(make: Any, sizes: tuple[int, int] = (10_000, 20_000)) -> float:
    """Bytes per sample of one step's peak traced memory (its first step: buffers included)."""
    peaks = []
    for B in sizes:
        X, y = moons(B)
        step = make(16, X, y, workload.initial_weights(16), STEPS)
        gc.collect()
        tracemalloc.start()
        step(K)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    rounds = 7 if args.quick else 21
    found, notes = engines(eager=True)
    for note in notes:
        print(note)
    rows: list[list[Any]] = []

    def measure(what: str, width: int, B: int, engines_: dict[str, Any]) -> dict[str, tuple[float, float]]:
        print(f"{what}: W = {width}, B = {B} ...", flush=True)
        got = interleaved(engines_, width, B, rounds if B <= 10_000 else max(5, rounds // 3))
        rows.extend([name, what, width, B, seconds, ratio] for name, (seconds, ratio) in got.items())
        return got

    table = measure("step", 16, 100, found)
    fast = {name: make for name, make in found.items() if "eager" not in name and name != INTERPRETED}
    batches = {B: measure("batch scaling", 16, B, fast) for B in (1_000, 10_000, 100_000)}
    batches[100] = {name: table[name] for name in fast}
    widths = {(W, B): measure("width scaling", W, B, fast) for W in (64, 256) for B in (100, 1000)}
    widths.update({(16, B): batches[B] for B in (100, 1000)})

    print("counting numpy calls ...", flush=True)
    modules = [tape_module, layer_replay, replay, array_math, workload]
    X, y = moons(100)
    counts = {name: numpy_calls.count_step(found[name](16, X, y, workload.initial_weights(16), STEPS), modules, K)
              for name in (NUMPY, HELD, INTERPRETED)}
    print("peak memory ...", flush=True)
    memory = {name: peak_per_sample(found[name]) for name in (NUMPY, HELD, INTERPRETED)}

    print(f"\nissue 12, {rounds} interleaved rounds (medians; ratios taken within each round); {machine()}")
    print("2-16-16-1 MLP, 100 moons, max-margin + L2, one SGD step, one thread:")
    print_table(["engine", "step", "vs numpy closed form"],
                [[name, fmt_seconds(s), f"{r:.2f}x"] for name, (s, r) in table.items()])
    engines_fast = list(fast)
    print("\nbatch scaling (W = 16): step time, and the ratio to numpy in the same rounds")
    print_table(["engine", *(f"B={B:,}" for B in sorted(batches))],
                [[name, *(f"{fmt_seconds(batches[B][name][0])} ({batches[B][name][1]:.2f}x)" for B in sorted(batches))]
                 for name in engines_fast])
    print("\nwidth scaling (2-W-W-1)")
    keys = sorted(widths)
    print_table(["engine", *(f"W={W}, B={B}" for W, B in keys)],
                [[name, *(f"{fmt_seconds(widths[k][name][0])} ({widths[k][name][1]:.2f}x)" for k in keys)]
                 for name in engines_fast])
    print("\nnumpy calls per step (W = 16, B = 100; ufuncs and operators, array functions, fancy indexing) and "
          "peak memory per sample (first step, buffers included; B = 10,000 vs 20,000)")
    print_table(["engine", "numpy calls", "of which gathers/scatters", "peak bytes per sample", "vs numpy"],
                [[name, counts[name][0], counts[name][1], f"{memory[name]:.0f}", f"{memory[name] / memory[NUMPY]:.2f}x"]
                 for name in counts])
    for name in counts:
        rows.append([name, "numpy calls per step", 16, 100, counts[name][0], counts[name][1]])
        rows.append([name, "peak bytes per sample", 16, 10_000, memory[name], memory[name] / memory[NUMPY]])
    for note in notes:
        print("  " + note)
    path = write_csv("compiled_scaling.csv", ["engine", "measure", "width", "batch", "seconds or count", "ratio"], rows)
    chart = plot(batches, widths, engines_fast)
    print(f"\nsaved {path} and {chart}")
    return 0


def plot(batches: dict, widths: dict, names: list[str]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in names:
        Bs = sorted(batches)
        left.plot(Bs, [batches[B][name][1] for B in Bs], marker="o", label=name)
        Ws = sorted(W for W, B in widths if B == 100)
        right.plot(Ws, [widths[W, 100][name][1] for W in Ws], marker="o", label=name)
    for ax, xlabel in ((left, "batch size B (W = 16)"), (right, "width W (B = 100)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("step time / numpy closed form's (same rounds)")
    right.set_xticks(Ws, [str(W) for W in Ws])
    right.minorticks_off()
    left.legend(fontsize=7)
    fig.suptitle("issue 12: compiled tape vs numpy, JAX jit, PyTorch (one thread, interleaved medians)")
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "compiled_scaling.png"
    fig.savefig(path, dpi=110)
    return path


if __name__ == "__main__":
    sys.exit(main())

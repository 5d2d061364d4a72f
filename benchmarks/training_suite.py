"""micrograd, this engine eager, this engine compiled, PyTorch (CPU) and numpy, on one workload, in one run.

    python3 benchmarks/training_suite.py            # about 5 minutes
    python3 benchmarks/training_suite.py --quick    # fewer repetitions, a shorter search

The workload (``workload.py``): micrograd's demo network, a 2-16-16-1 ReLU MLP with max-margin
loss + L2 on 100 moons points, one full training step (forward, backward, SGD update), every
engine starting from the same weights. Measured side by side:

1. one training step at B = 100 (median; garbage collector on AND off for the eager engines);
2. a 1,000-step training run (engines slower than 0.2 s a step run 20 steps, projected x50, marked);
3. how a step's time grows with the batch size, B = 1, 10, 100, 1000, 10000;
4. the largest width W (at B = 100) and batch (at W = 16) that train within 1 second per step;
5. the compiled step's peak memory (tracemalloc) against B, with a bytes-per-sample fit.

Saves ``benchmarks/results/training_suite.csv`` and ``training_suite.png``. PyTorch is used
when it is installed (``pip install torch==2.13.0``; run on one thread), else skipped with a note.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere

import numpy as np
import workload
from common import RESULTS, fmt_seconds, load_micrograd, machine, median_seconds, print_table, write_csv
from engine_vs_micrograd import SEED

import nn
from autograd_lite import Value

BATCHES = (1, 10, 100, 1000, 10000)
SLOW = 0.2  # seconds a step: slower engines (micrograd) run a shortened 1,000-step run
RUN_STEPS, SHORT_RUN = 1000, 20
BUDGET = 1.0  # seconds a step, for the largest-model search
SKIP_ABOVE = 5.0  # seconds a step: points projected slower than this are skipped (noted)


def moons(n: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = nn.datasets.make_moons(max(n, 2), noise=0.1, seed=SEED)  # (it makes two moons: at least 2 points)
    return X[:n], 2 * y[:n] - 1  # labels -1 / +1, as micrograd's demo


def engines() -> tuple[dict[str, Any], list[str]]:
    """name -> make(width, X, y, weights, steps); and notes on what was skipped."""
    found: dict[str, Any] = {}
    notes = []
    micro = load_micrograd()
    if isinstance(micro, str):
        notes.append(micro)
    else:
        found["micrograd 0.1.0"] = workload.eager(micro[0].Value, micro[1].MLP)
    found["autograd-lite eager"] = workload.eager(Value, nn.MLP)
    found["autograd-lite compiled"] = workload.compiled
    try:
        import torch
    except ImportError:
        notes.append("PyTorch skipped: not installed (pip install torch==2.13.0 installs the CPU build)")
    else:
        found[f"PyTorch {torch.__version__} CPU"] = workload.pytorch(torch)
    found["numpy closed form"] = workload.closed_form
    return found, notes


def time_step(make: Any, width: int, B: int, gc_on: bool, quick: bool, steps: int = RUN_STEPS) -> float:
    """Median seconds of one training step; repetitions chosen so a measurement takes about a second."""
    X, y = moons(B)
    step = make(width, X, y, workload.initial_weights(width), steps)
    start = time.perf_counter()
    step(0)  # warm-up, also sizes the repetitions
    first = time.perf_counter() - start
    repeats = int(min(200 if not quick else 30, max(3, (0.3 if quick else 1.0) / max(first, 1e-9))))
    return median_seconds(lambda i: step(1 + i), repeats, gc_on)


def training_run(make: Any, slow: bool) -> tuple[float, float, int]:
    """(seconds for RUN_STEPS steps, final loss, steps actually run) from the same start, GC on."""
    X, y = moons(100)
    steps = SHORT_RUN if slow else RUN_STEPS
    step = make(16, X, y, workload.initial_weights(16), RUN_STEPS)
    gc.collect()
    start = time.perf_counter()
    loss = 0.0
    for k in range(steps):
        loss = step(k)
    return (time.perf_counter() - start) * RUN_STEPS / steps, loss, steps


def largest_within_budget(make: Any, vary: str, quick: bool) -> tuple[int | None, float | None, str]:
    """The largest width (at B = 100) or batch (at W = 16) on a doubling ladder whose step takes <= 1 s."""
    ladder = [2, 4, 8, 16, 32, 64, 128, 256, 512] if vary == "width" else [
        1, 3, 6, 12, 25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 102400, 204800, 409600]
    if quick:
        ladder = [n for n in ladder if n <= (256 if vary == "width" else 51200)]
    best: tuple[int | None, float | None] = (None, None)
    for n in ladder:
        width, B = (n, 100) if vary == "width" else (16, n)
        seconds = time_step(make, width, B, gc_on=True, quick=True)
        if seconds > BUDGET:
            return best[0], best[1], f"{vary} {n} takes {fmt_seconds(seconds)}"
        best = (n, seconds)
    return best[0], best[1], "the search's largest size (cap)"


def peak_bytes(make: Any, B: int) -> int:
    """Peak traced memory of one training step at batch B (after one untraced warm-up step)."""
    X, y = moons(B)
    step = make(16, X, y, workload.initial_weights(16), RUN_STEPS)
    step(0)
    gc.collect()
    tracemalloc.start()
    step(1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a shorter search")
    args = parser.parse_args(argv)
    found, notes = engines()
    for note in notes:
        print(note)
    csv_rows: list[list[Any]] = []
    eager_engines = {"micrograd 0.1.0", "autograd-lite eager"}

    # 1. one step at B = 100
    step_time: dict[tuple[str, bool], float] = {}
    for name, make in found.items():
        for gc_on in ((True, False) if name in eager_engines else (True,)):
            print(f"step: {name}, GC {'on' if gc_on else 'off'} ...", flush=True)
            step_time[name, gc_on] = time_step(make, 16, 100, gc_on, args.quick)
            csv_rows.append([name, "step", 16, 100, "on" if gc_on else "off", step_time[name, gc_on], ""])

    # 2. a 1,000-step run
    runs: dict[str, tuple[float, float, int]] = {}
    for name, make in found.items():
        print(f"{RUN_STEPS}-step run: {name} ...", flush=True)
        runs[name] = training_run(make, slow=step_time[name, True] > SLOW)
        seconds, loss, steps = runs[name]
        note = f"projected from {steps} steps" if steps < RUN_STEPS else f"final loss {loss:.12f}"
        csv_rows.append([name, f"{RUN_STEPS}-step run", 16, 100, "on", seconds, note])

    # 3. time against batch size
    growth: dict[str, dict[int, float | None]] = {}
    for name, make in found.items():
        growth[name] = {}
        previous: tuple[int, float] | None = None
        for B in BATCHES:
            projected = previous[1] * B / previous[0] if previous else 0.0
            if projected > SKIP_ABOVE:
                growth[name][B] = None
                csv_rows.append([name, "step vs batch", 16, B, "on", "", f"skipped: ~{projected:.0f} s projected"])
                continue
            print(f"batch {B}: {name} ...", flush=True)
            growth[name][B] = time_step(make, 16, B, gc_on=True, quick=True)
            previous = (B, growth[name][B])
            csv_rows.append([name, "step vs batch", 16, B, "on", growth[name][B], ""])

    # 4. the largest model and batch within 1 s a step
    largest: dict[tuple[str, str], tuple[int | None, float | None, str]] = {}
    for name, make in found.items():
        for vary in ("width", "batch"):
            print(f"largest {vary} within {BUDGET:g} s: {name} ...", flush=True)
            largest[name, vary] = found_size = largest_within_budget(make, vary, args.quick)
            csv_rows.append([name, f"largest {vary} within 1 s", 16 if vary == "batch" else found_size[0],
                             100 if vary == "width" else found_size[0], "on", found_size[1], found_size[2]])

    # how long making the model and compiling its tape takes (tracing four times, checking, grouping)
    X100, y100 = moons(100)
    start = time.perf_counter()
    workload.compiled(16, X100, y100, workload.initial_weights(16), RUN_STEPS)
    compile_seconds = time.perf_counter() - start
    csv_rows.append(["autograd-lite compiled", "compile", 16, 100, "on", compile_seconds, "model made, tape compiled"])

    # 5. memory of the compiled step against B
    print("memory of the compiled step ...", flush=True)
    peaks = {B: peak_bytes(workload.compiled, B) for B in BATCHES}
    numpy_peaks = {B: peak_bytes(workload.closed_form, B) for B in BATCHES}
    slope, intercept = np.polyfit(list(peaks), list(peaks.values()), 1)
    numpy_slope = np.polyfit(list(numpy_peaks), list(numpy_peaks.values()), 1)[0]
    for B in BATCHES:
        csv_rows.append(["autograd-lite compiled", "peak bytes", 16, B, "on", peaks[B], ""])
        csv_rows.append(["numpy closed form", "peak bytes", 16, B, "on", numpy_peaks[B], ""])

    report(found, step_time, runs, growth, largest, peaks, slope, intercept, numpy_slope)
    print(f"making the model and compiling its tape (W = 16): {fmt_seconds(compile_seconds)}, once, before step 1")
    path = write_csv("training_suite.csv", ["engine", "measure", "width", "batch", "gc", "value", "note"], csv_rows)
    chart = plot(growth, step_time)
    print(f"\nsaved {path} and {chart}")
    return 0


def report(found: dict, step_time: dict, runs: dict, growth: dict, largest: dict, peaks: dict, slope: float,
           intercept: float, numpy_slope: float) -> None:
    print(f"\ntraining suite: 2-16-16-1 ReLU MLP, max-margin + L2, moons; {machine()}")
    rows = []
    for name in found:
        on, off = step_time[name, True], step_time.get((name, False))
        seconds, loss, steps = runs[name]
        run = fmt_seconds(seconds) + (f" (projected from {steps})" if steps < RUN_STEPS else f", loss {loss:.6f}")
        w, _, _ = largest[name, "width"]
        b, _, _ = largest[name, "batch"]
        rows.append([name, fmt_seconds(on), fmt_seconds(off) if off else "-", run,
                     *(fmt_seconds(growth[name][B]) if growth[name][B] else "skipped" for B in BATCHES),
                     w or "none", b or "none"])
    print_table(["engine", "step GC on", "step GC off", f"{RUN_STEPS}-step run",
                 *(f"B={B}" for B in BATCHES), "max W in 1 s", "max B in 1 s"], rows)
    for name in found:
        for vary in ("width", "batch"):
            print(f"  {name}, largest {vary} within 1 s: stopped because {largest[name, vary][2]}")

    print("\nratios (same run, B = 100, one training step):")
    micro, eager, comp = "micrograd 0.1.0", "autograd-lite eager", "autograd-lite compiled"
    floor = step_time["numpy closed form", True]
    if micro in found:
        for gc_on in (True, False):
            tag = "on" if gc_on else "off"
            print(f"  eager vs micrograd, GC {tag}:    {step_time[micro, gc_on] / step_time[eager, gc_on]:8.1f}x faster"
                  f" (target >= 3x)")
            print(f"  compiled vs micrograd, GC {tag}: {step_time[micro, gc_on] / step_time[comp, True]:8.1f}x faster"
                  f" (target >= 100x with micrograd's GC off)")
    print(f"  compiled vs eager (GC on):    {step_time[eager, True] / step_time[comp, True]:8.1f}x faster")
    print(f"  compiled vs numpy closed form: {step_time[comp, True] / floor:8.1f}x slower (target <= 10x)")
    for name in found:
        if name.startswith("PyTorch"):
            print(f"  compiled vs {name}: {step_time[name, True] / step_time[comp, True]:8.2f}x faster")
    print(f"\ncompiled step peak memory: {intercept / 1e3:.0f} kB + {slope:.0f} bytes per sample "
          f"(numpy closed form: {numpy_slope:.0f} bytes per sample); by B: "
          + ", ".join(f"B={B}: {peaks[B] / 1e6:.2f} MB" for B in peaks))


def plot(growth: dict[str, dict[int, float | None]], step_time: dict) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for name, points in growth.items():
        xs = [B for B, s in points.items() if s]
        left.plot(xs, [points[B] for B in xs], marker="o", label=name)
    left.axhline(BUDGET, color="grey", linestyle=":", linewidth=1)
    left.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="seconds per training step",
             title="One training step against batch size (GC on)")
    left.legend(fontsize=8)
    labels = [f"{name}\nGC {'on' if gc_on else 'off'}" for name, gc_on in step_time]
    right.barh(labels, list(step_time.values()), color="tab:blue")
    right.set(xscale="log", xlabel="seconds per training step (B = 100)", title="One training step, B = 100")
    right.tick_params(axis="y", labelsize=7)
    for i, s in enumerate(step_time.values()):
        right.text(s, i, f" {fmt_seconds(s)}", va="center", fontsize=7)
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "training_suite.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    sys.exit(main())

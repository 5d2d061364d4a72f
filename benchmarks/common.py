"""Shared pieces of the benchmarks: micrograd in its own directory, timing, the moons data, tables.

Every benchmark script measures all engines side by side in ONE run; nothing is cached
between repetitions (each repetition rebuilds its graph from scratch).
"""

from __future__ import annotations

import csv
import gc
import importlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MICROGRAD_DIR = HERE / ".venv-micrograd"  # gitignored; micrograd is installed here, not into the project's env
MICROGRAD_SPEC = "micrograd==0.1.0"


def load_micrograd() -> tuple[ModuleType, ModuleType] | str:
    """``(micrograd.engine, micrograd.nn)`` from PyPI's 0.1.0 in ``benchmarks/.venv-micrograd``, or why not.

    Installs it there with pip on first use. Returns a note (a str) when that is impossible,
    so callers can skip the micrograd column and say why.
    """
    if not (MICROGRAD_DIR / "micrograd").is_dir():
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--target", str(MICROGRAD_DIR), MICROGRAD_SPEC]
        print("+", " ".join(cmd), flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode or not (MICROGRAD_DIR / "micrograd").is_dir():
            why = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
            return f"micrograd skipped: 'pip install --target {MICROGRAD_DIR} {MICROGRAD_SPEC}' failed ({why})"
    sys.path.insert(0, str(MICROGRAD_DIR))
    for name in [m for m in sys.modules if m == "micrograd" or m.startswith("micrograd.")]:
        del sys.modules[name]  # make sure the copy in our directory is the one imported
    engine, nn = importlib.import_module("micrograd.engine"), importlib.import_module("micrograd.nn")
    if not Path(engine.__file__).resolve().is_relative_to(MICROGRAD_DIR):
        return f"micrograd skipped: imported from {engine.__file__}, not from {MICROGRAD_DIR}"
    return engine, nn


def median_seconds(
    fn: Callable[[Any], object], repeats: int, gc_on: bool, setup: Callable[[int], Any] | None = None
) -> float:
    """Median wall time of ``fn(setup(i))`` (or ``fn(i)``) over ``repeats`` runs, garbage collector on or off.

    ``setup`` runs untimed before each timed call. A full collection runs before (untimed) so
    each measurement starts from the same heap; with the collector off, the garbage the
    repetitions leave is collected after, also untimed.
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.enable() if gc_on else gc.disable()
    times = []
    try:
        for i in range(repeats):
            arg = setup(i) if setup else i
            start = time.perf_counter()
            fn(arg)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable() if was_enabled else gc.disable()
        gc.collect()
    return statistics.median(times)


def interleaved_times(steps: dict[str, Callable[[float], Any]], rounds: int, arg: float, warmups: int = 1,
                      max_reps: int = 30) -> dict[str, list[float]]:
    """Seconds per ``step(arg)`` of each engine, one entry per round. The engines take turns round by round
    (the order rotated each round), each timed as the best of 3 short runs of about 10 ms, so load on the
    shared machine hits them all alike; take ratios within a round."""
    reps = {}
    for name, step in steps.items():
        for _ in range(warmups):
            step(arg)  # warm-up: JAX compiles, the tape allocates its buffers
        start = time.perf_counter()
        step(arg)
        reps[name] = max(1, min(max_reps, int(0.01 / max(time.perf_counter() - start, 1e-7))))
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            step, n = steps[name], reps[name]
            best = float("inf")
            for _ in range(3):  # the best of 3 short runs: a burst of another process's work is left out
                start = time.perf_counter()
                for _ in range(n):
                    step(arg)
                best = min(best, (time.perf_counter() - start) / n)
            times[name].append(best)
    return times


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table, columns padded to their widest cell."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def write_csv(name: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Save rows to ``benchmarks/results/<name>`` and return the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def machine() -> str:
    """One line on where the numbers come from."""
    return (f"Python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")

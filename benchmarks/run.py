"""Run every benchmark script in this directory, one after the other (``python3 tasks.py bench``).

    python3 benchmarks/run.py            # all of them, full repetitions
    python3 benchmarks/run.py --quick    # fewer repetitions (the flag is passed to each script)

Each script runs in its own Python process, so one engine's garbage cannot slow the next script.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_SCRIPTS = {"run.py", "common.py", "workload.py", "numpy_calls.py"}  # helpers, not benchmarks


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_SCRIPTS)
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        if subprocess.run([sys.executable, str(script), *argv]).returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Start-up time: ``import dfl_finance``, ``dfl-finance --help`` and ``dfl-finance validate`` on the bundled scenarios.

Run: ``python benchmarks/bench_startup.py [--repeat N]``. Each command runs in a new process (what a user waits for);
prints the median and the fastest wall time. Targets: ``--help`` and ``validate`` under 0.3 s (pandas and the
engine are imported only by the commands that build tables).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3


def _cli() -> str:
    script = Path(sys.executable).with_name("dfl-finance")
    return str(script) if script.exists() else (shutil.which("dfl-finance") or "dfl-finance")


def wall_times(command: list[str], repeat: int) -> list[float]:
    subprocess.run(command, capture_output=True, cwd=ROOT, check=False)  # warm the file cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.decode()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    cases = {
        "python -c 'import dfl_finance'": [sys.executable, "-c", "import dfl_finance"],
        "python -c 'pass' (interpreter alone)": [sys.executable, "-c", "pass"],
        "dfl-finance --help": [_cli(), "--help"],
        f"dfl-finance validate ({len(scenarios)} bundled scenarios)": [_cli(), "validate", *scenarios],
    }
    for name, command in cases.items():
        times = wall_times(command, args.repeat)
        median = statistics.median(times)
        flag = "" if "help" not in name and "validate" not in name else (
            "  ok" if median < TARGET_S else f"  ABOVE the {TARGET_S} s target")
        print(f"{name:55s} median {median * 1000:6.0f} ms  fastest {min(times) * 1000:6.0f} ms{flag}")


if __name__ == "__main__":
    main()

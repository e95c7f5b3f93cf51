"""Start-up time: what a user waits for before a light command answers, against a bare ``import numpy``.

Run: ``python benchmarks/bench_startup.py [--repeat N]``. Each command runs in a new process (what a user waits for),
interleaved with ``python -c "import numpy"`` (the yardstick) so that a drift of the machine's speed moves both; the
ratio is taken pair by pair and its median printed, in wall time and in CPU time (user + system of the child, from
``resource.getrusage``). Goal (issue 21): every command's import path loads only what it uses; ``validate`` under
2x ``import numpy``. ``--help``, ``countries`` and ``templates`` are held to the same bound (they load no numpy).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 2.0


def _cli() -> str:
    script = Path(sys.executable).with_name("dfl-finance")
    return str(script) if script.exists() else (shutil.which("dfl-finance") or "dfl-finance")


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``command`` in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(command: list[str], yardstick: list[str], repeat: int) -> dict[str, float]:
    """Medians of ``command`` and of the yardstick, and of their ratios pair by pair, in wall and CPU time."""
    timed(command), timed(yardstick)  # warm the file cache
    runs = [(timed(command), timed(yardstick)) for _ in range(repeat)]
    return {"wall": statistics.median(a[0] for a, _ in runs), "cpu": statistics.median(a[1] for a, _ in runs),
            "wall_ratio": statistics.median(a[0] / b[0] for a, b in runs),
            "cpu_ratio": statistics.median(a[1] / b[1] for a, b in runs),
            "numpy_wall": statistics.median(b[0] for _, b in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    numpy = [sys.executable, "-c", "import numpy"]
    cases = {
        "python -c 'pass' (interpreter alone)": ([sys.executable, "-c", "pass"], False),
        "python -c 'import dfl_finance'": ([sys.executable, "-c", "import dfl_finance"], False),
        "dfl-finance --help": ([_cli(), "--help"], True),
        "dfl-finance validate (1 bundled scenario)": ([_cli(), "validate", scenarios[0]], True),
        f"dfl-finance validate ({len(scenarios)} bundled scenarios)": ([_cli(), "validate", *scenarios], True),
        "dfl-finance countries": ([_cli(), "countries"], True),
        "dfl-finance templates": ([_cli(), "templates"], True),
    }
    print(f"yardstick: python -c 'import numpy'; goal: a light command under {GOAL_RATIO:g}x it "
          "(ratios: medians of interleaved pairs)")
    for name, (command, goal) in cases.items():
        m = paired(command, numpy, args.repeat)
        verdict = ""
        if goal:
            worst = max(m["wall_ratio"], m["cpu_ratio"])
            verdict = f"  goal < {GOAL_RATIO:g}x: {'met' if worst < GOAL_RATIO else 'MISSED'}"
        print(f"{name:48s} wall {m['wall'] * 1e3:5.0f} ms ({m['wall_ratio']:4.2f}x)  cpu {m['cpu'] * 1e3:5.0f} ms "
              f"({m['cpu_ratio']:4.2f}x){verdict}")
    print(f"(import numpy alone: wall {m['numpy_wall'] * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
